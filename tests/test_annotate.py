"""`benchwh annotate`: an annotated expected change restarts a series' baseline.

Warehouses (``warehouse_db``: a DuckDB file and DuckLake on PostgreSQL) are built by
`benchwh import` of F8 files (``benchwh.testing.f8_direct``): a model at ~3 ms for six runs,
then a run at twice that (the expected change), then more runs.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchwh.records import content_id
from benchwh.regress import NO_BASELINE, REGRESSION, UNCHANGED, Settings, find_regressions
from benchwh.testing import BASE_TIME, f8_direct

from conftest import sql

MODEL = "acme/tiny"
BATCHES = (1, 2)


def _import_runs(cli, db: str, folder: Path, runs: dict[int, float]) -> None:
    """Write one F8 file per run index (mean latency given) and import them."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, mean_ms in runs.items():
        name, doc = f8_direct(i, model=MODEL, batch_sizes=BATCHES, mean_ms=mean_ms, samples=20, seed=7)
        (folder / name).write_text(json.dumps(doc))
    res = cli("import", str(folder), "--db", db)
    assert res.code == 0, res.stderr


def _latency(db: str, method: str = "auto", baseline: str = "previous"):
    rep = find_regressions(db, Settings(method=method), baseline=baseline, model=MODEL,
                           metrics=["latency_ms_mean"])
    assert len(rep.findings) == len(BATCHES)
    return rep


@pytest.fixture
def jumped(tmp_path, cli, warehouse_db) -> str:
    """Six runs at 3 ms, the seventh (the latest) at 6 ms."""
    _import_runs(cli, warehouse_db, tmp_path / "a", {i: 3.0 for i in range(6)} | {6: 6.0})
    return warehouse_db


def _run_time(i: int) -> datetime:
    return BASE_TIME + timedelta(minutes=i)  # f8_direct's run times


@pytest.mark.parametrize("method", ["auto", "zscore", "threshold"])
def test_annotation_resets_baseline(jumped, cli, tmp_path, method):
    assert {f.verdict for f in _latency(jumped, method).findings} == {REGRESSION}
    assert cli("regressions", "--db", jumped, "--model", MODEL, "--fail-on-regression").code == 1

    res = cli("annotate", "--db", jumped, "--model", MODEL, "--hardware", "cpu",
              "--at", _run_time(6).isoformat(), "--note", "switched to fp32 weights on purpose", "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["matching_results"] == 7 * len(BATCHES)  # every run's results so far
    # The jump is now the first point of a new segment: nothing to compare it with.
    rep = _latency(jumped, method)
    assert {f.verdict for f in rep.findings} == {NO_BASELINE}
    assert all("annotated" in f.judgement.reason for f in rep.findings)
    gate = cli("regressions", "--db", jumped, "--model", MODEL, "--fail-on-regression")
    assert gate.code == 0, gate.stdout + gate.stderr

    # Runs at the new level after the change are compared with the new level only.
    more = {7: 6.0, 8: 6.0, 9: 6.0, 10: 6.0, 11: 6.0}
    _import_runs(cli, jumped, tmp_path / "b", more)
    assert {f.verdict for f in _latency(jumped, method).findings} == {UNCHANGED}

    # A real regression after the annotated change is still caught.
    _import_runs(cli, jumped, tmp_path / "c", {12: 9.0})
    assert {f.verdict for f in _latency(jumped, method).findings} == {REGRESSION}


def test_baseline_before_annotation_is_not_used(jumped, cli):
    cli("annotate", "--db", jumped, "--model", MODEL, "--hardware", "cpu", "--at",
        _run_time(6).isoformat(), "--note", "expected")
    rep = _latency(jumped, baseline="2025-03-01T12:03:00")
    assert {f.verdict for f in rep.findings} == {NO_BASELINE}


def test_annotation_narrowed_to_batch_and_metric(jumped, cli):
    res = cli("annotate", "--db", jumped, "--model", MODEL, "--hardware", "CPU", "--batch-size", "1",
              "--metric", "latency", "--at", _run_time(6).isoformat(), "--note", "b1 only")
    assert res.code == 0, res.stderr
    rep = find_regressions(jumped, Settings(), model=MODEL, metrics=["latency_ms_mean", "throughput_items_per_s"])
    verdicts = {(f.series.key["batch_size"], f.series.metric.name): f.verdict for f in rep.findings}
    assert verdicts == {
        (1, "latency_ms_mean"): NO_BASELINE,  # annotated
        (1, "throughput_items_per_s"): REGRESSION,  # another metric family
        (2, "latency_ms_mean"): REGRESSION,  # another batch size
        (2, "throughput_items_per_s"): REGRESSION,
    }


def test_annotation_row_and_id(jumped, cli):
    args = ["annotate", "--db", jumped, "--model", MODEL, "--hardware", "cuda:0", "--at", "2025-03-01",
            "--note", "new driver", "--json"]
    first = cli(*args)
    assert first.code == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["added"] is True and doc["matching_results"] == 0  # no cuda results
    again = json.loads(cli(*args).stdout)
    assert again["added"] is False and again["annotation_id"] == doc["annotation_id"]

    rows = sql(jumped, "SELECT annotation_id, kind, model_name, hardware_type, device_name, batch_size, "
                       "sequence_length, precision, metric, effective_at, note, created_at FROM annotations")
    assert len(rows) == 1
    (aid, kind, model, hw, device, batch, seq, prec, metric, at, note, created) = rows[0]
    assert (model, hw, batch, metric, note) == (MODEL, "cuda", None, None, "new driver")
    assert at == datetime(2025, 3, 1) and created is not None
    assert aid == doc["annotation_id"] == content_id(
        "annotation", kind, model, hw, device, batch, seq, prec, metric, at, note)


def test_annotate_rejects_bad_input(warehouse_db, cli):
    base = ["annotate", "--db", warehouse_db, "--model", MODEL, "--note", "x"]
    res = cli(*base, "--hardware", "abacus", "--at", "2025-03-01")
    assert res.code == 1 and "unknown hardware" in res.stderr
    res = cli(*base, "--hardware", "cpu", "--at", "last tuesday")
    assert res.code == 1 and "--at" in res.stderr
    res = cli(*base, "--hardware", "cpu", "--at", "2025-03-01", "--metric", "speed")
    assert res.code == 1 and "unknown metric" in res.stderr

