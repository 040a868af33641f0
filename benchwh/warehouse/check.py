"""``benchwh check``: integrity of a warehouse that has no foreign keys by design.

Reads every table; writes nothing. Each check is one SQL query over fixed table names.
"""

from __future__ import annotations

from typing import Any

from benchwh.warehouse.tables import ID_COLUMN, ledger_key_sql

_ORPHANS = [
    ("results without run", "results", "run_id", "runs"),
    ("results without model", "results", "model_id", "models"),
    ("results without hardware", "results", "hardware_id", "hardware"),
    ("compatibility facts without run", "compatibility", "run_id", "runs"),
    ("compatibility facts without model", "compatibility", "model_id", "models"),
    ("compatibility facts without hardware", "compatibility", "hardware_id", "hardware"),
    ("test outcomes without run", "test_results", "run_id", "runs"),
]


def check(con, sample: int = 5) -> dict[str, Any]:
    """Return ``{"ok": bool, "problems": [{"check", "count", "examples"}], "checked": [...]}``."""
    problems: list[dict[str, Any]] = []
    checked: list[str] = []

    def record(name: str, sql: str) -> None:
        checked.append(name)
        rows = con.execute(sql).fetchall()
        if rows:
            problems.append({"check": name, "count": len(rows), "examples": [r[0] for r in rows[:sample]]})

    for name, table, col, parent in _ORPHANS:
        pid = ID_COLUMN[parent]
        # A NULL model_id is a generic benchmark's (checked below), not an orphan.
        record(name, f"SELECT DISTINCT c.{col} FROM {table} c WHERE c.{col} IS NOT NULL "
                     f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{pid} = c.{col})")
    record("results with neither a model nor a benchmark name",
           "SELECT result_id FROM results WHERE model_id IS NULL AND benchmark IS NULL")
    record("benchmark parameters that are not a JSON object", """
        SELECT result_id FROM results WHERE benchmark_params IS NOT NULL
          AND coalesce(json_type(try_cast(benchmark_params AS JSON)) <> 'OBJECT', true)""")
    for table, idcol in ID_COLUMN.items():
        record(f"duplicate ids in {table}",
               f"SELECT {idcol} FROM {table} GROUP BY {idcol} HAVING count(*) > 1")
    # A file the ledger says added facts must have left them; a fact that names a source file
    # must have a ledger row for that file's content.
    record("ledger rows whose facts are missing", """
        SELECT l.path FROM import_ledger l
        WHERE l.status = 'imported' AND (l.results + l.compat + l.tests) > 0
          AND NOT EXISTS (SELECT 1 FROM results r WHERE r.source_sha256 = l.file_sha256)
          AND NOT EXISTS (SELECT 1 FROM compatibility c WHERE c.source_sha256 = l.file_sha256)
          AND NOT EXISTS (SELECT 1 FROM test_results t WHERE t.source_sha256 = l.file_sha256)""")
    record("ledger counts that disagree with the facts", """
        WITH f AS (
            SELECT source_sha256 AS sha, count(*) AS n FROM results GROUP BY 1
        ), l AS (
            SELECT file_sha256 AS sha, max(results) AS n FROM import_ledger
            WHERE status = 'imported' GROUP BY 1
        )
        SELECT l.sha FROM l LEFT JOIN f USING (sha) WHERE coalesce(f.n, 0) <> l.n""")
    # The import finds known files by this key (revision 5): a wrong one would hide a file.
    record("ledger rows whose key does not match their digest",
           f"SELECT path FROM import_ledger WHERE file_key IS DISTINCT FROM {ledger_key_sql('file_sha256')}")
    for table in ("results", "compatibility", "test_results"):
        record(f"{table} whose source file has no ledger row", f"""
            SELECT DISTINCT x.source_file FROM {table} x
            WHERE x.source_sha256 IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM import_ledger l WHERE l.file_sha256 = x.source_sha256)""")
    # Every id recomputed from its row's content: a forged or corrupted row cannot hide.
    from benchwh.warehouse.verify import mismatched

    for table in ID_COLUMN:
        name = f"{table} rows whose ids do not match their content (or that hold impossible values)"
        checked.append(name)
        bad = list(mismatched(con, table))
        if bad:
            problems.append({"check": name, "count": len(bad), "examples": bad[:sample]})
    record("version table does not hold exactly one revision",
           "SELECT n FROM (SELECT count(*) AS n FROM alembic_version) WHERE n <> 1")
    return {"ok": not problems, "problems": problems, "checked": checked}


def check_warehouse(db: Any, sample: int = 5) -> dict[str, Any]:
    """:func:`check` on the warehouse at ``db`` (a location), opened read-only; an unreadable
    file raises ``LocationError``."""
    from benchwh.warehouse.connect import damage_reported
    from benchwh.warehouse.open import as_location, open_warehouse

    loc = as_location(db)
    with damage_reported(loc), open_warehouse(loc, read_only=True) as con:
        return check(con, sample)
