"""The pitfalls of each benchmark harness's files, one test each: units, per-iteration stats,
calibration runs, derived rows, decimal MB, JSON Lines, gzip. Expected values are computed
here from the fixture files themselves (seconds x 1000 and so on), never written down."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import shutil
import statistics
from datetime import datetime, timezone
from pathlib import Path

import pytest

from benchwh.errors import ImportFormatError
from benchwh.import_workers import _read
from benchwh.legacy_import.convert import NOT_READ, QUARANTINED, SKIPPED, convert_bytes
from benchwh.legacy_import.decode import JsonLines, LoadgenSummary, decode
from benchwh.legacy_import.registry import by_name, claimants, identify, nearest

ROOT = Path(__file__).parent / "fixtures" / "harness"
MIB = 1024.0 * 1024.0


def convert(path: Path, rel: str | None = None, root: Path | None = None):
    """Convert one file as the import does (its neighbours found up to ``root``)."""
    root = root or path.parent
    rel = rel or str(path.relative_to(root))
    data = path.read_bytes()
    return convert_bytes(data, rel, sha256=hashlib.sha256(data).hexdigest(), time_path=str(path),
                         abs_path=str(path), reader=_read)


def close(a, b):
    return a == pytest.approx(b, rel=1e-12, abs=1e-15)


# --- pytest-benchmark -----------------------------------------------------------------------

PB = ROOT / "pytest-benchmark" / "export_and_autosave"


def test_pytest_benchmark_stats_are_per_iteration_and_rounds_are_samples():
    doc = json.loads((PB / "export.json").read_text())
    out = convert(PB / "export.json")
    by_name_ = {r.benchmark: r for r in out.records}
    for b in doc["benchmarks"]:
        r, st = by_name_[b["fullname"]], b["stats"]
        assert close(r.latency_ms_mean, st["mean"] * 1000.0)  # per iteration already: not x iterations
        assert close(r.latency_ms_p50, st["median"] * 1000.0)
        assert r.latency_samples_ms == pytest.approx([v * 1000.0 for v in st["data"]])
        assert r.iterations == st["rounds"] == len(st["data"])
        assert r.metrics["iterations_per_round"] == st["iterations"]
        assert r.benchmark_params == b["params"] and r.model_name is None and r.reported_unit == "s"
    assert any(b["stats"]["iterations"] > 1 for b in doc["benchmarks"])
    run = out.records[0].run
    assert run.git_commit == doc["commit_info"]["id"]
    assert run.metadata["dirty"] is doc["commit_info"]["dirty"]
    assert run.metadata["machine_info"] == doc["machine_info"]
    assert out.records[0].device_name == doc["machine_info"]["cpu"]["brand_raw"]


def test_pytest_benchmark_export_and_autosave_give_the_same_ids():
    autosave = next(PB.glob(".benchmarks/*/*.json"))
    a, b = convert(PB / "export.json"), convert(autosave, root=PB)
    assert json.loads((PB / "export.json").read_text())["datetime"] != json.loads(autosave.read_text())["datetime"]
    assert [r.result_id for r in a.records] == [r.result_id for r in b.records]
    assert {r.run.run_id for r in a.records + b.records} == {a.records[0].run.run_id}


# --- asv --------------------------------------------------------------------------------------

ASV = ROOT / "asv" / "results_and_publish"


def _asv_result_file() -> Path:
    return next(p for p in (ASV / "results").glob("*/*.json") if p.name != "machine.json")


def test_asv_results_expand_over_the_parameter_product_with_units_from_benchmarks_json():
    path = _asv_result_file()
    doc = json.loads(path.read_text())
    defs = json.loads((ASV / "results" / "benchmarks.json").read_text())
    out = convert(path, root=ASV)
    cols = doc["result_columns"]
    for name, row in doc["results"].items():
        d = dict(zip(cols, row))
        spec = defs[name]
        combos = list(itertools.product(*d["params"])) if d["params"] else [()]
        mine = [r for r in out.records if r.benchmark == name]
        assert len(mine) == len(combos) == len(d["result"])
        when = datetime.fromtimestamp(d["started_at"] / 1000.0, tz=timezone.utc).replace(tzinfo=None)
        for r, combo, value in zip(mine, combos, d["result"]):
            assert r.reported_unit == spec["unit"] and r.measured_at == when
            if spec["unit"] == "seconds":
                assert close(r.latency_ms_p50, value * 1000.0)  # result is the median
                assert set(r.benchmark_params) == set(spec["param_names"])
                assert [str(v) if not isinstance(v, str) else repr(v) for v in r.benchmark_params.values()] == list(combo)
            elif spec["unit"] == "bytes":
                assert close(r.memory_peak_mb, value / MIB)
            else:
                assert r.metrics["value"] == value and r.latency_ms_p50 is None
    commit_date = datetime.fromtimestamp(doc["date"] / 1000.0, tz=timezone.utc).replace(tzinfo=None)
    assert out.records[0].run.metadata["commit_date"] == commit_date.isoformat()
    assert all(r.measured_at != commit_date for r in out.records)
    machine = json.loads((path.parent / "machine.json").read_text())
    assert {r.device_name for r in out.records} == {machine["cpu"]}


def test_asv_result_file_without_its_benchmarks_json_is_quarantined(tmp_path):
    lone = tmp_path / _asv_result_file().name
    shutil.copy(_asv_result_file(), lone)
    out = convert(lone)
    assert out.status == QUARANTINED and "benchmarks.json" in out.reason


def test_asv_publish_output_is_skipped_as_derived():
    for p in (ASV / "html").rglob("*.json"):
        out = convert(p, root=ASV)
        assert out.status == SKIPPED and out.format == "asv-publish" and "derived" in out.reason


# --- pyperf -----------------------------------------------------------------------------------

def test_pyperf_calibration_runs_are_not_samples_and_metadata_is_merged():
    path = ROOT / "pyperf" / "suite" / "suite.json"
    doc = json.loads(path.read_text())
    out = convert(path)
    for b, r in zip(doc["benchmarks"], out.records):
        values = [v for run in b["runs"] if run.get("values") for v in run["values"]]
        assert not b["runs"][0].get("values")  # the first run calibrated
        assert r.latency_samples_ms == pytest.approx([v * 1000.0 for v in values])
        assert close(r.latency_ms_mean, statistics.fmean(values) * 1000.0)
        assert r.metrics["calibration_runs"] == sum(1 for run in b["runs"] if not run.get("values"))
        assert r.benchmark == b["metadata"]["name"]
        assert r.device_name == doc["metadata"]["cpu_model_name"]  # file metadata
        assert r.metrics["loops"] == b["metadata"]["loops"]  # benchmark metadata


def test_pyperf_gzip_and_byte_unit():
    path = ROOT / "pyperf" / "memory_gz" / "memory.json.gz"
    doc = json.loads(gzip.decompress(path.read_bytes()))
    assert {**doc["metadata"], **doc["benchmarks"][0].get("metadata", {})}["unit"] == "byte"
    (r,) = convert(path).records
    values = [v for run in doc["benchmarks"][0]["runs"] for v in run.get("values", [])]
    assert close(r.memory_peak_mb, statistics.fmean(values) / MIB)
    assert r.latency_samples_ms is None and r.latency_ms_mean is None and r.reported_unit == "byte"


def test_bad_gzip_is_quarantined_with_the_reason():
    out = convert_bytes(b"\x1f\x8b\x08\x00broken", "x.json.gz")
    assert out.status == QUARANTINED and "gzip" in out.reason


# --- Google Benchmark -------------------------------------------------------------------------

def test_google_benchmark_units_per_row_and_aggregates_are_derived():
    path = ROOT / "google-benchmark" / "sort_sleep" / "gbench.json"
    doc = json.loads(path.read_text())
    out = convert(path)
    iteration_runs = {b["run_name"] for b in doc["benchmarks"] if b["run_type"] == "iteration"}
    assert {r.benchmark for r in out.records} == iteration_runs  # no _mean/_cv/BigO results
    factor = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1000.0}
    for r in out.records:
        rows = [b for b in doc["benchmarks"] if b["run_name"] == r.benchmark and b["run_type"] == "iteration"]
        aggs = {b["aggregate_name"]: b for b in doc["benchmarks"]
                if b["run_name"] == r.benchmark and b["run_type"] == "aggregate"}
        if len(rows) == 1:
            assert close(r.latency_ms_mean, rows[0]["real_time"] * factor[rows[0]["time_unit"]])
        else:
            assert r.latency_samples_ms == pytest.approx([b["real_time"] * factor[b["time_unit"]] for b in rows])
            assert close(r.latency_ms_mean, aggs["mean"]["real_time"] * factor[aggs["mean"]["time_unit"]])
            assert close(r.metrics["real_time_cv"], aggs["cv"]["real_time"])  # a fraction, as written
            assert aggs["cv"]["real_time"] < 1
        assert r.reported_unit == rows[0]["time_unit"]
    assert {b["time_unit"] for b in doc["benchmarks"] if "time_unit" in b} >= {"ns", "ms"}
    big_o = next(b for b in doc["benchmarks"] if b.get("aggregate_name") == "BigO")
    sort = [r for r in out.records if r.benchmark.startswith(big_o["run_name"] + "/")]
    assert sort and all(r.metrics["big_o"] == big_o["big_o"] for r in sort)


# --- hyperfine --------------------------------------------------------------------------------

def test_hyperfine_zero_median_is_a_value_and_parameters_stay_text(tmp_path):
    src = ROOT / "hyperfine" / "params" / "params.json"
    doc = json.loads(src.read_text())
    doc["results"][0]["median"] = 0.0
    path = tmp_path / "zero.json"
    path.write_text(json.dumps(doc))
    r0, r1 = convert(path).records
    assert r0.latency_ms_p50 == 0.0
    assert close(r1.latency_ms_p50, doc["results"][1]["median"] * 1000.0)
    assert r0.benchmark_params == doc["results"][0]["parameters"]
    assert all(isinstance(v, str) for v in r0.benchmark_params.values())
    assert r0.latency_samples_ms == pytest.approx([t * 1000.0 for t in doc["results"][0]["times"]])


# --- optimum-benchmark ------------------------------------------------------------------------

OPT = ROOT / "optimum-benchmark" / "tiny_gpt2_text_generation"


def test_optimum_benchmark_phases_decimal_mb_and_config():
    report = json.loads((OPT / "benchmark_report.json").read_text())
    config = json.loads((OPT / "benchmark_config.json").read_text())
    out = convert(OPT / "benchmark_report.json")
    assert [r.scenario for r in out.records] == list(report)
    for r in out.records:
        phase = report[r.scenario]
        assert r.model_name == config["backend"]["model"] and r.hardware_type == config["backend"]["device"]
        assert r.batch_size == config["scenario"]["input_shapes"]["batch_size"]
        if phase["memory"]:
            assert close(r.memory_peak_mb, phase["memory"]["max_ram"] * 1e6 / MIB)  # MB is 10^6 bytes
        if phase["latency"]:
            assert close(r.latency_ms_mean, phase["latency"]["mean"] * 1000.0)
            assert r.iterations == phase["latency"]["count"]
    decode_r = next(r for r in out.records if r.scenario == "decode")
    assert close(decode_r.throughput_tokens_per_s, report["decode"]["throughput"]["value"])
    both = convert(OPT / "benchmark.json")
    assert [r.result_id for r in both.records] == [r.result_id for r in out.records]


def test_optimum_report_without_its_config_is_quarantined(tmp_path):
    shutil.copy(OPT / "benchmark_report.json", tmp_path / "benchmark_report.json")
    out = convert(tmp_path / "benchmark_report.json")
    assert out.status == QUARANTINED and "benchmark_config.json" in out.reason


# --- vLLM -------------------------------------------------------------------------------------

VLLM = ROOT / "vllm-benchmark-serving"


def test_vllm_json_lines_are_not_malformed_json():
    path = VLLM / "append_result" / "results.json"
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    with pytest.raises(json.JSONDecodeError):
        json.loads(path.read_text())
    doc = decode(path.read_bytes(), path.name)
    assert isinstance(doc, JsonLines) and not isinstance(doc, list) and len(doc) == len(lines)
    out = convert(path)
    assert out.format == "vllm-benchmark-serving"
    ttft = [r for r in out.records if r.scenario == "ttft"]
    assert [r.latency_ms_mean for r in ttft] == [d["mean_ttft_ms"] for d in lines]  # ms summaries
    rates = [r.benchmark_params["request_rate"] for r in ttft]
    assert rates == [d["request_rate"] for d in lines] and "inf" in rates
    thr = [r for r in out.records if r.scenario == "throughput"]
    assert [r.throughput_items_per_s for r in thr] == [d["request_throughput"] for d in lines]
    jsonl = convert(VLLM / "append_result" / "results.jsonl")
    assert [r.result_id for r in jsonl.records] == [r.result_id for r in out.records[: len(jsonl.records)]]


def test_vllm_per_request_arrays_are_seconds():
    line = json.loads((VLLM / "save_result").glob("*.json").__next__().read_text())
    line.update(ttfts=[0.05, 0.25], itls=[[0.01, 0.02], [0.03]])
    out = convert_bytes(json.dumps(line).encode(), "detailed.json")
    ttft = next(r for r in out.records if r.scenario == "ttft")
    itl = next(r for r in out.records if r.scenario == "itl")
    assert ttft.latency_samples_ms == pytest.approx([50.0, 250.0])
    assert itl.latency_samples_ms == pytest.approx([10.0, 20.0, 30.0])
    assert ttft.latency_ms_mean == line["mean_ttft_ms"]


def test_malformed_json_lines_name_the_line():
    out = convert_bytes(b'{"a": 1}\n{"b": \n', "x.jsonl")
    assert out.status == QUARANTINED and "line 2" in out.reason


# --- MLPerf loadgen ---------------------------------------------------------------------------

ML = ROOT / "mlperf-loadgen"


def _summary_value(text: str, key: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.split(":", 1)[0].strip() == key)


def test_mlperf_offline_headline_ns_and_system_description():
    path = ML / "offline_run" / "mlperf_log_summary.txt"
    text = path.read_text()
    system = json.loads((ML / "offline_run" / "system_meta.json").read_text())
    (r,) = convert(path).records
    assert r.scenario == _summary_value(text, "Scenario") == "Offline"
    assert close(r.throughput_items_per_s, float(_summary_value(text, "Samples per second")))
    assert close(r.latency_ms_mean, int(_summary_value(text, "Mean latency (ns)")) / 1e6)
    assert close(r.latency_ms_p99, int(_summary_value(text, "99.00 percentile latency (ns)")) / 1e6)
    assert r.device_name == system["accelerator_model_name"] and r.hardware_type == "cuda"
    detail = [json.loads(x[len(":::MLLOG "):]) for x in (ML / "offline_run" / "mlperf_log_detail.txt").read_text().splitlines()]
    stamp = next(e["value"] for e in detail if e["key"] == "test_datetime")
    assert r.measured_at == datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None)


def test_mlperf_single_stream_headline_is_the_90th_percentile(tmp_path):
    text = (ML / "offline_run" / "mlperf_log_summary.txt").read_text()
    p90 = _summary_value(text, "90.00 percentile latency (ns)")
    text = text.replace("Scenario : Offline", "Scenario : SingleStream").replace(
        "Samples per second: ", f"90th percentile latency (ns) : {p90}\nSamples per second: ")
    path = tmp_path / "mlperf_log_summary.txt"
    path.write_text(text)
    (r,) = convert(path).records
    assert r.metrics["headline"] == "90th percentile latency (ns)"
    assert close(r.metrics["headline_ms"], int(p90) / 1e6) and r.throughput_items_per_s is None
    assert r.hardware_type == "unknown"  # no system description beside it


def test_mlperf_detail_alone_is_read():
    (r,) = convert(ML / "detail_only" / "mlperf_log_detail.txt").records
    summary = (ML / "offline_run" / "mlperf_log_summary.txt").read_text()
    assert close(r.throughput_items_per_s, float(_summary_value(summary, "Samples per second")))
    assert close(r.latency_ms_max, int(_summary_value(summary, "Max latency (ns)")) / 1e6)
    assert isinstance(decode((ML / "offline_run" / "mlperf_log_summary.txt").read_bytes(), "mlperf_log_summary.txt"),
                      LoadgenSummary)


def test_text_that_is_no_loadgen_log_is_not_read():
    out = convert_bytes(b"hello\n", "notes.txt")
    assert out.status == NOT_READ and out.records == []


# --- Bencher BMF, lm-eval -------------------------------------------------------------------

def test_bencher_bmf_is_strict_and_latency_is_ns():
    path = ROOT / "bencher-bmf" / "latency" / "report_latency.json"
    doc = json.loads(path.read_text())
    assert [i.name for i in claimants(doc)] == ["bencher-bmf"]
    out = convert(path)
    for r in out.records:
        assert close(r.latency_ms_mean, doc[r.benchmark]["latency"]["value"] / 1e6)
    loose = json.loads(path.read_text())
    loose["tests::benchmark_a"]["latency"]["unit"] = "ns"
    assert "bencher-bmf" not in [i.name for i in claimants(loose)]
    assert "bencher-bmf" not in [i.name for i in claimants({"a": {"b": {"value": "1"}}})]


def test_lm_eval_results_are_skipped_as_accuracy():
    out = convert(next((ROOT / "lm-eval-harness" / "mmlu").glob("*.json")))
    assert out.status == SKIPPED and out.format == "lm-eval-harness" and "accuracy" in out.reason


# --- registry: names, codes, nearest ----------------------------------------------------------

def test_format_accepts_names_and_codes_as_listed():
    assert by_name("hyperfine").name == "hyperfine"
    assert by_name("H05").name == by_name("h5").name == by_name("HYPERFINE").name == "hyperfine"
    assert by_name("f06").name == by_name("F6").name
    with pytest.raises(ImportFormatError, match="H02"):
        by_name("H02")  # a code several importers share: the message names them
    # as --format, a shared code picks, for each file, the one of its importers that fits it
    for p in (ASV / "results").rglob("*.json"):
        doc = decode(p.read_bytes(), p.name)
        assert identify(doc, "H02").name == claimants(doc)[0].name


def test_nearest_formats_come_from_shared_keys():
    path = ROOT / "pyperf" / "suite" / "suite.json"
    doc = json.loads(path.read_text())
    doc["version"] = 7  # no longer pyperf: unknown, but like it
    assert claimants(doc) == [] and nearest(doc)[0] == "pyperf"
    assert nearest({"timestamp": 1, "zebra": 2}) == []


def test_mlperf_submission_layout_gives_model_and_system(tmp_path):
    src = ML / "offline_run"
    run = tmp_path / "sub" / "results" / "h100box" / "bert-99" / "offline" / "performance" / "run_1"
    run.mkdir(parents=True)
    shutil.copy(src / "mlperf_log_summary.txt", run)
    (tmp_path / "sub" / "systems").mkdir()
    shutil.copy(src / "system_meta.json", tmp_path / "sub" / "systems" / "h100box.json")
    (r,) = convert(run / "mlperf_log_summary.txt", root=tmp_path / "sub").records
    system = json.loads((src / "system_meta.json").read_text())
    assert r.model_name == "bert-99" and r.device_name == system["accelerator_model_name"]
    assert r.run.metadata["system_description_file"] == "systems/h100box.json"


def test_google_benchmark_aggregates_only_still_gives_the_run(tmp_path):
    doc = json.loads((ROOT / "google-benchmark" / "sort_sleep" / "gbench.json").read_text())
    doc["benchmarks"] = [b for b in doc["benchmarks"] if b["run_type"] == "aggregate"]
    path = tmp_path / "agg.json"
    path.write_text(json.dumps(doc))
    out = convert(path)
    mean = next(b for b in doc["benchmarks"] if b.get("aggregate_name") == "mean")
    (r,) = [r for r in out.records if r.benchmark == mean["run_name"]]
    assert close(r.latency_ms_mean, mean["real_time"] * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[mean["time_unit"]])
    assert r.latency_samples_ms is None
