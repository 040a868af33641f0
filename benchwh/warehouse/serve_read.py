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
    # Aggregated by id first, then named: the join touches one row per group, not per result.
    return read_frame(con, """
        WITH g AS (
            SELECT model_id, hardware_id, count(*) FILTER (WHERE NOT is_simulated) AS measured,
                   count(*) FILTER (WHERE is_simulated) AS simulated, max(measured_at) AS newest
            FROM results WHERE status = 'completed' GROUP BY model_id, hardware_id)
        SELECT m.model_name, h.hardware_type, sum(g.measured)::BIGINT AS measured,
               sum(g.simulated)::BIGINT AS simulated, max(g.newest) AS newest
        FROM g LEFT JOIN models m ON m.model_id = g.model_id
        LEFT JOIN hardware h ON h.hardware_id = g.hardware_id
        GROUP BY m.model_name, h.hardware_type ORDER BY m.model_name, h.hardware_type""", [])


def newest_results(con, limit: int = 50):
    """The newest results (by measurement time, then insertion), with their configuration."""
    cols = ("result_id", "run_id", "model_name", "hardware_type", "device_name", "mode", "batch_size",
            "sequence_length", "precision", "status", "latency_ms_mean", "throughput_items_per_s",
            "memory_peak_mb", "is_simulated", "measured_at", "git_commit")
    # The newest rows are picked on the results table alone, then joined to their names.
    return read_frame(con, """
        WITH r AS (SELECT * FROM results ORDER BY measured_at DESC NULLS LAST, inserted_at DESC, result_id LIMIT ?)
        SELECT r.result_id, r.run_id, m.model_name, h.hardware_type, h.device_name, r.mode, r.batch_size,
               r.sequence_length, r.precision, r.status, r.latency_ms_mean, r.throughput_items_per_s,
               r.memory_peak_mb, r.is_simulated, r.measured_at, ru.git_commit
        FROM r LEFT JOIN runs ru ON ru.run_id = r.run_id LEFT JOIN models m ON m.model_id = r.model_id
        LEFT JOIN hardware h ON h.hardware_id = r.hardware_id
        ORDER BY r.measured_at DESC NULLS LAST, r.inserted_at DESC, r.result_id""", [int(limit)])


def run_ids(con, limit: int | None = None) -> list[str]:
    """Run ids, newest start first (at most ``limit``)."""
    sql = "SELECT run_id FROM runs ORDER BY started_at DESC NULLS LAST, run_id"
    if limit is None:
        return [r[0] for r in con.execute(sql).fetchall()]
    return [r[0] for r in con.execute(sql + " LIMIT ?", [int(limit)]).fetchall()]


def runs_matching(con, prefix: str) -> list[str]:
    """Run ids equal to ``prefix``, else those starting with it (at most 2: enough to tell)."""
    exact = con.execute("SELECT run_id FROM runs WHERE run_id = ?", [prefix]).fetchall()
    if exact:
        return [exact[0][0]]
    return [r[0] for r in con.execute("SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id LIMIT 2",
                                      [prefix]).fetchall()]


def newest_runs(con, limit: int):
    """The runs page's table for the ``limit`` newest runs (by start, then first
    measurement), as ``benchwh.warehouse.queries.runs`` gives it, aggregating only their
    results and facts (Polars)."""
    return read_frame(con, """
        WITH pick AS (
            SELECT ru.run_id, ru.started_at FROM runs ru
            ORDER BY ru.started_at DESC NULLS LAST, ru.run_id LIMIT ?
        ), ev AS (
            SELECT run_id, 1 AS is_result, model_id, hardware_id, is_simulated, measured_at
            FROM results WHERE run_id IN (SELECT run_id FROM pick)
            UNION ALL
            SELECT run_id, 0, model_id, hardware_id, is_simulated, measured_at
            FROM compatibility WHERE run_id IN (SELECT run_id FROM pick)
        ), agg AS (
            SELECT run_id, sum(is_result)::BIGINT AS results, (count(*) - sum(is_result))::BIGINT AS compatibility_facts,
                   count(*) FILTER (WHERE is_simulated) AS simulated, count(DISTINCT model_id) AS models,
                   list(DISTINCT hardware_id) AS hardware_ids, min(measured_at) AS first_measured_at,
                   max(measured_at) AS last_measured_at
            FROM ev GROUP BY run_id
        )
        SELECT a.run_id, ru.origin AS source, ru.started_at, ru.git_commit, ru.git_branch, ru.host, a.results,
               a.compatibility_facts, a.simulated, a.models,
               (SELECT string_agg(DISTINCT h.hardware_type, ',' ORDER BY h.hardware_type)
                FROM hardware h WHERE list_contains(a.hardware_ids, h.hardware_id)) AS hardware_types,
               a.first_measured_at, a.last_measured_at
        FROM agg a JOIN runs ru ON ru.run_id = a.run_id
        ORDER BY ru.started_at DESC NULLS LAST, a.first_measured_at DESC NULLS LAST, a.run_id""", [int(limit)])


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

