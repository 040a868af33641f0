"""The export contract: one flat row per result (DESIGN.md, "The export contract").

``FLAT_SELECT`` is the single definition used by export, queries and reports. New columns may be
added; names and meanings of existing ones do not change without a migration note.
"""

from __future__ import annotations

CONTRACT_COLUMNS = (
    "result_id", "run_id", "source", "model_name", "model_family", "modality",
    "benchmark", "benchmark_params", "reported_unit", "hardware_type",
    "device_name", "is_simulated", "simulation_reason", "mode", "scenario", "batch_size",
    "sequence_length", "input_shape", "precision", "status", "error", "latency_ms_mean",
    "latency_ms_p50", "latency_ms_p90", "latency_ms_p95", "latency_ms_p99", "latency_ms_min",
    "latency_ms_max", "latency_ms_std", "latency_samples_ms", "throughput_items_per_s",
    "throughput_tokens_per_s", "memory_peak_mb", "load_time_ms", "iterations",
    "warmup_iterations", "measured_at", "git_commit", "git_branch", "host", "metrics",
    "source_file", "source_sha256", "source_pointer", "inserted_at",
    # revision 0004: how measured_at was obtained (explicit | inferred | assumed | unknown; every
    # time is naive UTC except ``unknown`` ones, kept as the source wrote them), and the
    # suspected-placeholder flag with its evidence
    "time_basis", "suspected_placeholder", "placeholder_evidence",
)

# `model_name` is NULL for a generic benchmark (harness results), which is named by `benchmark`
# (as the tool gives it), `benchmark_params` (canonical JSON text, sorted keys; NULL for none)
# and `reported_unit` (the unit the tool reported; values are in benchwh units).
# `source` is the producing tool (the run's origin: a legacy script name, a benchwh runner,
# an adopted legacy warehouse).
FLAT_SELECT = """
SELECT
    r.result_id, r.run_id, ru.origin AS source, m.model_name,
    coalesce(r.model_family, m.model_family) AS model_family,
    coalesce(r.modality, m.modality) AS modality,
    r.benchmark, r.benchmark_params, r.reported_unit,
    h.hardware_type, h.device_name, r.is_simulated, r.simulation_reason, r.mode, r.scenario,
    r.batch_size, r.sequence_length, r.input_shape, r.precision, r.status, r.error,
    r.latency_ms_mean, r.latency_ms_p50, r.latency_ms_p90, r.latency_ms_p95, r.latency_ms_p99,
    r.latency_ms_min, r.latency_ms_max, r.latency_ms_std, r.latency_samples_ms,
    r.throughput_items_per_s, r.throughput_tokens_per_s, r.memory_peak_mb, r.load_time_ms,
    r.iterations, r.warmup_iterations, r.measured_at, ru.git_commit, ru.git_branch, ru.host,
    r.metrics, r.source_file, r.source_sha256, r.source_pointer, r.inserted_at,
    r.time_basis, r.suspected_placeholder, r.placeholder_evidence
FROM results r
LEFT JOIN runs ru ON ru.run_id = r.run_id
LEFT JOIN models m ON m.model_id = r.model_id
LEFT JOIN hardware h ON h.hardware_id = r.hardware_id
"""


def flat_query(model: str | None = None, hardware: str | None = None, since=None,
               extra_where: list[str] | None = None) -> tuple[str, list]:
    """The flat SELECT with optional filters; returns (sql, params). Values are parameters."""
    where, params = list(extra_where or []), []
    if model is not None:
        where.append("model_name = ?")
        params.append(model)
    if hardware is not None:
        where.append("hardware_type = ?")
        params.append(hardware)
    if since is not None:
        where.append("measured_at >= ?")
        params.append(since)
    sql = f"SELECT * FROM ({FLAT_SELECT}) flat"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY measured_at NULLS LAST, result_id", params
