"""Small legacy-shaped warehouses for the ``adopt`` tests, built here with duckdb, sqlite3 and
pyarrow in the shapes the legacy scripts wrote (see FORMATS.md, "The legacy warehouse schemas",
and the files in ../shared/legacy_corpus/legacy_db/). Each builder returns the file's path and
puts in a few real rows beside the seeded samples and zero fills, so tests can count what is
carried, flagged and refused. The tests in this module check each shape is recognised as its
family; the counts are checked in test_adopt.py.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchwh.warehouse.adopt import convert_file

# The seed of create_benchmark_schema.py (--sample-data): fake devices, real model names.
SAMPLE_HARDWARE = [
    (1, "cpu", "Intel Core i9-12900K", "x86_64"), (2, "cuda", "NVIDIA RTX 4090", "CUDA"),
    (3, "rocm", "AMD Radeon RX 7900 XTX", "ROCm"), (4, "mps", "Apple M2 Ultra", "macOS"),
    (5, "openvino", "Intel Neural Compute Stick 2", "OpenVINO"), (6, "webnn", "Chrome Browser", "WebNN"),
    (7, "webgpu", "Firefox Browser", "WebGPU"),
]
SAMPLE_MODELS = [
    (1, "bert-base-uncased", "bert", "text"), (2, "t5-small", "t5", "text"),
    (3, "whisper-tiny", "whisper", "audio"), (4, "opt-125m", "llama", "text"),
    (5, "vit-base", "vit", "image"), (6, "llava-onevision-base", "llava", "multimodal"),
]
SEED_TIME = datetime(2025, 3, 2, 22, 19, 40)

STAR_DDL = """
CREATE TABLE hardware_platforms (hardware_id INTEGER PRIMARY KEY, hardware_type VARCHAR NOT NULL,
    device_name VARCHAR, platform VARCHAR, platform_version VARCHAR, driver_version VARCHAR,
    memory_gb FLOAT, compute_units INTEGER, metadata JSON, created_at TIMESTAMP);
CREATE TABLE models (model_id INTEGER PRIMARY KEY, model_name VARCHAR NOT NULL, model_family VARCHAR,
    modality VARCHAR, source VARCHAR, version VARCHAR, parameters_million FLOAT, metadata JSON,
    created_at TIMESTAMP);
CREATE TABLE test_runs (run_id INTEGER PRIMARY KEY, test_name VARCHAR NOT NULL, test_type VARCHAR NOT NULL,
    started_at TIMESTAMP, completed_at TIMESTAMP, execution_time_seconds FLOAT, success BOOLEAN,
    git_commit VARCHAR, git_branch VARCHAR, command_line VARCHAR, metadata JSON, created_at TIMESTAMP);
CREATE TABLE performance_results (result_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,
    model_id INTEGER NOT NULL, hardware_id INTEGER NOT NULL, test_case VARCHAR NOT NULL, batch_size INTEGER,
    precision VARCHAR, total_time_seconds FLOAT, average_latency_ms FLOAT, throughput_items_per_second FLOAT,
    memory_peak_mb FLOAT, iterations INTEGER, warmup_iterations INTEGER, metrics JSON, created_at TIMESTAMP);
CREATE TABLE performance_batch_results (batch_id INTEGER PRIMARY KEY, result_id INTEGER NOT NULL,
    batch_index INTEGER NOT NULL, batch_size INTEGER NOT NULL, latency_ms FLOAT, memory_usage_mb FLOAT,
    created_at TIMESTAMP);
CREATE TABLE hardware_compatibility (compatibility_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,
    model_id INTEGER NOT NULL, hardware_id INTEGER NOT NULL, is_compatible BOOLEAN NOT NULL,
    detection_success BOOLEAN NOT NULL, initialization_success BOOLEAN NOT NULL, error_message VARCHAR,
    error_type VARCHAR, suggested_fix VARCHAR, workaround_available BOOLEAN, compatibility_score FLOAT,
    metadata JSON, created_at TIMESTAMP);
