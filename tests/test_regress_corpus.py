"""The real legacy corpus, imported with `benchwh import`: the bert-base-uncased CPU jump at
batch 1, sequence 32 (about 54 ms on 2025-03-03, about 753 ms on 2025-03-05, per the raw F6
files' ``avg_latency`` in seconds) must be reported as a regression. Skipped without
../shared/legacy_corpus."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from conftest import BACKENDS, CORPUS, run_cli


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_wh(request, make_warehouse, tmp_path_factory):
    """The corpus imported once per module on each backend."""
    if not CORPUS.is_dir():
        pytest.skip(f"legacy corpus not found at {CORPUS}")
    wh = make_warehouse(request.param, tmp_path_factory.mktemp("corpus"))
    res = run_cli("import", str(CORPUS), *wh.args)
    assert res.code == 0, res.stderr
    return wh


@pytest.fixture
def corpus_db(corpus_wh, monkeypatch) -> str:
    return corpus_wh.use(monkeypatch)


def _raw_avg_ms(corpus_rel: str) -> float:
    doc = json.loads((CORPUS / corpus_rel).read_text())
    entry = doc["benchmarks"]["embedding"]["bert-base-uncased"]["cpu"]
    return entry["benchmark_results"]["batch_1_seq_32"]["avg_latency"] * 1000.0


def test_bert_base_cpu_jump_is_reported(corpus_db, cli):
    res = cli("regressions", "--db", corpus_db, "--model", "bert-base-uncased", "--hardware", "cpu",
              "--metric", "latency_ms_mean", "--json")
    assert res.code == 0, res.stderr
    rows = [r for r in json.loads(res.stdout)["findings"]
            if r["batch_size"] == 1 and r["sequence_length"] == 32]
    assert len(rows) == 1, rows
    r = rows[0]
    before = _raw_avg_ms("02_benchmark_suite_results/benchmark_results/20250303_050233/20250303_050235/benchmark_results.json")
    after = _raw_avg_ms("01_run_model_benchmarks_run_dir/benchmark_results/benchmarks_20250305_204837/"
                        "20250305_204847/performance/embedding/20250305_204933/20250305_204942/benchmark_results.json")
    assert r["baseline"] == pytest.approx(before) and r["current"] == pytest.approx(after)
    assert 50 < before < 60 and 740 < after < 760
    assert datetime.fromisoformat(r["baseline_at"]).date().isoformat() == "2025-03-03"
    assert datetime.fromisoformat(r["current_at"]).date().isoformat() == "2025-03-05"
    assert r["verdict"] == "regression" and r["is_simulated"] is False
    assert r["method"] == "mwu" and r["p_value"] < 0.002  # 20 raw samples on each side
    assert r["change_pct"] == pytest.approx((after - before) / before * 100)

    gate = cli("regressions", "--db", corpus_db, "--model", "bert-base-uncased", "--hardware", "cpu",
               "--fail-on-regression", env={"COLUMNS": "200"})  # wide enough for the series on one line
    assert gate.code == 1
    assert "bert-base-uncased | cpu | mode=inference batch=1 seq=32 | latency_ms_mean" in gate.stdout


def test_corpus_never_mixes_simulated_with_measured(corpus_db):
    from benchwh.regress import Settings, find_regressions
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.read import flat_frame

    with open_warehouse(corpus_db, read_only=True) as con:
        flags = dict(flat_frame(con, model="bert-base-uncased", include_simulated=True,
                                columns=["result_id", "is_simulated"]).iter_rows())
    rep = find_regressions(corpus_db, Settings(), model="bert-base-uncased")
    kinds = set()
    for f in rep.findings:
        sim = f.series.key["is_simulated"]
        kinds.add(sim)
        assert {flags[p.result_id] for p in f.series.points} == {sim}, f.series.label
        assert ("[simulated]" in f.series.label) == sim
    assert kinds == {True, False}  # this model has both, kept in separate series
