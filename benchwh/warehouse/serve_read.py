"""What ``benchwh serve`` reads beyond the query and report functions (reads only).

Every function takes an open (read-only) connection; every value is a bound parameter.
:func:`guarded_sql` is the app's only way to run a user's SQL: the ``query sql`` walls of
``benchwh.warehouse.sqlguard`` plus a row limit and a time limit.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

from benchwh.errors import QueryError
from benchwh.warehouse.flat import FLAT_SELECT
from benchwh.warehouse.read import read_frame


def counts(con) -> dict[str, Any]:
    """Totals for the overview: results (completed, failed, simulated), runs, models,
    hardware types, newest measurement."""
    row = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status <> 'completed'), "
        "count(*) FILTER (WHERE is_simulated), count(DISTINCT run_id), count(DISTINCT model_id), "
        "max(measured_at) FROM results").fetchone()
    hw = con.execute("SELECT count(DISTINCT hardware_type) FROM hardware").fetchone()[0]
    keys = ("results", "completed", "failed", "simulated", "runs", "models", "newest")
    return {**dict(zip(keys, row)), "hardware": int(hw)}


def coverage(con):
    """Completed results per model x hardware type, measured and simulated apart (Polars)."""
    return read_frame(con, """
        SELECT m.model_name, h.hardware_type,
               count(*) FILTER (WHERE NOT r.is_simulated) AS measured,
               count(*) FILTER (WHERE r.is_simulated) AS simulated,
               max(r.measured_at) AS newest
        FROM results r LEFT JOIN models m ON m.model_id = r.model_id
        LEFT JOIN hardware h ON h.hardware_id = r.hardware_id
        WHERE r.status = 'completed'
        GROUP BY m.model_name, h.hardware_type ORDER BY m.model_name, h.hardware_type""", [])


def newest_results(con, limit: int = 50):
    """The newest results (by measurement time, then insertion), with their configuration."""
    cols = ("result_id", "run_id", "model_name", "hardware_type", "device_name", "mode", "batch_size",
            "sequence_length", "precision", "status", "latency_ms_mean", "throughput_items_per_s",
            "memory_peak_mb", "is_simulated", "measured_at", "git_commit")
    return read_frame(con, f"SELECT {', '.join(cols)} FROM ({FLAT_SELECT}) flat "
                           "ORDER BY measured_at DESC NULLS LAST, inserted_at DESC, result_id LIMIT ?", [int(limit)])


def run_ids(con) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT run_id FROM runs ORDER BY started_at DESC NULLS LAST, run_id").fetchall()]


def runs_frame(con, run_list: Sequence[str]):
    """Completed, timed flat rows of the given runs, with the columns the regression series
    need (``benchwh.regress.series.load_frame``'s), oldest first."""
    from benchwh.regress.metrics import METRICS
    from benchwh.regress.series import POINT_COLUMNS, SERIES_KEY

    cols = list(dict.fromkeys([*SERIES_KEY, *POINT_COLUMNS, "status", *METRICS]))
    return read_frame(con, f"SELECT {', '.join(cols)} FROM ({FLAT_SELECT}) flat "
                           "WHERE list_contains(?, run_id) AND status = 'completed' AND measured_at IS NOT NULL "
                           "ORDER BY measured_at, result_id", [list(run_list)])


def guarded_sql(con, sql: str, *, is_lake: bool, limit: int, timeout_s: float):
    """Check ``sql`` as ``benchwh query sql`` does and run it on ``con`` (opened read-only),
    at most ``limit`` rows and ``timeout_s`` seconds. Returns (Polars frame, truncated).
    Raises QueryError: refused, failed, or interrupted at the time limit."""
    import duckdb

    from benchwh.warehouse.sqlguard import _one_line, catalog_of, check_sql, lock_down

    checked = check_sql(sql, catalog_of(con))
    if not is_lake:
        lock_down(con)
    timer = threading.Timer(timeout_s, con.interrupt)
    timer.start()
    try:
        frame = read_frame(con, f"SELECT * FROM ({checked}) q LIMIT ?", [int(limit) + 1])
    except duckdb.Error as e:
        if not timer.is_alive() or "INTERRUPT" in str(e).upper():
            raise QueryError(f"the query ran past the {timeout_s:g} s time limit and was stopped") from None
        raise QueryError(f"the query failed: {_one_line(e)}") from None
    finally:
        timer.cancel()
    return frame.head(limit), frame.height > limit


def results_per_run(con, run_list: Sequence[str]) -> dict[str, int]:
    """Results stored so far for each of the given runs (runs with none are absent)."""
    rows = con.execute("SELECT run_id, count(*) FROM results WHERE list_contains(?, run_id) GROUP BY run_id",
                       [list(run_list)]).fetchall()
    return {r: int(n) for r, n in rows}


def commits_matching(con, prefix: str) -> dict[str, list[str]]:
    """Full git commit -> its run ids, for the commits starting with ``prefix``."""
    out: dict[str, list[str]] = {}
    for commit, run in con.execute("SELECT git_commit, run_id FROM runs WHERE starts_with(git_commit, ?) "
                                   "ORDER BY git_commit, run_id", [prefix]).fetchall():
        out.setdefault(commit, []).append(run)
    return out