CREATE TABLE integration_test_results (test_result_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,
    test_module VARCHAR NOT NULL, test_class VARCHAR, test_name VARCHAR NOT NULL, status VARCHAR NOT NULL,
    execution_time_seconds FLOAT, hardware_id INTEGER, model_id INTEGER, error_message VARCHAR,
    error_traceback VARCHAR, metadata JSON, created_at TIMESTAMP);
CREATE TABLE integration_test_assertions (assertion_id INTEGER PRIMARY KEY, test_result_id INTEGER NOT NULL,
    assertion_name VARCHAR NOT NULL, passed BOOLEAN NOT NULL, expected_value VARCHAR, actual_value VARCHAR,
    message VARCHAR, created_at TIMESTAMP);
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _seed(con) -> None:
    for hid, typ, name, platform in SAMPLE_HARDWARE:
        con.execute("INSERT INTO hardware_platforms (hardware_id, hardware_type, device_name, platform, created_at) "
                    "VALUES (?, ?, ?, ?, ?)", [hid, typ, name, platform, SEED_TIME])
    for mid, name, family, modality in SAMPLE_MODELS:
        con.execute("INSERT INTO models (model_id, model_name, model_family, modality, source, created_at) "
                    "VALUES (?, ?, ?, ?, 'huggingface', ?)", [mid, name, family, modality, SEED_TIME])


def build_star(path: Path) -> Path:
    """Star schema: the 7+6 seed, the seed's sample run and two sample results, plus a real run
    with two real results (one with a 0-filled throughput), one zero-filled row and one row
    whose model_id resolves to nothing; compatibility and integration rows likewise."""
    con = duckdb.connect(str(path))
    con.execute("BEGIN TRANSACTION")
    con.execute(STAR_DDL)
    _seed(con)
    con.execute("INSERT INTO hardware_platforms (hardware_id, hardware_type, device_name, platform) VALUES "
                "(8, 'cuda', 'NVIDIA A10G', 'CUDA'), (9, 'cpu', 'AMD EPYC 7R13', 'x86_64')")
    con.execute("INSERT INTO test_runs VALUES "
                "(1, 'performance_benchmark_bert', 'performance', NULL, NULL, 3600.0, true, 'a404c5a', 'main', "
                " 'python test/run_model_benchmarks.py --model bert-base-uncased', '{}', NULL), "
                "(10, 'performance_benchmark_bert', 'performance', TIMESTAMP '2025-03-04 10:00:00', "
                " TIMESTAMP '2025-03-04 10:20:00', 1200.0, true, 'abc1234', 'main', "
                " 'python test/run_model_benchmarks.py --hardware cuda', '{\"environment\": \"local\"}', NULL)")
    con.execute("INSERT INTO performance_results VALUES "
                # real: every metric measured
                "(1, 10, 1, 8, 'embedding', 1, 'fp16', 1.25, 12.5, 80.0, 1500.0, 100, 10, '{\"gpu_util\": 71.0}',"
                " TIMESTAMP '2025-03-04 10:05:00'),"
                # real latency; throughput and memory are the 0 fill
                "(2, 10, 2, 9, 'text_generation', 4, 'fp32', NULL, 48.0, 0.0, 0.0, 50, 5, '{}',"
                " TIMESTAMP '2025-03-04 10:10:00'),"
                # zero-filled placeholder
                "(3, 10, 1, 8, 'default', 1, 'fp32', 0.0, 0.0, 0.0, 0.0, NULL, NULL, '{}',"
                " TIMESTAMP '2025-03-04 10:11:00'),"
                # the seed's sample results on the fake devices
                "(4, 1, 1, 1, 'embedding', 1, 'fp32', 120.5, 25.3, 39.5, 1200.0, 100, 10, '{}', NULL),"
                "(5, 1, 1, 2, 'embedding', 1, 'fp32', 30.2, 6.1, 163.9, 2300.0, 100, 10, '{}', NULL),"
                # model 99 is in no models row
                "(6, 10, 99, 8, 'embedding', 1, 'fp32', NULL, 5.0, 200.0, NULL, NULL, NULL, '{}', NULL)")
    con.execute("INSERT INTO performance_batch_results VALUES "
                "(1, 1, 0, 1, 12.1, 1490.0, NULL), (2, 1, 1, 1, 12.9, 1500.0, NULL), (3, 3, 0, 1, 0.0, 0.0, NULL)")
    con.execute("INSERT INTO hardware_compatibility VALUES "
                "(1, 10, 3, 8, true, true, true, NULL, NULL, NULL, NULL, 1.0, NULL, TIMESTAMP '2025-03-04 10:15:00'),"
                "(2, 1, 6, 3, false, true, false, 'ROCm support not implemented for LLaVA models',"
                " 'UnsupportedHardwareError', 'Use CUDA instead', false, 0.0, NULL, NULL)")
    con.execute("INSERT INTO integration_test_results VALUES "
                "(1, 10, 'test_hardware_backend', 'TestHardwareDetection', 'test_cuda_detection', 'pass', 2.5, 8,"
                " NULL, NULL, NULL, NULL, TIMESTAMP '2025-03-04 10:16:00'),"
                "(2, 1, 'test_hardware_backend', 'TestHardwareDetection', 'test_cpu_detection', 'pass', 2.3, 1,"
                " NULL, NULL, NULL, NULL, NULL)")
    con.execute("INSERT INTO integration_test_assertions VALUES "
                "(1, 1, 'assert_cuda_version_compatible', true, 'True', 'True', 'CUDA version is compatible', NULL),"
                "(2, 2, 'assert_cpu_features_detected', true, 'True', 'True', 'CPU features detected', NULL)")
    con.execute("COMMIT")
    con.close()
    return path


