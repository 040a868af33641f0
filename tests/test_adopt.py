"""``adopt`` on legacy-shaped files built by the tests (test_adopt_shapes.py): counts of rows
carried, flagged and refused per table and reason, the values that land in the warehouse, no
0 that the source did not measure, idempotence, and the legacy file byte-identical after."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from benchwh.cli.main import main
from benchwh.warehouse.adopt import adopt, convert_file
from benchwh.legacy_import.adopt_base import R_CHILD, R_MODEL_UNNAMED, R_SAMPLE, R_ZERO
from benchwh.legacy_import.adopt_flat import R_INDEX, R_INVENTORY, R_SYNTHETIC
from benchwh.legacy_import.adopt_star import R_DIM_SEEDED, R_DIM_UNUSED, R_RUN_PLACEHOLDER
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from test_adopt_shapes import (
    build_csv, build_drifted, build_flat, build_flat_parquet, build_sqlite, build_star, build_store,
    build_store_index, build_web, sha256,
)

NOT_ADOPTED = "table is not part of a recognised legacy family: not adopted"
METRIC_COLUMNS = ("latency_ms_mean", "latency_ms_p50", "latency_ms_p90", "latency_ms_p95", "latency_ms_p99",
                  "latency_ms_min", "latency_ms_max", "latency_ms_std", "throughput_items_per_s",
                  "throughput_tokens_per_s", "memory_peak_mb", "load_time_ms")


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "w.duckdb"
    migrate(resolve(str(path)))
    return path


@pytest.fixture
def wh(_migrated: Path, tmp_path: Path) -> str:
    """A fresh warehouse at head: a copy of one migrated once per session (migrating is slow)."""
    dst = tmp_path / "w.duckdb"
    shutil.copy(_migrated, dst)
    return str(dst)


def tallies(ts) -> dict[tuple[str, str], int]:
    return {(t.table, t.reason): t.count for t in ts}


def rows(db: str, sql: str, params=()) -> list[dict]:
    con = duckdb.connect(db, read_only=True)
    try:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def result(db: str, pointer: str) -> dict:
    found = rows(db, "SELECT r.*, m.model_name, h.hardware_type, h.device_name, u.origin, u.run_key, "
                     "u.started_at, u.git_commit FROM results r JOIN models m USING (model_id) "
                     "JOIN hardware h USING (hardware_id) JOIN runs u USING (run_id) WHERE source_pointer = ?",
                 [pointer])
    assert len(found) == 1, pointer
    return found[0]


def assert_no_unmeasured_zero(db: str) -> None:
    """No adopted result holds a 0 latency, throughput, memory or load time: every 0 in these
    legacy shapes is a fill, never a measurement."""
    cond = " OR ".join(f"{c} = 0" for c in METRIC_COLUMNS)
    assert rows(db, f"SELECT count(*) AS n FROM results WHERE {cond}")[0]["n"] == 0
    for r in rows(db, "SELECT latency_samples_ms FROM results WHERE latency_samples_ms IS NOT NULL"):
        assert all(x > 0 for x in r["latency_samples_ms"])


def table_counts(db: str) -> dict[str, int]:
    return {t: rows(db, f"SELECT count(*) AS n FROM {t}")[0]["n"]
            for t in ("runs", "models", "hardware", "results", "compatibility", "test_results", "import_ledger")}


def test_star_schema(tmp_path: Path, wh: str) -> None:
    path = build_star(tmp_path / "star.duckdb")
    before = sha256(path)
    report = adopt(path, db=wh)
    assert sha256(path) == before

    assert report.family == "star" and report.kind == "duckdb"
    assert report.carried == {
        "hardware_compatibility": 1, "hardware_platforms": 2, "integration_test_assertions": 1,
        "integration_test_results": 1, "models": 3, "performance_batch_results": 2,
        "performance_results": 2, "test_runs": 1,
    }
    assert tallies(report.flagged) == {
        ("hardware_compatibility", R_SAMPLE): 1, ("hardware_platforms", R_DIM_SEEDED): 7,
        ("integration_test_assertions", R_CHILD): 1, ("integration_test_results", R_SAMPLE): 1,
        ("models", R_DIM_SEEDED): 3, ("performance_batch_results", R_CHILD): 1,
        ("performance_results", R_SAMPLE): 2, ("performance_results", R_ZERO): 1, ("test_runs", R_DIM_SEEDED): 1,
    }
    assert tallies(report.refused) == {("performance_results", "model_id not found in models"): 1}
    assert (report.n_carried, report.n_flagged, report.n_refused) == (13, 18, 1)
    assert report.zero_fills_nulled == {"memory_peak_mb": 1, "throughput_items_per_s": 1}
    assert report.records == {"results": 2, "compat": 1, "tests": 1, "runs": 1}

    r1 = result(wh, "performance_results/1")
    assert (r1["model_name"], r1["hardware_type"], r1["device_name"]) == ("bert-base-uncased", "cuda", "NVIDIA A10G")
    assert (r1["latency_ms_mean"], r1["throughput_items_per_s"], r1["memory_peak_mb"]) == (12.5, 80.0, 1500.0)
    assert (r1["batch_size"], r1["precision"], r1["scenario"], r1["iterations"], r1["warmup_iterations"]) == (
        1, "fp16", "embedding", 100, 10)
    assert r1["measured_at"] == datetime(2025, 3, 4, 10, 5)
    assert (r1["source_file"], r1["source_sha256"]) == ("star.duckdb", before)
    metrics = json.loads(r1["metrics"])
    assert metrics["gpu_util"] == 71.0 and metrics["total_time_s"] == 1.25
    assert [b["latency_ms"] for b in metrics["batch_results"]] == [12.1, 12.9]
    assert (r1["origin"], r1["git_commit"], r1["started_at"]) == (
        "legacy-warehouse:star", "abc1234", datetime(2025, 3, 4, 10, 0))

    r2 = result(wh, "performance_results/2")
    assert (r2["model_name"], r2["hardware_type"], r2["device_name"]) == ("t5-small", "cpu", "AMD EPYC 7R13")
    assert r2["latency_ms_mean"] == 48.0
    assert r2["throughput_items_per_s"] is None and r2["memory_peak_mb"] is None  # the source's 0 fills

    compat = rows(wh, "SELECT c.*, m.model_name, h.hardware_type FROM compatibility c JOIN models m "
                      "USING (model_id) JOIN hardware h USING (hardware_id)")
    assert [(c["model_name"], c["hardware_type"], c["compatible"]) for c in compat] == [("whisper-tiny", "cuda", True)]
    tests = rows(wh, "SELECT * FROM test_results")
    assert [(t["module"], t["test_name"], t["status"], t["duration_s"], t["hardware_type"]) for t in tests] == [
        ("test_hardware_backend", "test_cuda_detection", "passed", 2.5, "cuda")]
    assert json.loads(tests[0]["details"])["assertions"][0]["assertion_name"] == "assert_cuda_version_compatible"

    ledger = rows(wh, "SELECT * FROM import_ledger")
    assert len(ledger) == 1
    led = ledger[0]
    assert (led["format"], led["status"], led["path"], led["file_sha256"]) == (
        "adopt:star", "imported", "star.duckdb", before)
    assert (led["results"], led["compat"], led["tests"]) == (2, 1, 1)
    assert led["reason"].startswith("carried 13, flagged 18 (") and "refused 1 (" in led["reason"]
    assert_no_unmeasured_zero(wh)


def test_adopting_twice_adds_nothing(tmp_path: Path, wh: str) -> None:
    path = build_star(tmp_path / "star.duckdb")
    first = adopt(path, db=wh)
    after_first = table_counts(wh)
    second = adopt(path, db=wh)
    assert table_counts(wh) == after_first
    assert sum(first.inserted.values()) > 0
    assert all(n == 0 for n in second.inserted.values())
    assert (second.n_carried, second.n_flagged, second.n_refused) == (first.n_carried, first.n_flagged, first.n_refused)


def test_drifted_star_schema(tmp_path: Path, wh: str) -> None:
    path = build_drifted(tmp_path / "drifted.duckdb")
    before = sha256(path)
    report = adopt(path, db=wh)
    assert sha256(path) == before
    assert report.family == "star-drifted"
    assert report.carried == {"hardware_platforms": 1, "models": 1, "performance_results": 1, "test_runs": 1}
    assert tallies(report.flagged) == {
        ("models", R_DIM_UNUSED): 1, ("performance_results", R_ZERO): 3, ("test_runs", R_RUN_PLACEHOLDER): 3}
    assert report.refused == []
    r = result(wh, "performance_results/4")
    assert (r["model_name"], r["hardware_type"], r["device_name"]) == ("bert-base-uncased", "cpu", None)
    assert (r["latency_ms_mean"], r["throughput_items_per_s"], r["memory_peak_mb"]) == (9.5, 105.0, None)
    # no created_at in the drifted table: the result takes its run's start
    assert r["measured_at"] == r["started_at"] == datetime(2025, 3, 6, 19, 0)
    assert r["git_commit"] == "def5678"
    assert_no_unmeasured_zero(wh)


@pytest.mark.parametrize("builder,name", [(build_flat, "flat.duckdb"), (build_flat_parquet, "flat.parquet")])
def test_flat_converter_tables(tmp_path: Path, wh: str, builder, name: str) -> None:
    path = builder(tmp_path / name)
    before = sha256(path)
    report = adopt(path, db=wh)
    assert sha256(path) == before
    assert report.family == "flat"
    assert report.carried.get("benchmark_performance") == 2
    flagged, refused = tallies(report.flagged), tallies(report.refused)
    assert flagged == {("benchmark_performance", R_ZERO): 3}
    assert refused.pop(("benchmark_performance", R_MODEL_UNNAMED)) == 1
    if name.endswith(".duckdb"):
        assert report.carried == {"benchmark_compatibility": 1, "benchmark_performance": 2}
        assert refused == {("benchmark_hardware", R_INVENTORY): 1}
        first_ptr, second_ptr = "benchmark_performance/1", "benchmark_performance/2"
    else:  # the Parquet export has no id column: pointers are row numbers
        assert refused == {}
        first_ptr, second_ptr = "benchmark_performance/0", "benchmark_performance/1"

    bert = result(wh, first_ptr)
    assert (bert["model_name"], bert["hardware_type"], bert["device_name"]) == ("bert-base-uncased", "cuda", "cuda:0")
    assert bert["latency_ms_mean"] == 55.227264  # the float32 value as the legacy tool showed it
    assert (bert["latency_ms_p90"], bert["latency_ms_p95"], bert["latency_ms_p99"]) == (61.0, None, None)
    assert (bert["throughput_items_per_s"], bert["memory_peak_mb"]) == (410.5, 2048.0)
    assert (bert["batch_size"], bert["precision"]) == (8, "fp16")
    assert bert["measured_at"].replace(microsecond=0) == datetime(2025, 3, 5, 19, 57, 14)
    # the converter's source file is the run; its name carries the run's time
    assert (bert["origin"], bert["run_key"]) == ("legacy-warehouse:flat", "benchmark_bert_cuda_20250305_195715.json")
    assert bert["started_at"] == datetime(2025, 3, 5, 19, 57, 15)

    t5 = result(wh, second_ptr)
    assert (t5["model_name"], t5["hardware_type"], t5["device_name"]) == ("t5-small", "cpu", None)
    assert t5["latency_ms_mean"] == 88.0
    assert t5["throughput_items_per_s"] is None and t5["memory_peak_mb"] is None
    assert report.zero_fills_nulled["throughput_items_per_s"] == 1
    assert_no_unmeasured_zero(wh)


def test_parquet_store_units_and_synthetic_rows(tmp_path: Path, wh: str) -> None:
    path = build_store(tmp_path / "benchmark_data.parquet")
    before = sha256(path)
    report = adopt(path, db=wh)
    assert sha256(path) == before
    assert report.family == "parquet-store"
    assert report.carried == {"benchmark_data": 3}
    assert tallies(report.flagged) == {("benchmark_data", R_SYNTHETIC): 3, ("benchmark_data", R_ZERO): 1}
    assert report.refused == []

    r = result(wh, "benchmark_data/real-1")
    # seconds -> ms
    for col, seconds in (("mean", 0.0125), ("p50", 0.0125), ("p90", 0.0125 * 1.1), ("p99", 0.0125 * 1.3),
                         ("min", 0.0125 * 0.9), ("max", 0.0125 * 1.4), ("std", 0.0125 * 0.05)):
        assert math.isclose(r[f"latency_ms_{col}"], seconds * 1000, rel_tol=1e-12), col
    assert r["memory_peak_mb"] == 1024.0  # bytes -> MiB
    assert json.loads(r["metrics"])["memory_avg_mb"] == 512.0
    assert (r["throughput_items_per_s"], r["hardware_type"], r["device_name"]) == (320.0, "cuda", "NVIDIA A10G")
    assert (r["mode"], r["batch_size"], r["sequence_length"], r["precision"]) == ("inference", 4, 128, "fp16")
    assert (r["iterations"], r["warmup_iterations"]) == (50, 5)
    assert r["measured_at"] == datetime(2025, 3, 2, 20, 57, 47, 433331)
    assert (r["origin"], r["run_key"]) == ("legacy-warehouse:parquet-store", "real-1")

    failed = result(wh, "benchmark_data/failed-1")
    assert (failed["status"], failed["error"]) == ("failed", "CUDA out of memory")
    assert all(failed[c] is None for c in METRIC_COLUMNS)
    assert rows(wh, "SELECT count(*) AS n FROM results")[0]["n"] == 3
    assert_no_unmeasured_zero(wh)


def test_parquet_store_index_holds_no_measurement(tmp_path: Path, wh: str) -> None:
    report = adopt(build_store_index(tmp_path / "benchmark_index.parquet"), db=wh)
    assert report.family == "parquet-index"
    assert (report.n_carried, report.n_flagged) == (0, 0)
    assert tallies(report.refused) == {("benchmark_index", R_INDEX): 2}
    assert table_counts(wh)["results"] == 0 and table_counts(wh)["import_ledger"] == 1


def test_web_tables(tmp_path: Path, wh: str) -> None:
    path = build_web(tmp_path / "web.duckdb")
    before = sha256(path)
    report = adopt(path, db=wh)
    assert sha256(path) == before
    assert report.family == "star+web"
    assert report.carried == {"hardware_platforms": 1, "models": 1, "test_runs": 1,
                              "web_platform_results": 2, "webgpu_advanced_features": 1}
    assert tallies(report.flagged) == {("web_platform_results", R_ZERO): 1}
    ok = result(wh, "web_platform_results/1")
    assert (ok["hardware_type"], ok["device_name"], ok["status"]) == ("webgpu", "chrome 122.0", "completed")
    assert (ok["latency_ms_mean"], ok["load_time_ms"], ok["memory_peak_mb"]) == (35.5, 800.0, 300.0)
    m = json.loads(ok["metrics"])
    assert (m["initialization_time_ms"], m["total_time_ms"], m["shader_compilation_time_ms"]) == (120.0, 955.5, 45.0)
    assert m["webgpu_features"][0]["workgroup_size"] == 256
    assert ok["origin"] == "legacy-warehouse:web"
    failed = result(wh, "web_platform_results/2")
    assert (failed["status"], failed["error"]) == ("failed", "WebGPU adapter not available")
    assert all(failed[c] is None for c in METRIC_COLUMNS)
    assert_no_unmeasured_zero(wh)


def test_sqlite_copy_with_enhancement_tables(tmp_path: Path, wh: str) -> None:
    path = build_sqlite(tmp_path / "legacy.sqlite")
    before, listing = sha256(path), sorted(os.listdir(tmp_path))
    report = adopt(path, db=wh)
    assert sha256(path) == before
    assert sorted(os.listdir(tmp_path)) == listing  # no journal, -wal or -shm file appeared
    assert report.kind == "sqlite" and report.family == "star"
    assert report.carried == {"hardware_platforms": 1, "models": 1, "performance_history": 1}
    assert tallies(report.flagged) == {
        ("hardware_platforms", R_DIM_SEEDED): 4, ("models", R_DIM_SEEDED): 2,
        ("performance_history", R_SAMPLE): 2, ("performance_results", R_SAMPLE): 3}
    assert tallies(report.refused) == {("hardware_platform_relationships", NOT_ADOPTED): 2,
                                       ("mobile_edge_metrics", NOT_ADOPTED): 2}
    r = result(wh, "performance_history/3")
    assert (r["model_name"], r["hardware_type"], r["device_name"]) == ("whisper-tiny", "cuda", "NVIDIA L4")
    assert (r["latency_ms_mean"], r["throughput_items_per_s"], r["memory_peak_mb"]) == (210.0, None, 900.0)
    assert (r["measured_at"], r["git_commit"]) == (datetime(2025, 3, 7, 9, 30), "54e5bc5")
    assert_no_unmeasured_zero(wh)


def test_csv_export_without_its_dimension_tables_is_refused(tmp_path: Path, wh: str) -> None:
    path = build_csv(tmp_path / "performance_results.csv")
    report = adopt(path, db=wh)
    assert report.kind == "csv" and report.family == "star"
    assert report.n_carried == 0 and report.n_flagged == 0
    assert tallies(report.refused) == {
        ("performance_results", "model_id cannot be resolved: the file has no models table"): 2}
    assert table_counts(wh)["results"] == 0


def test_duckdb_file_with_a_leftover_wal(tmp_path: Path, wh: str) -> None:
    """A legacy writer that died left its last rows in ``.wal``: the read-only open sees them
    and neither the file nor the log changes."""
    path = tmp_path / "crashed.duckdb"
    script = (
        "import duckdb, os, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"SET wal_autocheckpoint = '1GB'\")\n"
        "con.execute('PRAGMA disable_checkpoint_on_shutdown')\n"
        "con.execute('CREATE TABLE models (model_id INTEGER, model_name VARCHAR, model_family VARCHAR)')\n"
        "con.execute('CREATE TABLE hardware_platforms (hardware_id INTEGER, hardware_type VARCHAR, "
        "device_name VARCHAR)')\n"
        "con.execute('CREATE TABLE performance_results (result_id INTEGER, run_id INTEGER, model_id INTEGER, "
        "hardware_id INTEGER, test_case VARCHAR, batch_size INTEGER, average_latency_ms FLOAT, "
        "throughput_items_per_second FLOAT, memory_peak_mb FLOAT, created_at TIMESTAMP)')\n"
        "con.execute(\"INSERT INTO models VALUES (1, 'bert-base-uncased', 'bert')\")\n"
        "con.execute(\"INSERT INTO hardware_platforms VALUES (1, 'cuda', 'NVIDIA A10G')\")\n"
        "con.execute(\"INSERT INTO performance_results VALUES (1, NULL, 1, 1, 'embedding', 1, 7.5, 133.0, 0.0, "
        "TIMESTAMP '2025-03-08 12:00:00')\")\n"
        "os._exit(0)\n"  # no close, no checkpoint: the rows stay in the WAL
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    wal = path.with_name(path.name + ".wal")
    assert wal.is_file()
    before = (sha256(path), sha256(wal))
    report = adopt(path, db=wh)
    assert (sha256(path), sha256(wal)) == before
    assert report.carried == {"hardware_platforms": 1, "models": 1, "performance_results": 1}
    assert result(wh, "performance_results/1")["latency_ms_mean"] == 7.5


# --- CLI --------------------------------------------------------------------------------------

def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err


def test_cli_summary_table(tmp_path: Path, wh: str, capsys) -> None:
    path = build_star(tmp_path / "star.duckdb")
    before = sha256(path)
    code, out, err = run_cli(capsys, "adopt", str(path), "--db", wh)
    assert code == 0 and err == ""
    assert sha256(path) == before
    lines = out.splitlines()
    assert lines[0] == "adopted star.duckdb (duckdb, family star)"
    assert "performance_results                  6        2        3        1" in lines
    assert "total                               32       13       18        1" in lines
    assert any(line.strip() == f"1  performance_results: {R_ZERO}" for line in lines)
    assert "records: 2 results, 1 compatibility facts, 1 test outcomes, 1 runs" in lines
    assert table_counts(wh)["results"] == 2


def test_cli_json_and_dry_run(tmp_path: Path, wh: str, capsys) -> None:
    path = build_store(tmp_path / "benchmark_data.parquet")
    code, out, err = run_cli(capsys, "adopt", str(path), "--db", wh, "--dry-run", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert (doc["family"], doc["dry_run"], doc["inserted"]) == ("parquet-store", True, None)
    assert (doc["carried"], doc["flagged"], doc["refused"]) == (3, 4, 0)
    assert {"table": "benchmark_data", "reason": R_SYNTHETIC, "count": 3} in doc["flagged_reasons"]
    assert table_counts(wh)["results"] == 0 and table_counts(wh)["import_ledger"] == 0

    code, out, _ = run_cli(capsys, "adopt", str(path), "--db", wh, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["inserted"]["results"] == 3 and doc["inserted"]["import_ledger"] == 1


def test_dry_run_needs_no_warehouse(tmp_path: Path, capsys) -> None:
    path = build_flat(tmp_path / "flat.duckdb")
    missing = tmp_path / "nowhere.duckdb"
    code, out, _ = run_cli(capsys, "adopt", str(path), "--db", str(missing), "--dry-run")
    assert code == 0 and out.startswith("would adopt flat.duckdb (duckdb, family flat)")
    assert not missing.exists()


def test_report_accounts_for_every_row(tmp_path: Path) -> None:
    for build, name in ((build_star, "s.duckdb"), (build_web, "w.duckdb"), (build_sqlite, "q.sqlite")):
        report, records = convert_file(build(tmp_path / name))
        per_table = {}
        for t in (*report.flagged, *report.refused):
            per_table[t.table] = per_table.get(t.table, 0) + t.count
        for table, n in report.rows.items():
            assert report.carried.get(table, 0) + per_table.get(table, 0) == n, (name, table)


def test_adopt_on_each_backend(tmp_path: Path, warehouse_db: str) -> None:
    """The same adoption on a DuckDB file and on DuckLake (PostgreSQL catalog): same counts,
    and a second adopt adds nothing there either."""
    from benchwh.warehouse.open import open_warehouse

    path = build_star(tmp_path / "star.duckdb")
    first = adopt(path, db=warehouse_db)
    second = adopt(path, db=warehouse_db)
    assert (first.n_carried, first.n_flagged, first.n_refused) == (13, 18, 1)
    assert first.inserted["results"] == 2 and first.inserted["import_ledger"] == 1
    assert all(n == 0 for n in second.inserted.values())
    with open_warehouse(warehouse_db, read_only=True) as con:
        got = con.execute("SELECT source_pointer, latency_ms_mean, throughput_items_per_s FROM results "
                          "ORDER BY source_pointer").fetchall()
    assert got == [("performance_results/1", 12.5, 80.0), ("performance_results/2", 48.0, None)]
