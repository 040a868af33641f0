"""The warehouse's schema revision (the ``alembic_version`` table), read without alembic.

Kept apart from ``benchwh.warehouse.migrate`` so that commands which only open a warehouse
(``status``, queries) load neither alembic nor migrate's file handling.
"""

from __future__ import annotations

from benchwh.errors import RevisionError
from benchwh.warehouse.location import Location

VERSION_TABLE = "alembic_version"


def read_revision(con) -> str | None:
    """The warehouse's revision, or None for an empty (un-migrated) warehouse."""
    # No parameter: DuckDB's conversion of one imports decimal, uuid and platform (startup).
    found = con.execute(
        f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{VERSION_TABLE}' "
        "AND database_name = current_database() AND schema_name = current_schema()"
    ).fetchone()[0]
    if not found:
        return None
    rows = con.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    if len(rows) > 1:
        raise RevisionError(f"warehouse has {len(rows)} revisions recorded", remedy="check-it",
                            hint="; check it (Warehouse.check)")
    return rows[0][0] if rows else None


def require_head(loc: Location, rev: str | None) -> None:
    """Refuse a warehouse that is not at this benchwh's head revision (without loading
    alembic: the chain's constants in ``benchwh.migrations`` are checked against it by a test)."""
    from benchwh.migrations import HEAD as h, REVISIONS

    if rev == h:
        return
    where = f"warehouse {loc}"
    if rev is None:
        raise RevisionError(f"{where} has no benchwh schema", remedy="migrate", hint=": migrate it (Warehouse.migrate)")
    if rev not in REVISIONS:
        raise RevisionError(
            f"{where} is at revision {rev}, newer than this benchwh knows (head {h}): upgrade benchwh"
        )
    raise RevisionError(f"{where} is at revision {rev}, behind head {h}", remedy="migrate",
                        hint=": migrate it (Warehouse.migrate)")