def build_drifted(path: Path) -> Path:
    """The star schema as committed at 90b80efc3: test_runs with a leading ``id`` column and
    metadata as VARCHAR, hardware columns reordered, no created_at, no NOT NULLs. Three of the
    API's zero-filled ``unknown_model`` rows (each with its own placeholder run) and one real row."""
    con = duckdb.connect(str(path))
    con.execute("BEGIN TRANSACTION")
    con.execute("""
    CREATE TABLE hardware_platforms (hardware_id INTEGER, hardware_type VARCHAR, device_name VARCHAR,
        platform VARCHAR, memory_gb FLOAT, compute_units INTEGER, metadata JSON, platform_version VARCHAR,
        driver_version VARCHAR);
    CREATE TABLE models (model_id INTEGER, model_name VARCHAR, model_family VARCHAR, modality VARCHAR,
        source VARCHAR, version VARCHAR, parameters_million FLOAT, metadata JSON);
    CREATE TABLE test_runs (id INTEGER, run_id INTEGER, test_name VARCHAR, test_type VARCHAR, success BOOLEAN,
        started_at TIMESTAMP, completed_at TIMESTAMP, execution_time_seconds FLOAT, metadata VARCHAR,
        git_commit VARCHAR, git_branch VARCHAR, command_line VARCHAR);
    CREATE TABLE performance_results (result_id INTEGER, run_id INTEGER, model_id INTEGER, hardware_id INTEGER,
        test_case VARCHAR, batch_size INTEGER, precision VARCHAR, throughput_items_per_second FLOAT,
        average_latency_ms FLOAT, memory_peak_mb FLOAT, total_time_seconds FLOAT, iterations INTEGER,
        warmup_iterations INTEGER, metrics JSON);
    """)
    con.execute("INSERT INTO hardware_platforms VALUES "
                "(1, 'cpu', 'CPU', 'unknown', 0.0, 0, NULL, 'unknown', 'unknown')")
    con.execute("INSERT INTO models VALUES (1, 'unknown_model', NULL, NULL, 'unknown', '1.0', NULL, NULL), "
                "(2, 'bert-base-uncased', 'bert', 'text', 'huggingface', NULL, NULL, NULL)")
    for i in (1, 2, 3):
        t = datetime(2025, 3, 6, 18, 36, i)
        con.execute("INSERT INTO test_runs VALUES (NULL, ?, 'performance_benchmark_unknown_model', 'performance',"
                    " true, ?, ?, 0.0, '{\"source\": \"api\"}', NULL, NULL, NULL)", [i, t, t])
        con.execute("INSERT INTO performance_results VALUES (?, ?, 1, 1, 'default', 1, 'fp32', 0.0, 0.0, 0.0,"
                    " NULL, NULL, NULL, '{}')", [i, i])
    con.execute("INSERT INTO test_runs VALUES (NULL, 4, 'performance_benchmark_bert', 'performance', true,"
                " TIMESTAMP '2025-03-06 19:00:00', TIMESTAMP '2025-03-06 19:01:00', 60.0, '{\"source\": \"api\"}',"
                " 'def5678', 'main', NULL)")
    con.execute("INSERT INTO performance_results VALUES (4, 4, 2, 1, 'embedding', 2, 'fp32', 105.0, 9.5, 0.0,"
                " NULL, 20, 2, '{}')")
    con.execute("COMMIT")
    con.close()
    return path


