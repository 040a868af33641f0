"""Test data for the query, SQL-guard and export tests: legacy-shaped files written here,
imported through `benchwh import`, plus a few runner-style records (precision is only carried
by runner results) written through the warehouse writer, on either backend (a DuckDB file or
DuckLake on PostgreSQL, from ``make_warehouse``).

Every generated measurement is also returned as a plain "truth" dict in contract column names,
computed from the values put into the files (seconds converted to ms here, independently of
the importers), so tests compare the warehouse's answers with numbers they know.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import BACKENDS, Warehouse, run_cli, sql

DAY0 = datetime(2025, 3, 1, 10, 0, 0)
# A model name made to break naive SQL: quote, semicolon, percent, underscore.
ODD_MODEL = "o'brien; drop table results; --%_x"
F8_MODELS = ("bert-base-uncased", "google/vit-base-patch16-224", ODD_MODEL)
# (spelling in the file, canonical type, device_name, simulated)
F8_HARDWARE = (("cpu", "cpu", None, False), ("cuda:0", "cuda", "cuda:0", False),
               ("cuda (mock)", "cuda", None, True))


def _truth(**kw) -> dict:
    base = dict(model_name=None, hardware_type=None, device_name=None, is_simulated=False,
                mode="inference", scenario=None, batch_size=None, sequence_length=None,
                input_shape=None, precision=None, status="completed", latency_ms_mean=None,
                throughput_items_per_s=None, memory_peak_mb=None, latency_samples_ms=None,
                measured_at=None, source_file=None)
    base.update(kw)
    return base


def f8_files(rng: random.Random) -> tuple[dict[str, dict], list[dict]]:
    """F8 direct-benchmark files: 3 models x 3 hardware spellings x 3 days, batches 1 and 4;
    on day 1 batch 4 of every cpu run failed."""
    files, truth = {}, []
    for mi, model in enumerate(F8_MODELS):
        for spelling, hw, device, sim in F8_HARDWARE:
            for day in range(3):
                t = DAY0 + timedelta(days=day, minutes=7 * mi + (0 if hw == "cpu" else 3))
                name = (f"direct/direct_benchmark_m{mi}_{spelling.replace(' ', '').replace(':', '')}"
                        f"_{t:%Y%m%d_%H%M%S}.json")
                batches = {}
                for j, b in enumerate((1, 4)):
                    at = t + timedelta(seconds=j + 1)
                    if day == 1 and b == 4 and hw == "cpu":
                        batches[str(b)] = {"success": False, "batch_size": b, "error": "CUDA out of memory? no: OOM",
                                           "device": spelling, "timestamp": at.isoformat()}
                        truth.append(_truth(model_name=model, hardware_type=hw, device_name=device,
                                            is_simulated=sim, batch_size=b, status="failed",
                                            measured_at=at, source_file=name))
                        continue
                    samples = [round(rng.uniform(2.0, 9.0) * b, 6) for _ in range(4)]
                    mean = sum(samples) / len(samples)
                    tput = 1000.0 * b / mean
                    mem = round(300.0 + 25.0 * b + rng.random(), 4)
                    batches[str(b)] = {"success": True, "batch_size": b, "avg_latency_ms": mean,
                                       "throughput_items_per_second": tput, "memory_mb": mem,
                                       "latencies_ms": samples, "device": spelling,
                                       "timestamp": at.isoformat()}
                    truth.append(_truth(model_name=model, hardware_type=hw, device_name=device,
                                        is_simulated=sim, batch_size=b, latency_ms_mean=mean,
                                        throughput_items_per_s=tput, memory_peak_mb=mem,
                                        latency_samples_ms=samples, measured_at=at, source_file=name))
                files[name] = {"model": model, "hardware": spelling, "success": True,
                               "batch_results": batches, "timestamp": t.isoformat()}
    return files, truth


def f6_file(rng: random.Random) -> tuple[dict[str, dict], list[dict]]:
    """One F6 runner file: bert-base-uncased on cpu and openvino, two text configs each
    (seconds in the file); the openvino batch_4_seq_128 config failed."""
    t = DAY0 + timedelta(days=1, hours=2)
    name = "runner/benchmark_results.json"
    hws, truth = {}, []
    for k, hw in enumerate(("cpu", "openvino")):
        at = t + timedelta(seconds=30 * k)
        configs = {}
        for b, s in ((1, 32), (4, 128)):
            key = f"batch_{b}_seq_{s}"
            if hw == "openvino" and b == 4:
                configs[key] = {"status": "failed", "error": "unsupported op"}
                truth.append(_truth(model_name="bert-base-uncased", hardware_type=hw, batch_size=b,
                                    sequence_length=s, status="failed", measured_at=at, source_file=name))
                continue
            lat = [round(rng.uniform(0.002, 0.02) * b, 7) for _ in range(3)]
            avg = sum(lat) / len(lat)
            configs[key] = {"status": "completed", "latencies": lat, "avg_latency": avg,
                            "throughput": b / avg, "iterations": 3}
            truth.append(_truth(model_name="bert-base-uncased", hardware_type=hw, batch_size=b,
                                sequence_length=s, latency_ms_mean=avg * 1000.0,
                                throughput_items_per_s=b / avg,
                                latency_samples_ms=[x * 1000.0 for x in lat], measured_at=at,
                                source_file=name))
        hws[hw] = {"status": "completed", "benchmark_results": configs, "timestamp": at.isoformat(),
                   "model_load_time": 0.25, "performance_summary": {"memory": {}}}
    doc = {"timestamp": f"{t:%Y%m%d_%H%M%S}", "system_info": {"hostname": "bench-01"},
           "hardware_info": {"cpu": True, "openvino": True},
           "benchmarks": {"embedding": {"bert-base-uncased": hws}}}
    return {name: doc}, truth


def f3_file() -> tuple[dict[str, dict], list[dict]]:
    """One F3 functionality report (compatibility facts) on day 2: bert runs on cpu, not on
    rocm; 'clap' (known only from this file) runs on cpu."""
    t = DAY0 + timedelta(days=2, hours=5)
    name = f"functionality/model_functionality_{t:%Y%m%d_%H%M%S}.json"
    pairs = {("bert-base-uncased", "cpu"): True, ("bert-base-uncased", "rocm"): False, ("clap", "cpu"): True}
    doc = {"stats": {"timestamp": t.isoformat()},
           "model_results": {"bert-base-uncased": {"cpu": True, "rocm": False}, "clap": {"cpu": True}},
           "detailed_results": []}
    facts = [dict(model_name=m, hardware_type=hw, compatible=ok, measured_at=t, source_file=name)
             for (m, hw), ok in pairs.items()]
    return {name: doc}, facts


def runner_records() -> tuple[list, list[dict]]:
    """Runner-style results with a precision (legacy files carry none): bert-base-uncased on
    cpu at batch 1 in fp32 and fp16, measured on day 3."""
    from benchwh.records import Provenance, Result, RunInfo

    recs, truth = [], []
    run = RunInfo(origin="benchwh.runner.inference", started_at=DAY0 + timedelta(days=3),
                  git_commit="abc1234", host="ci-7")
    for k, (prec, lat) in enumerate((("fp32", 4.5), ("fp16", 2.25))):
        at = DAY0 + timedelta(days=3, minutes=k)
        recs.append(Result(run=run, model_name="bert-base-uncased", hardware_type="cpu", batch_size=1,
                           sequence_length=128, precision=prec, latency_ms_mean=lat,
                           latency_ms_p50=lat, throughput_items_per_s=1000.0 / lat,
                           memory_peak_mb=410.0, latency_samples_ms=[lat, lat], measured_at=at,
                           metrics={"rss_mb": 410.0}, provenance=Provenance(source_pointer="/runner")))
        truth.append(_truth(model_name="bert-base-uncased", hardware_type="cpu", batch_size=1,
                            sequence_length=128, precision=prec, latency_ms_mean=lat,
                            throughput_items_per_s=1000.0 / lat, memory_peak_mb=410.0,
                            latency_samples_ms=[lat, lat], measured_at=at))
    return recs, truth


def build(root: Path, wh: Warehouse, seed: int = 7) -> dict:
    """Fill ``wh`` (a migrated, empty warehouse on either backend) by `benchwh import` of the
    files written under ``root / "legacy"``, plus runner records through the writer.

    Returns info = {"results": truth dicts, "compat": fact dicts, "src": folder of the
    generated files, "files": {relative name: document}}."""
    rng = random.Random(seed)
    src = root / "legacy"
    files, truth = f8_files(rng)
    more, t6 = f6_file(rng)
    files.update(more)
    truth += t6
    more, compat = f3_file()
    files.update(more)
    for rel, doc in files.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(doc, indent=1))
    res = run_cli("import", str(src), *wh.args, "--strict")
    assert res.code == 0, res.stdout + res.stderr
    from benchwh.warehouse.write import write_records

    recs, t_run = runner_records()
    write_records(wh.location(), recs)
    return {"results": truth + t_run, "compat": compat, "src": src, "files": files}


def built_warehouse(backend: str, make_warehouse, root: Path) -> tuple[Warehouse, dict]:
    """A new warehouse on ``backend`` under ``root`` filled by ``build``: what the query,
    SQL-guard and export modules each build once per backend (``BACKENDS`` params)."""
    wh = make_warehouse(backend, root / "wh")
    return wh, build(root, wh)


@pytest.mark.parametrize("backend", BACKENDS)
def test_generated_corpus_lands_whole(backend, make_warehouse, tmp_path):
    """The data the other tests rely on: every file imported, every truth row present."""
    wh, info = built_warehouse(backend, make_warehouse, tmp_path)
    statuses = sql(wh.location(), "SELECT status, count(*) FROM import_ledger GROUP BY ALL")
    n_results = sql(wh.location(), "SELECT count(*) FROM results")[0][0]
    n_compat = sql(wh.location(), "SELECT count(*) FROM compatibility")[0][0]
    assert dict(statuses) == {"imported": len(info["files"])}
    assert n_results == len(info["results"])
    assert n_compat == len(info["compat"])
