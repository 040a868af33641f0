"""Regression detection on warehouses built by `benchwh import` of legacy-shaped F8 files.

One warehouse holds many seeded series (FORMATS.md F8, made by ``benchwh.testing.f8_direct``:
20 raw latency samples per batch entry, uniform +-20% noise): noise-only series, series whose
last run is 25% slower (and 20% heavier in memory), and series whose last run is 25% faster.
The detector runs once over all of them; the false-positive rate over the noise-only series is
measured and asserted small, the injected changes are found with their size and direction.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchwh.regress import (
    IMPROVEMENT, NO_BASELINE, REGRESSION, Settings, find_regressions, parse_baseline,
)
from benchwh.errors import QueryError
from benchwh.testing import f8_direct

from conftest import BACKENDS, run_cli

RUNS = 6
BATCHES = (1, 2, 4, 8)
N_NOISE, N_SLOWER, N_FASTER = 60, 20, 10
SLOWER, FASTER = 1.25, 0.75  # latency factor of the last run


def write_f8_series(root: Path, model: str, seed: int, last_factor: float = 1.0,
                    memory_factor: float = 1.0, runs: int = RUNS, first: int = 0) -> None:
    """``runs`` F8 files for ``model`` (one per run, a minute apart); the last run's latency
    multiplied by ``last_factor`` and its memory by ``memory_factor``."""
    for i in range(first, first + runs):
        last = i == first + runs - 1
        name, doc = f8_direct(i, model=model, batch_sizes=BATCHES, mean_ms=3.0 * (last_factor if last else 1.0),
                              samples=20, seed=seed)
        if last and memory_factor != 1.0:
            for entry in doc["batch_results"].values():
                entry["memory_mb"] *= memory_factor
        (root / name).write_text(json.dumps(doc))


@pytest.fixture(scope="module")
def f8_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("f8")
    for k in range(N_NOISE):
        write_f8_series(root, f"noise/m{k:03d}", seed=k)
    for k in range(N_SLOWER):
        write_f8_series(root, f"slower/m{k:03d}", seed=1000 + k, last_factor=SLOWER, memory_factor=1.2)
    for k in range(N_FASTER):
        write_f8_series(root, f"faster/m{k:03d}", seed=2000 + k, last_factor=FASTER)
    return root


@pytest.fixture(scope="module", params=BACKENDS)
def many_wh(request, f8_tree, make_warehouse, tmp_path_factory):
    """The seeded series imported once per module on each backend (540 files, 2,160 results)."""
    wh = make_warehouse(request.param, tmp_path_factory.mktemp("wh"))
    res = run_cli("import", str(f8_tree), *wh.args)
    assert res.code == 0, res.stderr
    return wh


@pytest.fixture
def many(many_wh, monkeypatch) -> str:
    return many_wh.use(monkeypatch)


def _by_group(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.series.key["model_name"].split("/")[0], []).append(f)
    return out


@pytest.mark.parametrize("method, limit", [("auto", 0.01), ("zscore", 0.02)])
def test_false_positive_rate_on_noise_is_small(many, method, limit):
    report = find_regressions(many, Settings(method=method))
    noise = _by_group(report)["noise"]
    judged = [f for f in noise if f.verdict not in (NO_BASELINE, "insufficient-data")]
    # 60 models x 4 batch sizes x (latency, throughput, memory) = 720 judged series.
    assert len(judged) == N_NOISE * len(BATCHES) * 3
    if method == "auto":
        assert {f.judgement.method for f in judged if f.series.metric.family == "latency"} == {"mwu"}
    fpr = sum(f.verdict == REGRESSION for f in judged) / len(judged)
    assert fpr <= limit, f"{method}: {fpr:.2%} of noise-only series flagged"


@pytest.mark.parametrize("method", ["auto", "zscore", "threshold"])
def test_injected_regressions_found_with_their_size(many, method):
    report = find_regressions(many, Settings(method=method))
    slower = _by_group(report)["slower"]
    for metric, expected in (("latency_ms_mean", 25.0), ("throughput_items_per_s", -20.0),
                             ("memory_peak_mb", 20.0)):
        found = [f for f in slower if f.series.metric.name == metric]
        assert len(found) == N_SLOWER * len(BATCHES)
        hits = [f for f in found if f.verdict == REGRESSION]
        assert len(hits) / len(found) >= 0.95, f"{method} {metric}: {len(hits)}/{len(found)} found"
        # Uniform +-20% noise on 20 samples: one run's mean varies by ~2.6%, so one change
        # by ~5 points; their average over 80 series lands within 2 points of the injection.
        changes = [f.judgement.change_pct for f in hits]
        assert abs(sum(changes) / len(changes) - expected) < 2, (method, metric, changes)
        assert all(abs(c - expected) < 15 for c in changes), (method, metric, changes)


def test_direction_latency_drop_is_improvement_throughput_drop_is_regression(many):
    groups = _by_group(find_regressions(many, Settings()))
    faster = {(f.series.metric.name, f.verdict) for f in groups["faster"]}
    assert ("latency_ms_mean", IMPROVEMENT) in faster and ("throughput_items_per_s", IMPROVEMENT) in faster
    assert not any(v == REGRESSION for m, v in faster if m != "memory_peak_mb")
    slower = [f for f in groups["slower"] if f.series.metric.name == "throughput_items_per_s"]
    assert all(f.judgement.change_pct < 0 for f in slower)
    assert sum(f.verdict == REGRESSION for f in slower) >= 0.95 * len(slower)


def test_mwu_p_values_come_from_scipy(many):
    from scipy.stats import mannwhitneyu

    report = find_regressions(many, Settings(method="mwu"), model="slower/m000",
                              metrics=["latency_ms_mean"])
    assert len(report.findings) == len(BATCHES)
    for f in report.findings:
        expected = mannwhitneyu(f.current.samples, f.baseline_point.samples).pvalue
        assert f.judgement.p_value == pytest.approx(expected)
        assert f.judgement.p_value < 0.002 and f.verdict == REGRESSION


def test_cli_fail_on_regression_exit_code(many, cli):
    bad = cli("regressions", "--db", many, "--model", "slower/m001", "--fail-on-regression")
    assert bad.code == 1, bad.stderr
    assert "regression" in bad.stdout and "slower/m001" in bad.stdout
    ok = cli("regressions", "--db", many, "--model", "faster/m001", "--fail-on-regression")
    assert ok.code == 0, ok.stderr
    assert "improvement" in ok.stdout
    # Without the flag a regression is reported but the exit code stays 0.
    assert cli("regressions", "--db", many, "--model", "slower/m001").code == 0


def test_cli_json_output(many, cli):
    res = cli("regressions", "--db", many, "--model", "slower/m002", "--metric", "latency", "--json")
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    rows = doc["findings"]
    assert {r["metric"] for r in rows} == {"latency_ms_mean"}  # the only latency statistic F8 carries
    mean_rows = [r for r in rows if r["metric"] == "latency_ms_mean"]
    assert len(mean_rows) == len(BATCHES)
    for r in mean_rows:
        assert r["verdict"] == "regression" and r["direction"] == "lower is better"
        assert r["p_value"] < 0.002 and r["baseline"] < r["current"]
        assert r["batch_size"] in BATCHES and r["is_simulated"] is False


def test_baseline_by_date_and_run(many, cli):
    # Baseline at the first run's day: the same day as every run, so the latest point
    # before the current one is taken (the 5th run).
    report = find_regressions(many, Settings(), baseline="2025-03-01", model="slower/m003",
                              metrics=["latency_ms_mean"])
    assert all(f.verdict == REGRESSION for f in report.findings)
    # A time before every run: no baseline for any series.
    report = find_regressions(many, Settings(), baseline="2025-02-28T00:00:00", model="slower/m003")
    assert {f.verdict for f in report.findings} == {NO_BASELINE}
    # The first run by id: the comparison skips the runs in between.
    first = find_regressions(many, Settings(), model="slower/m003", metrics=["latency_ms_mean"])
    run0 = min(first.findings[0].series.points, key=lambda p: p.measured_at).run_id
    res = cli("regressions", "--db", many, "--model", "slower/m003", "--metric", "latency_ms_mean",
              "--baseline", run0[:10], "--json")
    assert res.code == 0, res.stderr
    rows = json.loads(res.stdout)["findings"]
    assert len(rows) == len(BATCHES) and {r["baseline_run"] for r in rows} == {run0}


def test_parse_baseline_forms():
    assert str(parse_baseline("previous")) == "previous"
    d = parse_baseline("2025-03-04")
    assert d.kind == "date" and d.value.isoformat() == "2025-03-04T23:59:59.999999"
    assert parse_baseline("2025-03-04T10:00").value.hour == 10
    runs, commits = ["abcdef0123456789", "abc999"], ["1234567deadbeef", None]
    assert parse_baseline("abcdef01", runs, commits).value == "abcdef0123456789"
    assert parse_baseline("1234567", runs, commits).kind == "commit"
    assert parse_baseline("run:abc999", runs, commits).value == "abc999"
    with pytest.raises(QueryError, match="no run id or git commit"):
        parse_baseline("ffffff", runs, commits)
    with pytest.raises(QueryError, match="matches a run id and a commit"):
        parse_baseline("123456", ["1234560000"], ["1234567"])


def test_bad_options_are_one_line_errors(many, cli):
    res = cli("regressions", "--db", many, "--metric", "latncy")
    assert res.code == 1 and "did you mean `latency`" in res.stderr
    res = cli("regressions", "--db", many, "--method", "ttest")
    assert res.code == 1 and "unknown method" in res.stderr
    res = cli("regressions", "--db", many, "--baseline", "nosuchthing")
    assert res.code == 1 and res.stderr.startswith("Error: --baseline")
