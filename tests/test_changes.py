"""``benchwh changes`` and ``benchwh regressions --method changepoint`` / ``--format github|junit``
on warehouses filled through the recorder API, one nightly run per point (each backend where
the fixture gives it)."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchwh.records import Result, RunInfo, RunMeta

from conftest import BACKENDS

START = datetime(2025, 3, 1, 2, 0, 0)
NIGHTS = 16
STEP_AT = 8
XSD = Path(__file__).parent / "fixtures" / "junit.xsd"


class _Batch:
    """The recorder's ``result`` call collecting records for one write of many runs (the
    recorder API's records, without a transaction per night: fast enough for every test)."""

    def __init__(self, run, records):
        self.run, self.records = run, records
        records.append(RunMeta(run))

    def result(self, model_name: str, hardware_type: str, **fields) -> None:
        self.records.append(Result(run=self.run, model_name=model_name, hardware_type=hardware_type, **fields))


def record_nights(db: str, series: dict[tuple[str, bool], list[float]], samples: int | None = 20,
                  noise: float = 0.01, seed: int = 0, recorder: bool = False) -> None:
    """One run per night (commit ``c<night>``) recording one result per series: ``series`` maps
    (model, simulated) to the true latency per night; the recorded samples scatter around it
    (``samples`` None: only the mean is recorded). ``recorder``: the measured results through a
    ``Recorder`` per night, else (and the simulated ones) every night's records in one write."""
    from contextlib import nullcontext

    from benchwh.runners.recorder import Recorder
    from benchwh.runners.stats import result_fields
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.write import write_records

    batch: list = []

    rng = random.Random(seed)
    nights = len(next(iter(series.values())))
    for k, sim in ((k, sim) for k in range(nights) for sim in (False, True)):
        todo = {m: lv for (m, s), lv in series.items() if s == sim}
        if not todo:
            continue
        t = START + timedelta(days=k, minutes=30 if sim else 0)
        # Simulated results come from their own run (a simulator), as they do in practice.
        run = RunInfo(origin="nightly", started_at=t, git_commit=f"c{k:03d}{'0' * 36}",
                      host="simulator" if sim else "ci")
        ctx = (Recorder(db=db, origin="nightly", run=run, say=lambda _: None, flush_every=10_000)
               if recorder and not sim else nullcontext(_Batch(run, batch)))
        with ctx as rec:
            for model, levels in todo.items():
                extra = {"is_simulated": True, "simulation_reason": "test"} if sim else {}
                if samples:
                    level = levels[k] * (1 + rng.gauss(0, noise))
                    xs = [level * (1 + rng.gauss(0, noise)) for _ in range(samples)]
                    fields = result_fields(xs, items_per_call=1)
                else:
                    fields = {"latency_ms_mean": levels[k] * (1 + rng.gauss(0, noise))}
                rec.result(model_name=model, hardware_type="cpu", batch_size=1, sequence_length=128,
                           precision="fp32", measured_at=t, **fields, **extra)
    if batch:
        write_records(resolve(db), batch)


def step(before: float, after: float, at: int = STEP_AT, n: int = NIGHTS) -> list[float]:
    return [before] * at + [after] * (n - at)


NIGHTLY = {
        ("acme/slower", False): step(10.0, 13.0),
        ("acme/faster", False): step(10.0, 8.0),
        ("acme/flat", False): [10.0] * NIGHTS,
        # Simulated twin of the flat model at another level: mixing them would make steps.
        ("acme/flat", True): [20.0 if k % 2 else 10.0 for k in range(NIGHTS)],
}


@pytest.fixture(scope="module", params=BACKENDS)
def nightly_wh(request, make_warehouse, tmp_path_factory):
    wh = make_warehouse(request.param, tmp_path_factory.mktemp("nightly"))
    import os

    old = os.environ.get("BENCHWH_DATA_PATH")
    if wh.data_path:
        os.environ["BENCHWH_DATA_PATH"] = wh.data_path
    try:
        # Through the recorder on the file backend; on DuckLake one write (its recorder path is
        # covered by test_regress_recorder) to keep the suite quick.
        record_nights(wh.db, NIGHTLY, recorder=not wh.is_lake)
    finally:
        if wh.data_path:
            os.environ.pop("BENCHWH_DATA_PATH") if old is None else os.environ.__setitem__("BENCHWH_DATA_PATH", old)
    return wh


@pytest.fixture
def nightly(nightly_wh, monkeypatch) -> str:
    return nightly_wh.use(monkeypatch)


@pytest.fixture
def file_db(make_warehouse, tmp_path) -> str:
    """A fresh DuckDB-file warehouse (the tests that each fill their own)."""
    return make_warehouse("file", tmp_path).db


def _changes(cli, db, *args):
    res = cli("changes", "--db", db, *args, "--format", "json")
    assert res.code == 0, res.stderr
    return json.loads(res.stdout), res.stderr


