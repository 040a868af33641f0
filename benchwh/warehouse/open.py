"""Open a warehouse for a command: resolve the location, connect, insist on the head revision."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from benchwh.warehouse.connect import raw_connect
from benchwh.warehouse.location import Location, resolve
from benchwh.warehouse.revision import read_revision, require_head


def as_location(db: "Location | str | None") -> Location:
    return db if isinstance(db, Location) else resolve(db)


@contextmanager
def open_warehouse(db: "Location | str | None", read_only: bool = False,
                   timeout_s: float | None = None) -> Iterator[object]:
    """A DuckDB connection to a warehouse at head revision; closed on exit.

    Raises LocationError (missing / not a DuckDB file), LockedError (held by another
    process past the wait), RevisionError (behind or ahead of this benchwh)."""
    loc = as_location(db)
    con = raw_connect(loc, read_only=read_only, create=False, timeout_s=timeout_s)
    try:
        require_head(loc, read_revision(con))
        yield con
    finally:
        con.close()
