"""Column lists of the current schema, as the writer and readers use them.

The migrations are the source of truth for the schema; ``tests/test_migrations.py`` checks
that these lists match the migrated tables column for column.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us")
S, D, I, B = pa.string(), pa.float64(), pa.int32(), pa.bool_()

LATENCY_STATS = ("mean", "p50", "p90", "p95", "p99", "min", "max", "std")

# A generic benchmark's identity and unit on a result (revision 3); ``benchmark_params`` is
# canonical JSON text (sorted keys), NULL for a result without parameters.
GENERIC_COLUMNS = ("benchmark", "benchmark_params", "reported_unit")

SCHEMAS: dict[str, pa.Schema] = {
    "runs": pa.schema([
        ("run_id", S), ("origin", S), ("started_at", TS), ("run_key", S), ("git_commit", S),
        ("git_branch", S), ("command_line", S), ("host", S), ("python_version", S),
        ("library_versions", S), ("environment", S), ("hardware_fingerprint", S), ("metadata", S),
        ("inserted_at", TS),
        # revision 0004: how started_at was obtained; values sources disagree on, with sources
        ("time_basis", S), ("metadata_sources", S), ("recorded_start", TS),
    ]),
    "models": pa.schema([
        ("model_id", S), ("model_name", S), ("model_family", S), ("modality", S), ("metadata", S),
        ("inserted_at", TS),
        ("metadata_sources", S),  # revision 0004
    ]),
    "hardware": pa.schema([("hardware_id", S), ("hardware_type", S), ("device_name", S), ("inserted_at", TS)]),
    "results": pa.schema([
        ("result_id", S), ("run_id", S), ("model_id", S), ("hardware_id", S), ("model_family", S),
        ("modality", S), ("mode", S), ("scenario", S), ("batch_size", I), ("sequence_length", I),
        ("input_shape", S), ("precision", S), ("status", S), ("error", S),
        *[(f"latency_ms_{s}", D) for s in LATENCY_STATS],
        ("latency_samples_ms", pa.list_(D)), ("throughput_items_per_s", D),
        ("throughput_tokens_per_s", D), ("memory_peak_mb", D), ("load_time_ms", D),
        ("iterations", I), ("warmup_iterations", I), ("metrics", S), ("is_simulated", B),
        ("simulation_reason", S), ("measured_at", TS), ("source_file", S), ("source_sha256", S),
        ("source_pointer", S), ("inserted_at", TS),
        # revision 3: a generic benchmark's identity (GENERIC_COLUMNS)
        ("benchmark", S), ("benchmark_params", S), ("reported_unit", S),
        # revision 0004: how measured_at was obtained; suspected placeholder and its evidence
        ("time_basis", S), ("suspected_placeholder", B), ("placeholder_evidence", S), ("recorded_at", TS),
    ]),
    "compatibility": pa.schema([
        ("compat_id", S), ("run_id", S), ("model_id", S), ("hardware_id", S), ("compatible", B),
        ("status", S), ("error", S), ("details", S), ("is_simulated", B), ("simulation_reason", S),
        ("measured_at", TS), ("source_file", S), ("source_sha256", S), ("source_pointer", S),
        ("inserted_at", TS),
        ("time_basis", S), ("recorded_at", TS),  # revision 0004
    ]),
    "test_results": pa.schema([
        ("test_id", S), ("run_id", S), ("module", S), ("test_name", S), ("model_name", S),
        ("hardware_type", S), ("status", S), ("duration_s", D), ("error", S), ("details", S),
        ("is_simulated", B), ("simulation_reason", S), ("measured_at", TS), ("source_file", S),
        ("source_sha256", S), ("source_pointer", S), ("inserted_at", TS),
        ("time_basis", S), ("recorded_at", TS),  # revision 0004
    ]),
    "import_ledger": pa.schema([
        ("ledger_id", S), ("file_sha256", S), ("path", S), ("size_bytes", pa.int64()), ("format", S),
        ("parser_version", I), ("status", S), ("results", I), ("compat", I), ("tests", I),
        ("reason", S), ("imported_at", TS),
        ("file_key", pa.int64()),  # revision 5: the digest's first 60 bits (``ledger_key``)
    ]),
    "annotations": pa.schema([
        ("annotation_id", S), ("kind", S), ("model_name", S), ("hardware_type", S), ("device_name", S),
        ("batch_size", I), ("sequence_length", I), ("precision", S), ("metric", S),
        ("effective_at", TS), ("note", S), ("created_at", TS),
        ("benchmark", S), ("benchmark_params", S),  # revision 3
    ]),
}

def ledger_key(file_sha256: str) -> int | None:
    """``import_ledger.file_key`` of a digest: its first 15 hex digits as a number (what
    revision 5 computes for the rows before it); None for text that is not a sha256 digest."""
    if len(file_sha256) == 64 and not file_sha256.strip("0123456789abcdef"):
        return int(file_sha256[:15], 16)
    return None


def ledger_key_sql(column: str) -> str:
    """``ledger_key`` of the text column ``column`` (a fixed name), as SQL."""
    return (f"CASE WHEN regexp_full_match({column}, '[0-9a-f]{{64}}') "
            f"THEN CAST('0x' || substr({column}, 1, 15) AS BIGINT) END")


ID_COLUMN = {
    "runs": "run_id", "models": "model_id", "hardware": "hardware_id", "results": "result_id",
    "compatibility": "compat_id", "test_results": "test_id", "import_ledger": "ledger_id",
    "annotations": "annotation_id",
}

# Order matters for writes: dimensions first, so a reader never sees a result without its run.
WRITE_ORDER = ("runs", "models", "hardware", "results", "compatibility", "test_results",
               "import_ledger", "annotations")
