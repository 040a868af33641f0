"""Every warehouse command, one after another, on each backend (``warehouse_db``: a DuckDB
file and DuckLake on PostgreSQL), with the same expectations on both."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from benchwh.records import RunInfo
from benchwh.testing import write_tree
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from benchwh.warehouse.open import open_warehouse


def count(db: str, table: str = "results") -> int:
    with open_warehouse(db, read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_every_command_on_each_backend(warehouse_db, tmp_path, cli):
    db = warehouse_db
    st = cli("status", "--db", db, "--json")
    assert st.code == 0 and json.loads(st.stdout)["pending"] == []

    # import: 12 legacy-shaped files, 21 results (f6: 2, f8: 2, f10: 2, f12: 1 per 4 files)
    src = tmp_path / "legacy"
    write_tree(src, 12)
    assert cli("import", str(src), "--db", db).code == 0
    assert count(db) == 21
    assert cli("import", str(src), "--db", db).code == 0 and count(db) == 21

    # the recorder API: two runs of the same configuration, the second one slower
    from benchwh.runners.recorder import Recorder

    for k, ms in enumerate((10.0, 20.0)):
        run = RunInfo(origin="test_lake_commands", started_at=datetime(2026, 5, 1 + k), run_key=f"r{k}")
        with Recorder(db, run=run, say=lambda s: None) as rec:
            rec.result(model_name="recorded-model", hardware_type="cpu", batch_size=4, sequence_length=64,
                       latency_ms_mean=ms, latency_ms_p50=ms, measured_at=datetime(2026, 5, 1 + k, 12))
        assert rec.inserted_results == 1
    assert count(db) == 23

    # merge another warehouse (a DuckDB file, as a CI job leaves) into this one, twice
    other = tmp_path / "ci-job.duckdb"
    migrate(resolve(str(other)))
    run = RunInfo(origin="ci-job", started_at=datetime(2026, 5, 3), run_key="ci")
    from benchwh.records import Result
    from benchwh.warehouse.write import write_records

    write_records(str(other), [Result(run=run, model_name="merged-model", hardware_type="cuda", batch_size=b,
                                      latency_ms_mean=1.0 + b, measured_at=datetime(2026, 5, 3) + timedelta(minutes=b))
                               for b in (1, 2, 4)])
    assert cli("merge", str(other), "--db", db).code == 0
    assert cli("merge", str(other), "--db", db).code == 0
    assert count(db) == 26

    latest = cli("query", "latest", "--db", db, "--model", "recorded-model", "--format", "json")
    assert latest.code == 0, latest.stderr
    assert [r["latency_ms_mean"] for r in json.loads(latest.stdout)] == [20.0]
    sql = cli("query", "sql", "SELECT count(DISTINCT model_name) AS n FROM results JOIN models USING (model_id)",
              "--db", db, "--format", "json")
    assert sql.code == 0 and json.loads(sql.stdout)[0]["n"] >= 3

    reg = cli("regressions", "--db", db, "--model", "recorded-model", "--threshold", "10", "--format", "json")
    assert reg.code == 0, reg.stderr
    found = json.loads(reg.stdout)
    assert found["counts"]["regression"] == 1
    assert {(f["metric"], f["baseline"], f["current"]) for f in found["findings"]} >= {("latency_ms_mean", 10.0, 20.0)}

    page = tmp_path / "report.html"
    rep = cli("report", "--db", db, "--out", str(page))
    assert rep.code == 0 and page.stat().st_size > 0
    # the page embeds its data compressed; what it holds is what the report read
    from benchwh.report.data import gather

    models = gather(db).models
    assert "recorded-model" in models and f"({len(models)} models" in rep.stdout

    out = tmp_path / "flat.parquet"
    assert cli("export", "--db", db, "--out", str(out)).code == 0
    import polars as pl

    assert pl.read_parquet(out).height == 26

    chk = cli("check", "--db", db)
    assert chk.code == 0, chk.stdout


def test_run_records_into_each_backend(warehouse_db, cli):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    res = cli("run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1",
              "--seq-lens", "8", "--iterations", "2", "--warmup", "1", "--db", warehouse_db)
    assert res.code == 0, res.stderr
    assert count(warehouse_db) == 1
    with open_warehouse(warehouse_db, read_only=True) as con:
        samples = con.execute("SELECT len(latency_samples_ms) FROM results").fetchone()[0]
    assert samples == 2