FLAT_DDL = """CREATE TABLE benchmark_performance (id INTEGER PRIMARY KEY, model VARCHAR, hardware VARCHAR,
    device VARCHAR, batch_size INTEGER, precision VARCHAR, throughput FLOAT, latency_avg FLOAT,
    latency_p90 FLOAT, latency_p95 FLOAT, latency_p99 FLOAT, memory_peak FLOAT, timestamp TIMESTAMP,
    source_file VARCHAR, notes VARCHAR)"""

# (model, hardware, device, batch, precision, throughput, avg, p90, p95, p99, memory, time, source file)
FLAT_ROWS = [
    ("bert-base-uncased", "CUDA", "cuda:0", 8, "fp16", 410.5, 55.227264, 61.0, 0.0, 0.0, 2048.0,
     datetime(2025, 3, 5, 19, 57, 14, 299984), "benchmark_bert_cuda_20250305_195715.json"),
    ("t5-small", "cpu", "unknown", 1, "fp32", 0.0, 88.0, 0.0, 0.0, 0.0, 0.0,
     datetime(2025, 3, 5, 19, 57, 13, 297083), "benchmark_t5_cpu_20250305_195714.json"),
    # the converter's fills: model/hardware unknown, every metric 0
    ("unknown", "unknown", "unknown", 1, "fp32", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
     datetime(2025, 3, 5, 22, 49, 44), "result.json"),
    ("llama3", "unknown", "unknown", 1, "fp32", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
     datetime(2025, 3, 1, 18, 45, 10), "ollama_backoff_queue_comprehensive_20250301_184510.json"),
    ("unknown", "unknown", "unknown", 1, "fp32", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
     datetime(2025, 3, 5, 22, 50, 9), "hf_bert_test_results.json"),
    # a real latency whose model the converter could not name
    ("unknown", "CPU", "unknown", 1, "fp32", 0.0, 5.0, 0.0, 0.0, 0.0, 0.0,
     datetime(2025, 3, 5, 22, 50, 20), "clip_cpu_test.json"),
]


def build_flat(path: Path) -> Path:
    """benchmark_db_converter.py's tables: 2 real performance rows (with 0 fills), 3 zero-filled,
    1 unnamed model; 1 compatibility row; 1 hardware inventory row."""
    con = duckdb.connect(str(path))
    con.execute("BEGIN TRANSACTION")
    con.execute(FLAT_DDL)
    for i, row in enumerate(FLAT_ROWS, start=1):
        con.execute("INSERT INTO benchmark_performance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
                    [i, *row])
    con.execute("""CREATE TABLE benchmark_compatibility (id INTEGER PRIMARY KEY, model VARCHAR,
        hardware_type VARCHAR, is_compatible BOOLEAN, compatibility_level VARCHAR, error_message VARCHAR,
        error_type VARCHAR, memory_required FLOAT, memory_available FLOAT, timestamp TIMESTAMP, source_file VARCHAR)""")
    con.execute("INSERT INTO benchmark_compatibility VALUES (1, 'bert-base-uncased', 'cuda', true, 'full', '', '',"
                " 0.0, 0.0, TIMESTAMP '2025-03-05 19:00:00', 'hardware_compatibility_matrix.json')")
    con.execute("""CREATE TABLE benchmark_hardware (id INTEGER PRIMARY KEY, hardware_type VARCHAR,
        device_name VARCHAR, is_available BOOLEAN, platform VARCHAR, driver_version VARCHAR, memory_total FLOAT,
        memory_free FLOAT, compute_capability VARCHAR, error VARCHAR, timestamp TIMESTAMP, source_file VARCHAR)""")
    con.execute("INSERT INTO benchmark_hardware VALUES (1, 'cpu', 'Unknown CPU', true, 'unknown', 'n/a', 0.0, 0.0,"
                " 'n/a', '', TIMESTAMP '2025-03-05 19:00:00', 'hardware_detection.json')")
    con.execute("COMMIT")
    con.close()
    return path