def test_changes_json_fields_direction_and_samples(nightly, cli):
    rows, err = _changes(cli, nightly, "--metric", "latency_ms_mean", "--metric", "throughput_items_per_s")
    got = {(r["model_name"], r["metric"]): r for r in rows}
    assert set(got) == {("acme/slower", "latency_ms_mean"), ("acme/slower", "throughput_items_per_s"),
                        ("acme/faster", "latency_ms_mean"), ("acme/faster", "throughput_items_per_s")}
    first_after = START + timedelta(days=STEP_AT)
    for (model, metric), r in got.items():
        for k in ("model_name", "hardware_type", "device_name", "mode", "batch_size", "sequence_length",
                  "precision", "metric", "measured_at", "result_id", "run_id", "git_commit", "before",
                  "after", "change_pct", "p_value", "verdict", "tested_on", "is_simulated"):
            assert k in r, k
        assert r["measured_at"].startswith(str(first_after.date()))
        assert r["git_commit"].startswith(f"c{STEP_AT:03d}")
        assert r["is_simulated"] is False and r["tested_on"] == "samples"
        assert r["p_value"] < 1e-3
        assert r["change_pct"] == pytest.approx((r["after"] - r["before"]) / r["before"] * 100)
    # Latency up is a regression and so is the throughput that falls with it; and back.
    assert got[("acme/slower", "latency_ms_mean")]["verdict"] == "regression"
    assert 25 < got[("acme/slower", "latency_ms_mean")]["change_pct"] < 35
    assert got[("acme/slower", "throughput_items_per_s")]["verdict"] == "regression"
    assert got[("acme/slower", "throughput_items_per_s")]["change_pct"] < 0
    assert got[("acme/faster", "latency_ms_mean")]["verdict"] == "improvement"
    assert got[("acme/faster", "throughput_items_per_s")]["verdict"] == "improvement"
    assert "tested" in err and "on samples" in err
    # the flat model and its simulated twin (alternating levels) were never mixed
    assert not any(r["model_name"] == "acme/flat" for r in rows)


def test_means_only_points_are_tested_on_means(file_db, cli):
    record_nights(file_db, {("acme/nosamples", False): step(10.0, 12.0)}, samples=None)
    rows, _ = _changes(cli, file_db)
    assert [(r["metric"], r["tested_on"], r["verdict"]) for r in rows] == [("latency_ms_mean", "means", "regression")]


def test_simulated_series_are_their_own(file_db, cli):
    record_nights(file_db, {("acme/m", False): [10.0] * NIGHTS, ("acme/m", True): step(10.0, 15.0)})
    rows, _ = _changes(cli, file_db, "--metric", "latency_ms_mean")
    assert [(r["model_name"], r["is_simulated"]) for r in rows] == [("acme/m", True)]


def test_annotation_silences_the_expected_change(file_db, cli):
    nightly = file_db
    record_nights(nightly, {k: v for k, v in NIGHTLY.items() if not k[1]})
    at = (START + timedelta(days=STEP_AT) - timedelta(hours=1)).isoformat()
    res = cli("annotate", "--db", nightly, "--model", "acme/slower", "--hardware", "cpu", "--at", at,
              "--note", "new tokenizer")
    assert res.code == 0, res.stderr
    rows, _ = _changes(cli, nightly, "--metric", "latency")
    assert {r["model_name"] for r in rows} == {"acme/faster"}
    gate = cli("regressions", "--db", nightly, "--method", "changepoint", "--metric", "latency_ms_mean",
               "--json", "--all")
    found = {f["model_name"]: f for f in json.loads(gate.stdout)["findings"]}
    assert found["acme/slower"]["verdict"] == "unchanged"
    assert found["acme/faster"]["verdict"] == "improvement"


def test_regressions_changepoint_gate_and_exit_codes(nightly, cli):
    args = ["regressions", "--db", nightly, "--method", "changepoint", "--metric", "latency_ms_mean"]
    res = cli(*args, "--json")
    assert res.code == 0, res.stderr
    out = json.loads(res.stdout)
    by = {(f["model_name"], f["is_simulated"]): f for f in out["findings"]}
    slow = by[("acme/slower", False)]
    assert slow["verdict"] == "regression" and slow["method"] == "changepoint"
    assert slow["baseline_at"].startswith(str((START + timedelta(days=STEP_AT - 1)).date()))
    assert 25 < slow["change_pct"] < 35 and slow["p_value"] < 1e-3
    assert f"latest {NIGHTS - STEP_AT} points" in slow["reason"]
    assert by[("acme/flat", False)]["verdict"] == "unchanged"
    assert out["counts"]["regression"] == 1
    assert cli(*args).code == 0
    assert cli(*args, "--fail-on-regression").code == 1
    assert cli("regressions", "--db", nightly, "--method", "changepoint", "--model", "acme/faster",
               "--fail-on-regression").code == 0


