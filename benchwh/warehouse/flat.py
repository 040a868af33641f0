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
# Contract columns that are not the results column of the same name: where each comes from.
_JOINED = {
    "source": "ru.origin", "model_name": "m.model_name",
    "model_family": "coalesce(r.model_family, m.model_family)", "modality": "coalesce(r.modality, m.modality)",
    "hardware_type": "h.hardware_type", "device_name": "h.device_name",
    "git_commit": "ru.git_commit", "git_branch": "ru.git_branch", "host": "ru.host",
}


def _item(column: str) -> str:
    expr = _JOINED.get(column, f"r.{column}")
    return expr if expr.endswith(f".{column}") else f"{expr} AS {column}"


# Derived from CONTRACT_COLUMNS (every column not in _JOINED is the results column of that
# name; tests/test_export.py checks them against the schema).
FLAT_SELECT = ("\nSELECT\n    " + ",\n    ".join(_item(c) for c in CONTRACT_COLUMNS) + """
FROM results r
LEFT JOIN runs ru ON ru.run_id = r.run_id
LEFT JOIN models m ON m.model_id = r.model_id
LEFT JOIN hardware h ON h.hardware_id = r.hardware_id
""")