def build_flat_parquet(path: Path) -> Path:
    """The converter's Parquet export of benchmark_performance (no id; float32 metrics)."""
    cols = list(zip(*FLAT_ROWS))
    f32 = pa.float32()
    table = pa.table({
        "model": pa.array(cols[0], pa.string()), "hardware": pa.array(cols[1], pa.string()),
        "device": pa.array(cols[2], pa.string()), "batch_size": pa.array(cols[3], pa.int32()),
        "precision": pa.array(cols[4], pa.string()), "throughput": pa.array(cols[5], f32),
        "latency_avg": pa.array(cols[6], f32), "latency_p90": pa.array(cols[7], f32),
        "latency_p95": pa.array(cols[8], f32), "latency_p99": pa.array(cols[9], f32),
        "memory_peak": pa.array(cols[10], f32), "timestamp": pa.array(cols[11], pa.timestamp("ms")),
        "source_file": pa.array(cols[12], pa.string()), "notes": pa.array([""] * len(FLAT_ROWS), pa.string()),
    })
    pq.write_table(table, path)
    return path


_STORE_FIELDS = [
    ("benchmark_id", pa.string()), ("timestamp", pa.string()), ("version", pa.string()),
    ("model_name", pa.string()), ("model_family", pa.string()), ("model_size", pa.string()),
    ("model_modality", pa.string()), ("model_parameters", pa.int64()), ("hardware_type", pa.string()),
    ("hardware_name", pa.string()), ("hardware_memory", pa.int64()), ("hardware_compute_units", pa.int64()),
    ("batch_size", pa.int64()), ("sequence_length", pa.int64()), ("precision", pa.string()),
    ("test_type", pa.string()), ("warmup_iterations", pa.int64()), ("benchmark_iterations", pa.int64()),
    ("avg_latency", pa.float64()), ("p50_latency", pa.float64()), ("p90_latency", pa.float64()),
    ("p99_latency", pa.float64()), ("min_latency", pa.float64()), ("max_latency", pa.float64()),
    ("std_latency", pa.float64()), ("throughput", pa.float64()), ("peak_memory_usage", pa.int64()),
    ("avg_memory_usage", pa.int64()), ("memory_utilization", pa.float64()),
    ("samples_per_second", pa.float64()), ("gradient_computation_time", pa.float64()),
    ("status", pa.string()), ("error", pa.string()),
    ("metadata", pa.struct([("notes", pa.string()), ("tags", pa.list_(pa.string()))])),
]


