"""Property: any results a runner may record survive records -> warehouse -> Parquet ->
Polars with every contract value intact (text with quotes and unicode, NULLs, lists, times,
booleans, metrics as JSON text), on each backend (a DuckDB file and DuckLake on PostgreSQL).

Every example writes into one warehouse per backend (a new lake per example would cost about
a second to attach), so the expectation covers everything written to it so far: the writer's
rules for a repeated id hold across examples as within one."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchwh.records import Provenance, Result, RunInfo
from benchwh.warehouse.export import export
from benchwh.warehouse.write import write_records

from conftest import BACKENDS

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
maybe = lambda s: st.none() | s  # noqa: E731
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))
ints = st.integers(min_value=-(2**31), max_value=2**31 - 1)


@st.composite
def results(draw):
    run = RunInfo(origin=draw(st.sampled_from(["benchwh.runner.inference", "hardware_benchmark_runner"])),
                  started_at=draw(maybe(times)), git_commit=draw(maybe(text)), host=draw(maybe(text)),
                  git_branch=draw(maybe(text)))
    # a generic benchmark (no model; a name, scalar parameters and a unit) or a model result
    gen = draw(st.booleans())
    scalar = st.none() | st.booleans() | ints | finite | text
    return Result(
        benchmark=draw(text.filter(bool)) if gen else None,
        benchmark_params=draw(maybe(st.dictionaries(text, scalar, max_size=3))) if gen else None,
        reported_unit=draw(maybe(text)) if gen else None,
        run=run, model_name=None if gen else draw(text.filter(bool)), hardware_type=draw(st.sampled_from(["cpu", "cuda", "webgpu"])),
        model_family=draw(maybe(text)), device_name=draw(maybe(text)),
        mode=draw(st.sampled_from(["inference", "training"])), scenario=draw(maybe(text)),
        batch_size=draw(maybe(ints)), sequence_length=draw(maybe(ints)), precision=draw(maybe(text)),
        status=draw(st.sampled_from(["completed", "failed"])), error=draw(maybe(text)),
        latency_ms_mean=draw(maybe(finite)), latency_ms_p99=draw(maybe(finite)),
        latency_samples_ms=draw(maybe(st.lists(finite, max_size=5))),
        throughput_items_per_s=draw(maybe(finite)), memory_peak_mb=draw(maybe(finite)),
        iterations=draw(maybe(ints)),
        metrics=draw(st.dictionaries(st.text(max_size=8), finite | text, max_size=3)),
        is_simulated=draw(st.booleans()), simulation_reason=draw(maybe(text)),
        measured_at=draw(maybe(times)),
        provenance=Provenance(source_file=draw(maybe(text)), source_pointer=draw(maybe(text))),
    )


@pytest.fixture(scope="module", params=BACKENDS)
def target(request, make_warehouse, tmp_path_factory):
    """A migrated warehouse on each backend and the batches written to it so far, in order."""
    return make_warehouse(request.param, tmp_path_factory.mktemp("prop")), []


def expected_row(r: Result) -> dict:
    metrics = json.dumps(r.metrics, sort_keys=True, allow_nan=False) if r.metrics else None
    return {
        "result_id": r.result_id, "run_id": r.run.run_id, "source": r.run.origin, "model_name": r.model_name,
        "model_family": r.model_family, "hardware_type": r.hardware_type, "device_name": r.device_name,
        "is_simulated": r.is_simulated, "simulation_reason": r.simulation_reason, "mode": r.mode,
        "scenario": r.scenario, "batch_size": r.batch_size, "sequence_length": r.sequence_length,
        "precision": r.precision, "status": r.status, "error": r.error,
        "latency_ms_mean": r.latency_ms_mean, "latency_ms_p99": r.latency_ms_p99,
        "latency_samples_ms": r.latency_samples_ms, "throughput_items_per_s": r.throughput_items_per_s,
        "memory_peak_mb": r.memory_peak_mb, "iterations": r.iterations, "measured_at": r.measured_at,
        "git_commit": r.run.git_commit, "git_branch": r.run.git_branch, "host": r.run.host,
        "metrics": metrics, "source_file": r.provenance.source_file,
        "source_pointer": r.provenance.source_pointer, "benchmark": r.benchmark,
        "benchmark_params": json.dumps(r.benchmark_params, sort_keys=True) if r.benchmark_params else None,
        "reported_unit": r.reported_unit,
    }


def _copy_key(r: Result) -> tuple[str, str]:
    return (r.provenance.source_sha256 or "", r.provenance.source_pointer or "")


def expected_rows(batches: list[list[Result]]) -> dict[str, dict]:
    """The flat row of every result id among ``batches`` (each one ``write_records`` call, in
    order). Of the copies of an id, the one with the smallest (source sha256, pointer) wins,
    whichever came first (``write._adopt_first_copies``: order never matters), the first of
    equal ones; except the simulation flag: a copy that says
    "simulated" wins whichever came first, and a write that flags a measured row keeps the
    smallest of its simulated copies' reasons (the writer's rule, ``benchwh.warehouse.write``)."""
    want: dict[str, dict] = {}
    described: dict[str, list[RunInfo]] = {}
    families: dict[str, list] = {}
    for batch in batches:
        flagged: dict[str, list[str | None]] = {}
        for r in batch:
            described.setdefault(r.run.run_id, []).append(r.run)
            families.setdefault(r.model_name, []).append(r.model_family)
            if r.is_simulated:
                flagged.setdefault(r.result_id, []).append(r.simulation_reason)
            held = want.get(r.result_id)
            if held is None or _copy_key(r) < held["_key"]:
                row = expected_row(r)
                row["_run"] = r.run.run_id
                row["_model"] = r.model_name
                row["_key"] = _copy_key(r)
                if held is not None and held["is_simulated"]:  # simulated stays simulated
                    row["is_simulated"] = True
                    if not r.is_simulated:
                        row["simulation_reason"] = held["simulation_reason"]
                want[r.result_id] = row
        for rid, reasons in flagged.items():
            if not want[rid]["is_simulated"]:
                known = [x for x in reasons if x is not None]  # SQL min() skips NULLs
                want[rid].update(is_simulated=True, simulation_reason=min(known) if known else None)
    # A run's facts are merged over every description of it (none of these carries a source
    # file): of the values given for a field, the smallest in canonical JSON; None only when
    # no description gave one.
    for row in want.values():
        row.pop("_key")
        model = row.pop("_model")
        if row["model_family"] is None and model is not None:  # the model's family, merged the same way
            given = [f for f in families[model] if f is not None]
            row["model_family"] = min(given, key=lambda v: json.dumps(v, sort_keys=True)) if given else None
        runs = described[row.pop("_run")]
        for f in ("git_commit", "git_branch", "host"):
            given = [getattr(x, f) for x in runs if getattr(x, f) is not None]
            row[f] = min(given, key=lambda v: json.dumps(v, sort_keys=True)) if given else None
    return want


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recs=st.lists(results(), min_size=1, max_size=6))
def test_records_survive_warehouse_parquet_polars(target, tmp_path_factory, recs):
    import polars as pl

    warehouse, batches = target
    write_records(warehouse.location(), recs)
    batches.append(recs)
    path = tmp_path_factory.mktemp("out") / "out.parquet"
    export(warehouse.location(), path)
    got = {row["result_id"]: row for row in pl.read_parquet(path).to_dicts()}
    want = expected_rows(batches)
    assert set(got) == set(want)
    for rid, w in want.items():
        g = got[rid]
        assert {k: g[k] for k in w} == w


def test_nul_text_and_missing_are_two_devices(fresh_db, tmp_path):
    """Two results that differ only in the device name, missing or a NUL character, are two
    rows. (Backend-independent: the ids are made before the warehouse sees the records.)"""
    import polars as pl

    run = RunInfo(origin="benchwh.runner.inference")
    write_records(fresh_db, [Result(run=run, model_name="m", hardware_type="cpu", device_name=d)
                             for d in (None, "\x00")])
    export(fresh_db, tmp_path / "out.parquet")
    assert sorted(map(repr, pl.read_parquet(tmp_path / "out.parquet")["device_name"])) == ["'\\x00'", "None"]


@pytest.mark.parametrize("order", ["pointer first", "none first"])
def test_copies_of_one_result_keep_the_smallest_pointer_whatever_the_order(make_warehouse, tmp_path, order):
    """The case the property found: one fact twice in a batch, with and without a pointer."""
    import polars as pl

    run = RunInfo(origin="benchwh.runner.inference")
    copies = [Result(run=run, model_name="m", hardware_type="cpu", mode="inference", status="completed",
                     provenance=Provenance(source_pointer=p)) for p in ("/b", None)]
    assert copies[0].result_id == copies[1].result_id
    wh = make_warehouse("file", tmp_path)
    write_records(wh.location(), copies if order == "pointer first" else copies[::-1])
    export(wh.location(), tmp_path / "out.parquet")
    got = pl.read_parquet(tmp_path / "out.parquet")
    assert got.height == 1 and got["source_pointer"].to_list() == [None]