def _rendered(md: str):
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(md)
    return ET.fromstring(f"<root>{html}</root>")


def test_github_format_renders_headline_and_table(nightly, cli):
    res = cli("regressions", "--db", nightly, "--method", "changepoint", "--metric", "latency_ms_mean",
              "--format", "github")
    assert res.code == 0, res.stderr
    first = res.stdout.splitlines()[0]
    assert first.startswith("### ") and "1 regression, 1 improvement" in first
    doc = _rendered(res.stdout)
    assert doc.find("h3") is not None
    table = doc.find("table")
    heads = [th.text for th in table.iter("th")]
    assert heads[:4] == ["series", "baseline", "current", "change"]
    body = table.find("tbody").findall("tr")
    assert len(body) == 1
    cells = [td.text for td in body[0].findall("td")]
    assert cells[0].startswith("acme/slower | cpu") and cells[3].startswith("+") and cells[3].endswith("%")

    ch = cli("changes", "--db", nightly, "--metric", "latency_ms_mean", "--format", "github")
    assert ch.code == 0, ch.stderr
    assert "1 regression, 1 improvement in 4 series" in ch.stdout.splitlines()[0]
    doc = _rendered(ch.stdout)
    rows = doc.find("table").find("tbody").findall("tr")
    assert len(rows) == 1 and rows[0].findall("td")[5].text.startswith("+")
    assert "<details>" in ch.stdout  # the improvement, folded


def _junit(xml_text: str):
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(XSD)).validate(xml_text)
    return ET.fromstring(xml_text)


def test_junit_format_validates_and_parses_back(nightly, cli):
    res = cli("regressions", "--db", nightly, "--method", "changepoint", "--metric", "latency_ms_mean",
              "--format", "junit")
    assert res.code == 0, res.stderr
    root = _junit(res.stdout)
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests")) == 4  # one per series, simulated included
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures")) == len(failed) == 1
    assert failed[0].get("classname").startswith("acme/slower | cpu")
    assert failed[0].get("name") == "latency_ms_mean"
    msg = failed[0].find("failure").get("message")
    assert msg.startswith("regression: latency_ms_mean +") and "%" in msg

    ch = cli("changes", "--db", nightly, "--metric", "latency_ms_mean", "--format", "junit")
    root = _junit(ch.stdout)
    cases = root.find("testsuite").findall("testcase")
    assert len(cases) == 4
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("classname").split(" | ")[0] for c in failed] == ["acme/slower"]
    assert f"c{STEP_AT:03d}" in failed[0].find("failure").text


def test_junit_rejects_what_ci_readers_reject():
    """The schema the test validates against is not a rubber stamp."""
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    assert not schema.is_valid('<testsuites><testsuite name="x" tests="1" failures="0">'
                               '<testcase name="a"/></testsuite></testsuites>')  # no errors=
    assert not schema.is_valid('<testsuites><testsuite name="x" tests="1" failures="0" errors="0">'
                               '<testcase name="a"><oops/></testcase></testsuite></testsuites>')


def test_regressions_say_which_method_judged_and_why(file_db, cli):
    from benchwh.runners.recorder import Recorder
    from benchwh.runners.stats import result_fields

    for k, ms in enumerate((10.0, 12.0)):
        t = START + timedelta(days=k)
        run = RunInfo(origin="nightly", started_at=t, git_commit=f"d{k}", host="ci")
        with Recorder(db=file_db, origin="nightly", run=run, say=lambda _: None) as rec:
            rec.result(model_name="acme/few", hardware_type="cpu", batch_size=1, measured_at=t,
                       **result_fields([ms, ms * 1.01, ms * 0.99], items_per_call=1))
    res = cli("regressions", "--db", file_db, "--metric", "latency_ms_mean", "--json")
    (f,) = json.loads(res.stdout)["findings"]
    assert f["method"] == "threshold" and f["verdict"] == "regression"
    assert "3 baseline, 3 current (need 5 each)" in f["reason"]
    table = cli("regressions", "--db", file_db, "--metric", "latency_ms_mean", env={"COLUMNS": "250"})  # one line per row
    assert "threshold (threshold only: no rank test" in table.stdout and "+20.0%" in table.stdout


def test_since_and_filters_narrow_the_history(nightly, cli):
    after = str((START + timedelta(days=STEP_AT)).date())
    rows, err = _changes(cli, nightly, "--metric", "latency_ms_mean", "--since", after)
    assert rows == [] and "4 series, 0 change points" in err  # only the level after the steps
    rows, _ = _changes(cli, nightly, "--metric", "latency_ms_mean", "--model", "acme/faster")
    assert [r["model_name"] for r in rows] == ["acme/faster"]
    bad = cli("changes", "--db", nightly, "--format", "yaml")
    assert bad.code == 1 and "--format 'yaml'" in bad.stderr