def _store_row(bid: str, model: str, hw: str, hw_name: str, lat_s: float | None, thr: float | None,
               peak_bytes: int | None, status: str = "completed", error: str | None = None,
               notes: str | None = None, tags: list[str] | None = None) -> dict:
    lat = lat_s if lat_s is not None else 0.0
    return {
        "benchmark_id": bid, "timestamp": "2025-03-02T20:57:47.433331", "version": "1.0.0",
        "model_name": model, "model_family": "embedding", "model_size": "base", "model_modality": "text",
        "model_parameters": 110_000_000, "hardware_type": hw, "hardware_name": hw_name,
        "hardware_memory": 24 * 1024**3, "hardware_compute_units": 80, "batch_size": 4, "sequence_length": 128,
        "precision": "fp16", "test_type": "inference", "warmup_iterations": 5, "benchmark_iterations": 50,
        "avg_latency": lat, "p50_latency": lat, "p90_latency": lat * 1.1, "p99_latency": lat * 1.3,
        "min_latency": lat * 0.9, "max_latency": lat * 1.4, "std_latency": lat * 0.05,
        "throughput": thr if thr is not None else 0.0, "peak_memory_usage": peak_bytes or 0,
        "avg_memory_usage": (peak_bytes or 0) // 2, "memory_utilization": 0.0, "samples_per_second": None,
        "gradient_computation_time": None, "status": status, "error": error,
        "metadata": {"notes": notes, "tags": tags or []},
    }


def build_store(path: Path) -> Path:
    """The pre-DuckDB Parquet store: 2 real rows (seconds, bytes), 1 failed attempt with no
    numbers, 1 zero-filled completed row, 3 rows of the store's generated sample data."""
    rows = [
        _store_row("real-1", "bert-base-uncased", "cuda", "NVIDIA A10G", 0.0125, 320.0, 1024**3),
        _store_row("real-2", "bert-base-uncased", "cpu", "AMD EPYC 7R13", 0.25, 16.0, 512 * 1024**2),
        _store_row("failed-1", "t5-small", "cuda", "NVIDIA A10G", None, None, None, status="failed",
                   error="CUDA out of memory"),
        _store_row("zero-1", "t5-small", "cpu", "AMD EPYC 7R13", None, None, None),
    ] + [
        _store_row(f"sample-{i}", f"sample-model-{i}", "mps", f"sample-hardware-{i}", 0.5, 100.0, 10**9,
                   notes="Sample benchmark data for testing", tags=["sample", "test"])
        for i in (1, 2, 3)
    ]
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(_STORE_FIELDS)), path)
    return path


def build_store_index(path: Path) -> Path:
    names = ["benchmark_id", "timestamp", "model_name", "model_family", "hardware_type", "batch_size",
             "test_type", "status"]
    rows = [{"benchmark_id": f"real-{i}", "timestamp": "2025-03-02T20:57:47", "model_name": "bert-base-uncased",
             "model_family": "embedding", "hardware_type": "cuda", "batch_size": 4, "test_type": "inference",
             "status": "completed"} for i in (1, 2)]
    pq.write_table(pa.Table.from_pylist(rows).select(names), path)
    return path


