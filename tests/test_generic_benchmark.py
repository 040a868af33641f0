"""Generic benchmarks (a name, parameters and a reported unit; no model) end to end, on each
backend: recorder and interchange -> warehouse -> query, export, regressions, report, merge,
check. Values in each check are computed here from what was recorded, not read back from a
golden file."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from benchwh.errors import BenchwhError
from benchwh.interchange import InterchangeError, from_document, to_document, write_file
from benchwh.records import Result, RunInfo
from benchwh.runners.recorder import Recorder
from benchwh.warehouse.write import write_records

from conftest import sql

T0 = datetime(2026, 11, 1, 12, 0, 0)
SORT = "test_bench.py::test_sort"
RUN = RunInfo(origin="pytest-benchmark", started_at=T0, git_commit="abc123")


def generic(n: int | None, hw: str = "cpu", mean: float = 2.0, at: datetime = T0, run: RunInfo = RUN,
            name: str = SORT, **kw) -> Result:
    return Result(run=run, model_name=None, hardware_type=hw, benchmark=name,
                  benchmark_params=None if n is None else {"n": n, "algo": "quick"}, reported_unit="s",
                  latency_ms_mean=mean, latency_ms_min=mean * 0.9, iterations=10, measured_at=at, **kw)


def rows(db, where: str = "benchmark IS NOT NULL", params=()):
    return sql(db, f"SELECT benchmark, benchmark_params, reported_unit, model_id, latency_ms_mean FROM results "
                   f"WHERE {where} ORDER BY benchmark, benchmark_params", params)


def test_recorder_writes_generic_results_idempotently(warehouse_db, cli):
    with Recorder(warehouse_db, origin="my_harness", run=RUN, say=lambda s: None) as rec:
        # keys in another order: the same parameters, the same text, the same result
        a = rec.benchmark(SORT, "cpu", params={"n": 1000, "algo": "quick"}, unit="s",
                          latency_ms_mean=1.25, measured_at=T0)
        b = rec.benchmark(SORT, "cpu", params={"algo": "quick", "n": 1000}, unit="s",
                          latency_ms_mean=1.25, measured_at=T0)
        c = rec.benchmark("BM_Sort/1024", "cpu", unit="ns", latency_ms_mean=0.004, measured_at=T0)
        m = rec.result("bert-base-uncased", "cpu", batch_size=1, latency_ms_mean=9.0, measured_at=T0)
    assert a.result_id == b.result_id != c.result_id
    got = rows(warehouse_db)
    assert got == [("BM_Sort/1024", None, "ns", None, 0.004),
                   (SORT, json.dumps({"algo": "quick", "n": 1000}, sort_keys=True), "s", None, 1.25)]
    # the model result is untouched by the generic identity
    assert sql(warehouse_db, "SELECT benchmark, model_id IS NOT NULL FROM results WHERE result_id = ?",
               [m.result_id]) == [(None, True)]
    assert sql(warehouse_db, "SELECT count(*) FROM models") == [(1,)]
    # recording the same facts again adds nothing
    stats = write_records(warehouse_db, [a, b, c, m])
    assert stats["results"] == 0 and sql(warehouse_db, "SELECT count(*) FROM results") == [(3,)]
    assert cli("check", "--db", warehouse_db).code == 0


def test_recorder_refuses_parameters_that_are_not_flat_scalars(tmp_path):
    with Recorder(store=False, output=tmp_path / "o.json", run=RUN, say=lambda s: None) as rec:
        with pytest.raises(BenchwhError, match="parameter 'shape' is a list"):
            rec.benchmark("b", "cpu", params={"shape": [1, 2]})
        with pytest.raises(BenchwhError, match="give it as text"):
            rec.benchmark("b", "cpu", params={"rate": float("inf")})
        rec.benchmark("b", "cpu", params={"rate": "inf", "on": True, "x": 0.5}, latency_ms_mean=1.0)
    assert len(rec.records) == 1


def test_interchange_round_trip_and_import(warehouse_db, cli, tmp_path):
    recs = [generic(1000), generic(10, mean=0.5), generic(None, name="BM_Sort/1024"),
            Result(run=RUN, model_name="m", hardware_type="cpu", latency_ms_mean=3.0, measured_at=T0)]
    doc = to_document(recs)
    back = from_document(json.loads(json.dumps(doc)))
    assert back == recs and [r.result_id for r in back] == [r.result_id for r in recs]
    # a model result's document carries no generic keys (readable by a benchwh without them)
    model_item = [i for i in doc["records"] if i.get("model_name") == "m"][0]
    assert not {"benchmark", "benchmark_params", "reported_unit"} & set(model_item)
    path = write_file(tmp_path / "in" / "harness.json", recs) if (tmp_path / "in").mkdir() is None else None
    res = cli("import", str(path.parent), "--db", warehouse_db)
    assert res.code == 0, res.stderr
    ids = {r[0] for r in sql(warehouse_db, "SELECT result_id FROM results")}
    assert ids == {r.result_id for r in recs}
    assert cli("import", str(path.parent), "--db", warehouse_db).code == 0
    assert sql(warehouse_db, "SELECT count(*) FROM results") == [(4,)]
    # nested parameters are refused with the record's place
    bad = json.loads(json.dumps(doc))
    bad["records"][0]["benchmark_params"] = {"n": {"deep": 1}}
    with pytest.raises(InterchangeError, match=r"/records/0.benchmark_params: benchmark parameter 'n' is a dict"):
        from_document(bad)


@pytest.fixture
def filled(warehouse_db):
    """Two parameter sets of one benchmark on cpu and cuda, a second benchmark, a model."""
    later = RunInfo(origin="pytest-benchmark", started_at=T0 + timedelta(days=1), git_commit="def456")
    write_records(warehouse_db, [
        generic(1000, mean=4.0), generic(1000, mean=5.0, at=T0 + timedelta(days=1), run=later),
        generic(10, mean=0.5), generic(1000, hw="cuda", mean=1.0),
        generic(None, name="BM_Sort/1024", mean=0.004),
        Result(run=RUN, model_name="bert", hardware_type="cpu", batch_size=1, latency_ms_mean=9.0, measured_at=T0),
    ])
    return warehouse_db


def q(cli, *args):
    res = cli("query", *args, "--format", "json")
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)


def test_query_filters_by_benchmark_and_params(filled, cli):
    db = filled
    latest = q(cli, "latest", "--db", db)
    assert len(latest) == 4 + 1  # (sort n=1000 cpu, cuda), (sort n=10), BM_Sort, bert
    mine = q(cli, "latest", "--benchmark", SORT, "--param", "n=1000", "--hardware", "cpu", "--db", db)
    assert [(r["benchmark"], json.loads(r["benchmark_params"]), r["latency_ms_mean"], r["reported_unit"])
            for r in mine] == [(SORT, {"algo": "quick", "n": 1000}, 5.0, "s")]  # the newer of two
    assert mine[0]["model_name"] is None
    # numbers match as numbers; every --param must hold; a missing key never matches
    assert len(q(cli, "latest", "--param", "n=1e3", "--param", "algo=quick", "--db", db)) == 2
    assert q(cli, "latest", "--param", "n=1000", "--param", "algo=merge", "--db", db) == []
    assert q(cli, "latest", "--param", "size=1000", "--db", db) == []
    assert [r["benchmark"] for r in q(cli, "latest", "--benchmark", "BM_Sort/1024", "--db", db)] == ["BM_Sort/1024"]
    res = cli("query", "latest", "--param", "n", "--db", db)
    assert res.code == 1 and res.stderr.strip() == ("Error: --param 'n': give KEY=VALUE (a benchmark parameter, "
                                                    "e.g. `--param n=1000`)")
    # a quote or path character in a key is a plain character, not JSON path syntax
    assert q(cli, "latest", "--param", 'n"]=1', "--param", "$.n=1000", "--db", db) == []

    trend = q(cli, "trend", "--benchmark", SORT, "--param", "n=1000", "--hardware", "cpu", "--db", db)
    assert [r["latency_ms_mean"] for r in trend] == [4.0, 5.0]
    assert trend[1]["change_vs_previous"] == pytest.approx(5.0 / 4.0 - 1)
    both = q(cli, "trend", "--benchmark", SORT, "--hardware", "cpu", "--db", db)
    # one series per parameter set (ordered by the parameters' text)
    assert [(json.loads(r["benchmark_params"])["n"], r["change_vs_previous"]) for r in both] == [
        (1000, None), (1000, pytest.approx(0.25)), (10, None)]

    hw = q(cli, "compare-hardware", "--benchmark", SORT, "--param", "n=1000", "--db", db)
    assert [(r["hardware_type"], r["latency_vs_fastest"]) for r in hw] == [("cuda", 1.0), ("cpu", 5.0)]
    on_cpu = q(cli, "compare-models", "--hardware", "cpu", "--benchmark", SORT, "--db", db)
    assert sorted(r["latency_ms_mean"] for r in on_cpu) == [0.5, 5.0]


def test_export_carries_the_generic_identity(filled, cli, tmp_path):
    import polars as pl

    out = tmp_path / "flat.parquet"
    res = cli("export", "--out", str(out), "--db", filled)
    assert res.code == 0, res.stderr
    df = pl.read_parquet(out)
    assert {"benchmark", "benchmark_params", "reported_unit"} <= set(df.columns)
    g = df.filter(pl.col("benchmark") == SORT).sort("latency_ms_mean")
    assert g["latency_ms_mean"].to_list() == [0.5, 1.0, 4.0, 5.0]
    assert g["model_name"].null_count() == 4 and set(g["reported_unit"]) == {"s"}
    assert [json.loads(p)["n"] for p in g["benchmark_params"]] == [10, 1000, 1000, 1000]
    assert df.filter(pl.col("model_name") == "bert")["benchmark"].to_list() == [None]


def test_regression_on_a_generic_series(warehouse_db, cli):
    rng = random.Random(7)
    recs = []
    for day in range(8):
        run = RunInfo(origin="pytest-benchmark", started_at=T0 + timedelta(days=day), git_commit=f"c{day}")
        slow = 2.0 if day == 7 else 1.0  # the last run of n=1000 doubled
        for n, factor in ((1000, slow), (10, 1.0)):
            samples = [10.0 * n / 1000 * factor * (0.95 + 0.1 * rng.random()) for _ in range(20)]
            recs.append(generic(n, mean=sum(samples) / len(samples), at=T0 + timedelta(days=day), run=run,
                                latency_samples_ms=samples))
    write_records(warehouse_db, recs)
    res = cli("regressions", "--db", warehouse_db, "--format", "json", "--all")
    assert res.code == 0, res.stderr
    found = json.loads(res.stdout)["findings"]
    lat = {json.loads(f["benchmark_params"])["n"]: f for f in found if f["metric"] == "latency_ms_mean"}
    assert lat[1000]["verdict"] == "regression" and lat[10]["verdict"] != "regression"
    before_10 = lat[10]["verdict"]
    assert lat[1000]["series"].startswith(f"{SORT}[algo=quick, n=1000] | cpu")
    assert lat[1000]["change_pct"] == pytest.approx((recs[-2].latency_ms_mean / recs[-4].latency_ms_mean - 1) * 100)
    only = cli("regressions", "--db", warehouse_db, "--format", "json", "--all", "--param", "n=10")
    assert {json.loads(f["benchmark_params"])["n"] for f in json.loads(only.stdout)["findings"]} == {10}
    gate = cli("regressions", "--db", warehouse_db, "--benchmark", SORT, "--fail-on-regression")
    assert gate.code == 1
    # an expected change marked on that parameter set (only) restarts its baseline
    day7 = (T0 + timedelta(days=7)).isoformat()
    res = cli("annotate", "--benchmark", SORT, "--param", "n=1e3", "--hardware", "cpu", "--at", day7,
              "--note", "new algorithm", "--db", warehouse_db, "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["matching_results"] == 8  # n=1000's eight points, not n=10's
    after = json.loads(cli("regressions", "--db", warehouse_db, "--format", "json", "--all").stdout)["findings"]
    lat = {json.loads(f["benchmark_params"])["n"]: f for f in after if f["metric"] == "latency_ms_mean"}
    assert lat[1000]["verdict"] != "regression" and lat[10]["verdict"] == before_10
    res = cli("annotate", "--hardware", "cpu", "--at", day7, "--note", "x", "--db", warehouse_db)
    assert res.code == 1 and "--benchmark NAME" in res.stderr
    # revision 2 cannot hold these: the downgrade refuses and names them
    res = cli("migrate", "--to", "0002", "--db", warehouse_db)
    assert res.code == 1 and "generic benchmark result(s)" in res.stderr


def test_report_shows_generic_benchmarks(filled, cli, tmp_path):
    from benchwh.report import write_report

    later = RunInfo(origin="pytest-benchmark", started_at=T0 + timedelta(days=2))
    write_records(filled, [generic(10, mean=0.7, at=T0 + timedelta(days=2), run=later)])
    from benchwh.report.data import gather

    data = gather(filled)
    # every generic benchmark is listed under its name, each parameter set its own series
    assert {SORT, "BM_Sort/1024"} <= set(data.models) and len(data.models) == 3  # and the model
    sort_params = {r["benchmark_params"] for r in data.keys.to_dicts() if r["model_name"] == SORT}
    assert {json.dumps({"algo": "quick", "n": 10}, sort_keys=True),
            json.dumps({"algo": "quick", "n": 1000}, sort_keys=True)} <= sort_params
    files = write_report(filled, tmp_path / "r.html", tmp_path / "png")
    assert files.html.stat().st_size > 0 and files.series == data.keys.height
    assert files.pngs  # the same charts as images


def test_merge_copies_generic_results(filled, make_warehouse, tmp_path, cli):
    other = make_warehouse("file", tmp_path / "other")
    before = sql(filled, "SELECT * FROM results ORDER BY result_id")
    for expect in (len(before), 0):
        res = cli("merge", filled, "--db", other.db, "--json")
        assert res.code == 0, res.stderr
        assert json.loads(res.stdout)[0]["added"]["results"] == expect
    assert sql(other.db, "SELECT * EXCLUDE (inserted_at) FROM results ORDER BY result_id") == \
        sql(filled, "SELECT * EXCLUDE (inserted_at) FROM results ORDER BY result_id")
    assert cli("check", "--db", other.db).code == 0


def test_check_reports_a_result_with_neither_model_nor_benchmark(fresh_db):
    import duckdb

    from benchwh.warehouse.check import check

    write_records(fresh_db, [generic(1)])
    con = duckdb.connect(fresh_db)
    try:
        con.execute("UPDATE results SET benchmark = NULL")
        names = {p["check"] for p in check(con)["problems"]}
    finally:
        con.close()
    # such a row is also not one benchwh wrote from that content: its ids cannot match
    assert "results with neither a model nor a benchmark name" in names


def test_annotation_matches_parameters_as_the_filter_does():
    from benchwh.warehouse.annotate import Annotation

    ann = Annotation(effective_at=T0, benchmark=SORT, benchmark_params=json.dumps({"n": "1e3"}))
    key = {"benchmark": SORT, "benchmark_params": json.dumps({"algo": "quick", "n": 1000}, sort_keys=True)}
    assert ann.matches(key, "latency_ms_mean")
    assert not ann.matches({**key, "benchmark_params": json.dumps({"n": 10})}, "latency_ms_mean")
    assert not ann.matches({**key, "benchmark_params": None}, "latency_ms_mean")
    assert not ann.matches({**key, "benchmark": "other"}, "latency_ms_mean")
    # a model annotation keeps the id it had before generic benchmarks existed
    from benchwh.records import content_id

    m = Annotation(effective_at=T0, model_name="bert", hardware_type="cpu", note="n")
    assert m.annotation_id == content_id("annotation", m.kind, "bert", "cpu", None, None, None, None, None, T0, "n")
