"""``benchwh status``: where the warehouse is, its revision, and how many rows each table has."""

from __future__ import annotations

from typing import Any

from benchwh.warehouse.connect import connection, damage_reported, exists
from benchwh.warehouse.location import FILE, Location
from benchwh.warehouse.revision import read_revision

# The tables ``status`` counts, in ``benchwh.warehouse.tables.SCHEMAS`` order (a test checks
# they agree): named here so ``status`` does not load pyarrow for their names.
TABLES = ("runs", "models", "hardware", "results", "compatibility", "test_results", "import_ledger",
          "annotations")


def head() -> str:
    """The head revision this package knows (no alembic: a test checks it against alembic's)."""
    from benchwh.migrations import HEAD

    return HEAD


def revisions() -> list[str]:
    from benchwh.migrations import REVISIONS

    return list(REVISIONS)


def status(loc: Location) -> dict[str, Any]:
    """Reads the version table and counts rows; creates nothing (a missing file is reported;
    an unreadable one raises ``LocationError``)."""
    info: dict[str, Any] = {
        "location": str(loc), "backend": loc.backend, "exists": True,
        "current_revision": None, "head_revision": head(), "pending": [], "tables": {},
    }
    if not exists(loc):
        info["exists"] = False
        info["pending"] = revisions()
        return info
    with damage_reported(loc), connection(loc, read_only=loc.backend == FILE) as con:
        rev = read_revision(con)
        info["current_revision"] = rev
        order = revisions()
        if rev is None:
            info["pending"] = order
        elif rev in order:
            info["pending"] = order[order.index(rev) + 1:]
        else:
            info["ahead"] = True
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            " AND schema_name = current_schema()").fetchall()}
        counted = [t for t in TABLES if t in present]
        if counted:  # one statement for all counts (names from TABLES, never from input)
            row = con.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in counted)).fetchone()
            info["tables"] = dict(zip(counted, row))
    return info