def build_web(path: Path) -> Path:
    """Star tables + web tables: one web run, a measured WebGPU result with its advanced
    features row, a failed attempt (success false, no numbers) and a zero-filled row."""
    con = duckdb.connect(str(path))
    con.execute("BEGIN TRANSACTION")
    con.execute(STAR_DDL)
    con.execute("""CREATE TABLE web_platform_results (result_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,
        model_id INTEGER NOT NULL, hardware_id INTEGER NOT NULL, platform VARCHAR NOT NULL, browser VARCHAR,
        browser_version VARCHAR, test_file VARCHAR, success BOOLEAN, load_time_ms FLOAT, initialization_time_ms FLOAT,
        inference_time_ms FLOAT, total_time_ms FLOAT, shader_compilation_time_ms FLOAT, memory_usage_mb FLOAT,
        error_message VARCHAR, metrics JSON, created_at TIMESTAMP);
    CREATE TABLE webgpu_advanced_features (feature_id INTEGER PRIMARY KEY, result_id INTEGER NOT NULL,
        compute_shader_support BOOLEAN, parallel_compilation BOOLEAN, shader_cache_hit BOOLEAN, workgroup_size INTEGER,
        compute_pipeline_time_ms FLOAT, pre_compiled_pipeline BOOLEAN, memory_optimization_level VARCHAR,
        audio_acceleration BOOLEAN, video_acceleration BOOLEAN, created_at TIMESTAMP)""")
    con.execute("INSERT INTO hardware_platforms (hardware_id, hardware_type, device_name, platform) "
                "VALUES (1, 'webgpu', 'WebGPU', 'web')")
    con.execute("INSERT INTO models (model_id, model_name, model_family, modality) "
                "VALUES (1, 'bert-base-uncased', 'bert', 'text')")
    con.execute("INSERT INTO test_runs VALUES (1, 'web_platform_tests_20250306_184131', 'web_platform',"
                " TIMESTAMP '2025-03-06 18:41:31.567878', TIMESTAMP '2025-03-06 18:41:35.021021', 3.026, true,"
                " '8fc40de', 'main', 'python run_web_platform_tests_with_db.py --models bert --run-webgpu',"
                " '{}', NULL)")
    con.execute("INSERT INTO web_platform_results VALUES "
                "(1, 1, 1, 1, 'webgpu', 'chrome', '122.0', 'web_bert.html', true, 800.0, 120.0, 35.5, 955.5, 45.0,"
                " 300.0, NULL, '{}', TIMESTAMP '2025-03-06 18:41:33'),"
                "(2, 1, 1, 1, 'webgpu', 'firefox', '123.0', 'web_bert.html', false, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,"
                " 'WebGPU adapter not available', '{}', TIMESTAMP '2025-03-06 18:41:34'),"
                "(3, 1, 1, 1, 'webgpu', 'edge', '121.0', 'web_bert.html', true, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,"
                " NULL, '{}', TIMESTAMP '2025-03-06 18:41:35')")
    con.execute("INSERT INTO webgpu_advanced_features VALUES (1, 1, true, true, false, 256, 12.0, true, 'high',"
                " false, false, NULL)")
    con.execute("COMMIT")
    con.close()
    return path


def build_sqlite(path: Path) -> Path:
    """The SQLite copy with the schema-enhancement tables: its sample data (4 seeded devices,
    3 models, 3 results and 2 history rows on them, 2 relationship and 2 mobile rows) plus one
    real history row on a real device, as SQLite text timestamps."""
    con = sqlite3.connect(path)
    con.executescript("""
    CREATE TABLE hardware_platforms (hardware_id INTEGER PRIMARY KEY, hardware_type TEXT NOT NULL, device_name TEXT,
        platform TEXT, platform_version TEXT, driver_version TEXT, memory_gb REAL, compute_units INTEGER,
        metadata TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE models (model_id INTEGER PRIMARY KEY, model_name TEXT NOT NULL, model_family TEXT, modality TEXT,
        source TEXT, version TEXT, parameters_million REAL, metadata TEXT, created_at TIMESTAMP);
    CREATE TABLE performance_results (result_id INTEGER PRIMARY KEY, run_id INTEGER, model_id INTEGER,
        hardware_id INTEGER, test_case TEXT, batch_size INTEGER DEFAULT 1, precision TEXT, total_time_seconds REAL,
        average_latency_ms REAL, throughput_items_per_second REAL, memory_peak_mb REAL, iterations INTEGER,
        warmup_iterations INTEGER, metrics TEXT, created_at TIMESTAMP DEFAULT '2025-03-06 21:41:54');
    CREATE TABLE performance_history (id INTEGER PRIMARY KEY, model_id INTEGER, hardware_id INTEGER,
        batch_size INTEGER, timestamp TIMESTAMP, git_commit_hash TEXT, throughput_items_per_second REAL,
        latency_ms REAL, memory_mb REAL, power_watts REAL, baseline_performance_id INTEGER,
        regression_detected INTEGER, regression_severity TEXT, notes TEXT);
    CREATE TABLE hardware_platform_relationships (id INTEGER PRIMARY KEY, source_hardware_id INTEGER,
        target_hardware_id INTEGER, performance_ratio REAL, relationship_type TEXT, confidence_score REAL);
    CREATE TABLE mobile_edge_metrics (id INTEGER PRIMARY KEY, performance_id INTEGER, device_model TEXT,
        battery_impact_percent REAL, thermal_throttling_detected INTEGER);
    INSERT INTO hardware_platforms (hardware_id, hardware_type, device_name, platform) VALUES
        (1, 'cpu', 'Intel Core i9-12900K', 'x86_64'), (2, 'cuda', 'NVIDIA RTX 4090', 'CUDA'),
        (3, 'rocm', 'AMD Radeon RX 7900 XTX', 'ROCm'), (4, 'mps', 'Apple M2 Ultra', 'macOS'),
        (5, 'cuda', 'NVIDIA L4', 'CUDA');
    INSERT INTO models (model_id, model_name, model_family, modality, source) VALUES
        (1, 'bert-base-uncased', 'bert', 'text', 'huggingface'), (2, 't5-small', 't5', 'text', 'huggingface'),
        (3, 'whisper-tiny', 'whisper', 'audio', 'huggingface');
    INSERT INTO performance_results (result_id, model_id, hardware_id, test_case, batch_size) VALUES
        (1, 1, 1, 'embedding', 1), (2, 1, 2, 'embedding', 1), (3, 2, 1, 'text_generation', 1);
    INSERT INTO performance_history (id, model_id, hardware_id, batch_size, timestamp,
        throughput_items_per_second, latency_ms, regression_detected) VALUES
        (1, 1, 1, 1, '2025-03-06 21:41:54', 39.5, 25.3, 0), (2, 1, 2, 1, '2025-03-06 21:41:54', 163.9, 6.1, 0);
    INSERT INTO performance_history (id, model_id, hardware_id, batch_size, timestamp, git_commit_hash,
        throughput_items_per_second, latency_ms, memory_mb, regression_detected) VALUES
        (3, 3, 5, 1, '2025-03-07 09:30:00', '54e5bc5', 0.0, 210.0, 900.0, 0);
    INSERT INTO hardware_platform_relationships VALUES (1, 2, 1, 3.5, 'acceleration', 0.95),
        (2, 3, 1, 2.8, 'acceleration', 0.92);
    INSERT INTO mobile_edge_metrics VALUES (1, 1, 'Snapdragon 8 Gen 3', 12.5, 0), (2, 2, 'Apple M2 Ultra', 8.2, 0);
    """)
    con.commit()
    con.close()
    return path


