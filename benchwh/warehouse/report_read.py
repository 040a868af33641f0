"""What the report reads, in as few passes as the page needs (reads only; writes nothing).

:func:`report_points` is every completed, timed result with the columns the charts and their
hover text show, but without the raw samples (a count instead): a 500,000-result warehouse
stays a few columns of numbers. :func:`samples_of` fetches the raw latency samples of the few
results whose distributions are drawn (each series' newest points).
"""

from __future__ import annotations

from typing import Any, Sequence

from benchwh.warehouse.flat import FLAT_SELECT
from benchwh.warehouse.read import read_frame

# A semi-join on the wanted names: DuckDB pushes it below the flat view's joins, where a
# list_contains per row is evaluated on every result (1.6 s against 0.1 s at 1,000,000).
IN_MODELS = " AND model_name IN (SELECT unnest(?::VARCHAR[]))"

POINT_COLUMNS = (
    "result_id", "run_id", "git_commit", "measured_at", "source_file",
    "model_name", "benchmark", "benchmark_params", "hardware_type", "device_name", "mode", "scenario", "batch_size",
    "sequence_length", "input_shape", "precision", "is_simulated", "suspected_placeholder", "placeholder_evidence",
    "latency_ms_mean", "latency_ms_p50", "latency_ms_p90", "latency_ms_p95", "latency_ms_p99",
    "throughput_items_per_s", "throughput_tokens_per_s", "memory_peak_mb",
)


def report_points(con, models: Sequence[str] | None = None):
    """Completed results with a measurement time, oldest first (Polars), for ``models``
    (all if None), with ``n_samples`` (raw latency samples stored, 0 when none). A generic
    benchmark (no model) is shown under its benchmark name, its parameters in the series key."""
    cols = ", ".join("coalesce(model_name, benchmark) AS model_name" if c == "model_name" else c
                     for c in POINT_COLUMNS)
    sql = (f"SELECT {cols}, coalesce(len(latency_samples_ms), 0)::INTEGER AS n_samples "
           f"FROM ({FLAT_SELECT}) flat WHERE status = 'completed' AND measured_at IS NOT NULL")
    params: list[Any] = []
    if models:
        sql += IN_MODELS
        params.append(list(models))
    return read_frame(con, sql + " ORDER BY measured_at, result_id", params)


def samples_of(con, result_ids: Sequence[str]):
    """``result_id``, ``latency_samples_ms`` of the given results (Polars)."""
    # A hash join on the wanted ids (a list lookup per row would cost ids x results).
    return read_frame(con, "SELECT r.result_id, r.latency_samples_ms FROM results r "
                           "JOIN (SELECT unnest(?::VARCHAR[]) AS id) w ON w.id = r.result_id "
                           "WHERE r.latency_samples_ms IS NOT NULL",
                      [list(result_ids)])


def failed_count(con, models: Sequence[str] | None = None) -> int:
    """Results whose status is not ``completed`` (failed attempts), for ``models``."""
    sql = f"SELECT count(*) FROM ({FLAT_SELECT}) flat WHERE status <> 'completed'"
    params: list[Any] = []
    if models:
        sql += IN_MODELS
        params.append(list(models))
    return int(con.execute(sql, params).fetchone()[0])
