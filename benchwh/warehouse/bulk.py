"""What a bulk import needs from the warehouse besides the writer: which of its files' content
is already ledgered, and DuckDB settings for the length of the import."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

# Setting names come from here, never from a user: they are identifiers DuckDB's SET cannot
# take as parameters.
_SETTABLE = ("memory_limit", "threads")
IMPORT_MEMORY_LIMIT = "256MB"


def ledgered_among(con, digests: list[str], statuses: tuple[str, ...]) -> set[str]:
    """Those of ``digests`` the ledger records with one of ``statuses``: one semi-join inside
    DuckDB against the ledger, so only matches come to Python, never the whole ledger."""
    import pyarrow as pa

    if not digests:
        return set()
    marks = ", ".join("?" for _ in statuses)
    con.register("_bw_digests", pa.table({"d": pa.array(digests, pa.string())}))
    try:
        rows = con.execute(
            f"SELECT DISTINCT p.d FROM _bw_digests p SEMI JOIN import_ledger l ON l.file_sha256 = p.d "
            f"AND l.status IN ({marks})", list(statuses)).fetchall()
    finally:
        con.unregister("_bw_digests")
    return {r[0] for r in rows}


def ledger_is_empty(con) -> bool:
    """Whether the import ledger holds no file at all (a fresh warehouse)."""
    return con.execute("SELECT NOT EXISTS (SELECT 1 FROM import_ledger)").fetchone()[0]


@contextmanager
def import_settings(con, threads: int | None) -> Iterator[None]:
    """DuckDB settings for an import, put back afterwards. Memory: DuckDB keeps the blocks it
    wrote cached up to its limit (80% of RAM by default), so an import's memory would grow with
    the warehouse; capped, it stays bounded (a batch that needs more spills to disk). Threads
    (when given): while worker processes convert, DuckDB gets the CPUs they leave; more would
    only wait for theirs, at a cost (measured here: ~2x the CPU per inserted row)."""
    wanted = {"memory_limit": IMPORT_MEMORY_LIMIT}
    if threads is not None:
        wanted["threads"] = str(max(1, threads))
    assert set(wanted) <= set(_SETTABLE)
    # Names as literals (from _SETTABLE): a parameter makes DuckDB's client import pandas.
    old = {k: con.execute(f"SELECT current_setting('{k}')").fetchone()[0] for k in wanted}
    for k, v in wanted.items():
        con.execute(f"SET {k} = '{v}'")
    try:
        yield
    finally:
        for k, v in old.items():
            con.execute(f"SET {k} = '{v}'")