def build_csv(path: Path) -> Path:
    """A CSV export of performance_results alone: ids without the tables that name them."""
    path.write_text(
        "result_id,run_id,model_id,hardware_id,test_case,batch_size,precision,total_time_seconds,"
        "average_latency_ms,throughput_items_per_second,memory_peak_mb,iterations,warmup_iterations,"
        "metrics,created_at\n"
        "1,1,1,1,embedding,1,fp32,5.522726,55.227264,133.26736,2874.3987,100,10,{},2025-03-03 05:31:01.215\n"
        "2,2,1,2,embedding,1,fp32,9.337961,93.37961,121.155075,3944.9312,100,10,{},2025-03-03 05:33:34.318\n"
    )
    return path


BUILDERS = {
    "star.duckdb": (build_star, "star"),
    "drifted.duckdb": (build_drifted, "star-drifted"),
    "flat.duckdb": (build_flat, "flat"),
    "flat.parquet": (build_flat_parquet, "flat"),
    "store.parquet": (build_store, "parquet-store"),
    "store_index.parquet": (build_store_index, "parquet-index"),
    "web.duckdb": (build_web, "star+web"),
    "legacy.sqlite": (build_sqlite, "star"),
    "perf.csv": (build_csv, "star"),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_shape_is_recognised_as_its_family(tmp_path: Path, name: str) -> None:
    build, family = BUILDERS[name]
    path = build(tmp_path / name)
    report, _ = convert_file(path)
    assert report.family == family
    assert sum(report.rows.values()) == report.n_carried + report.n_flagged + report.n_refused


def test_family_comes_from_content_not_name(tmp_path: Path) -> None:
    # a flat converter database named like a star-schema file is still the flat family
    path = build_flat(tmp_path / "benchmark_db@b4a8e2df8.duckdb")
    assert convert_file(path)[0].family == "flat"
    store = build_store(tmp_path / "performance_results.csv")
    assert convert_file(store)[0].family == "parquet-store"
