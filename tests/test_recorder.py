"""The recorder API other scripts use, its argparse/typer options, and the example script,
writing to each backend (``warehouse_db``: a DuckDB file and DuckLake on PostgreSQL)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from benchwh.errors import BenchwhError, LocationError
from benchwh.interchange import read_file
from benchwh.records import Result, RunMeta
from benchwh.runners.options import DbOptions, add_db_options
from benchwh.runners.recorder import Recorder
from benchwh.warehouse.open import open_warehouse

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def db(warehouse_db) -> str:
    """Each backend, as ``warehouse_db`` gives it."""
    return warehouse_db


COUNT = ("import sys; from benchwh.warehouse.open import open_warehouse\n"
         "with open_warehouse(sys.argv[1], read_only=True) as con:\n"
         "    print(con.execute('SELECT count(*) FROM results').fetchone()[0])")


def count_from_other_process(db: str) -> int:
    """Results another process sees now. On a DuckDB file it cannot even open the file while a
    writer holds it: no lock wait here, so a recorder that kept the file open fails this."""
    env = dict(os.environ, BENCHWH_LOCK_TIMEOUT="0")
    proc = subprocess.run([sys.executable, "-c", COUNT, db], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout)


def test_each_result_is_written_and_the_warehouse_is_not_held(db):
    with Recorder(db, origin="test.recorder", flush_every=1, say=lambda s: None) as rec:
        rec.result(model_name="m", hardware_type="cpu", batch_size=1, latency_ms_mean=1.0)
        assert count_from_other_process(db) == 1
        rec.result(model_name="m", hardware_type="cpu", batch_size=2, latency_ms_mean=2.0)
        assert count_from_other_process(db) == 2
    with open_warehouse(db, read_only=True) as con:
        origin, env = con.execute("SELECT origin, environment FROM runs").fetchone()
    assert origin == "test.recorder" and json.loads(env)["cpu_model"]


def test_results_before_an_exception_are_kept(db):
    with pytest.raises(RuntimeError, match="script crashed"):
        with Recorder(db, flush_every=10, say=lambda s: None) as rec:
            for b in (1, 2, 3):
                rec.result(model_name="m", hardware_type="cpu", batch_size=b)
            raise RuntimeError("script crashed")
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM results").fetchone()[0] == 3


def test_an_empty_run_is_still_recorded(db):
    with Recorder(db, say=lambda s: None) as rec:
        pass
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT run_id FROM runs").fetchall() == [(rec.run.run_id,)]


def test_output_file_holds_the_same_records(db, tmp_path):
    out = tmp_path / "copy.json"
    with Recorder(db, output=out, say=lambda s: None) as rec:
        r = rec.result(model_name="m", hardware_type="cpu", batch_size=4,
                       measured_at=datetime(2026, 5, 6, 7, 8, 9, 123456), metrics={"note": "x"})
    back = read_file(out)
    assert isinstance(back[0], RunMeta) and back[0].run.run_id == rec.run.run_id
    assert back[1].result_id == r.result_id and back[1].metrics == {"note": "x"}
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT result_id FROM results").fetchall() == [(r.result_id,)]


# A missing DuckDB file must not be created; a missing lake is covered in test_lake.py.
def test_refusals(tmp_path):
    with pytest.raises(BenchwhError, match="need a file"):
        Recorder(store=False)
    with pytest.raises(LocationError, match="benchwh migrate"):
        with Recorder(str(tmp_path / "missing.duckdb")):
            pass
    assert not (tmp_path / "missing.duckdb").exists()  # never a new database file
    rec = Recorder(store=False, output=tmp_path / "x.json")
    with pytest.raises(BenchwhError, match="outside its `with` block"):
        rec.add(Result(run=None, model_name="m", hardware_type="cpu"))


def test_argparse_options():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    add_db_options(parser)
    opts = DbOptions.from_args(parser.parse_args(["--model", "x", "--db-path", "a.duckdb",
                                                  "--visualize-from-db", "c.png"]))
    assert opts == DbOptions("a.duckdb", False, "c.png", None)
    opts = DbOptions.from_args(parser.parse_args(["--no-db-store", "--results-json", "r.json"]))
    assert opts.no_db_store and opts.results_json == "r.json" and opts.db_path is None


def test_typer_options(db, tmp_path):
    import typer
    from typer.testing import CliRunner

    app = typer.Typer()
    seen = {}

    @app.command()
    @add_db_options
    def bench(model: str, repeat: int = 1, db_options: DbOptions = None):
        seen["args"] = (model, repeat, db_options)
        with db_options.recorder(origin="test.typer", say=lambda s: None) as rec:
            rec.result(model_name=model, hardware_type="cpu", batch_size=repeat)

    res = CliRunner().invoke(app, ["bert", "--repeat", "2", "--db-path", db])
    assert res.exit_code == 0, res.output
    assert seen["args"] == ("bert", 2, DbOptions(db, False, None, None))
    out = tmp_path / "t.json"
    res = CliRunner().invoke(app, ["gpt", "--no-db-store", "--results-json", str(out)])
    assert res.exit_code == 0, res.output
    assert [r.model_name for r in read_file(out) if isinstance(r, Result)] == ["gpt"]
    helptext = CliRunner().invoke(app, ["--help"]).output
    for flag in ("--db-path", "--no-db-store", "--visualize-from-db", "--results-json"):
        assert flag in helptext
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT batch_size FROM results").fetchall() == [(2,)]


EXAMPLE = ["-m", "benchwh.runners.examples.record_example", "--sizes", "100,1000", "--iterations", "5"]


def test_example_script(db, tmp_path):
    proc = subprocess.run([sys.executable, *EXAMPLE, "--db-path", db], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with open_warehouse(db, read_only=True) as con:
        rows = con.execute("SELECT sequence_length, latency_samples_ms, latency_ms_mean, latency_ms_p50,"
                           " iterations, throughput_items_per_s FROM results ORDER BY 1").fetchall()
        origin = con.execute("SELECT origin FROM runs").fetchone()[0]
    assert origin == "benchwh.examples.sort" and [r[0] for r in rows] == [100, 1000]
    for _, samples, mean, p50, n, rate in rows:
        assert n == len(samples) == 5
        assert mean == pytest.approx(statistics.fmean(samples)) and p50 == pytest.approx(statistics.median(samples))
        assert rate == pytest.approx(1000.0 / mean)
    # --no-db-store without a file name: a file in the working folder, never a drop
    proc = subprocess.run([sys.executable, *EXAMPLE, "--no-db-store"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (made,) = tmp_path.glob("benchwh_examples_sort-*.json")
    assert len([r for r in read_file(made) if isinstance(r, Result)]) == 2
