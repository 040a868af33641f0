"""The "direct_web" formats over the real legacy corpus (F8-F15, F12b, F29).

Reads ../shared/legacy_corpus (skipped when absent). Each file's outcome class and format are
asserted, spot values are checked against numbers read from the raw file, F9's embedded F8
documents must give the same records as the standalone F8 files, and every mutated copy of a
corpus document (a key dropped, a value's type swapped, a list cut) must convert without an
importer crash and without a metric the document does not hold.

``python tests/test_corpus_direct_web.py`` prints the file -> outcome table.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import pytest

from benchwh.legacy_import.convert import IMPORTED, QUARANTINED, SKIPPED, convert_bytes
from benchwh.records import Result

CORPUS = Path(__file__).parents[1].parent / "shared" / "legacy_corpus"
DIRECT = "04_direct_benchmark/benchmark_results"
SUMMARY = "05_per_model_hardware_summary/benchmark_results"
PROGRESS = "06_benchmark_progress/benchmark_results"
WEB = "07_web_platform_results"
ROWS = "11_schema_aligned_fixture/test_data/performance_results"

# rel path -> (outcome, importer name)
EXPECTED: dict[str, tuple[str, str]] = {
    f"{DIRECT}/direct_benchmark_prajjwal1_bert-tiny_cpu_20250306_174526.json": (IMPORTED, "f08-direct-benchmark"),
    f"{DIRECT}/direct_benchmark_google_t5-efficient-tiny_cpu_20250306_174558.json": (IMPORTED, "f08-direct-benchmark"),
    f"{DIRECT}/direct_benchmark_facebook_deit-tiny-patch16-224_cpu_20250306_174837.json": (IMPORTED, "f08-direct-benchmark"),
    f"{DIRECT}/direct_benchmark_bert-base-uncased_cpu_20250306_174825.json": (IMPORTED, "f08-direct-benchmark"),
    f"{DIRECT}/batch_benchmarks_cpu_20250306_174805.json": (IMPORTED, "f09-batch-benchmarks"),
    f"{DIRECT}/batch_benchmarks_cpu_20250306_174843.json": (IMPORTED, "f09-batch-benchmarks"),
    **{f"{SUMMARY}/benchmark_bert_{hw}.json": (IMPORTED, "f10-model-hardware-summary") for hw in (
        "cpu_20250305_195714", "cuda_20250305_195715", "rocm_20250305_195716", "mps_20250305_195717",
        "openvino_20250305_195718", "webnn_20250305_195719", "webgpu_20250305_195720")},
    **{f"{PROGRESS}/benchmark_progress_{ts}.json": (IMPORTED, "f11-benchmark-progress") for ts in (
        "20250306_150303", "20250306_174604", "20250306_175653", "latest")},
    **{f"{WEB}/web_platform_results/{d}/result.json": (IMPORTED, "f12-web-result") for d in (
        "bert_webnn_20250302_231100", "vit_webgpu_20250302_231117", "bert_webgpu_20250305_193336",
        "whisper_webgpu_20250306_214602", "clap_webnn_20250306_232415",
        "llava_webgpu_20250306_232424", "wav2vec2_webnn_20250306_232433")},
    f"{WEB}/benchmark_results/webgpu_results/whisper_webgpu_20250306_184211/result.json": (IMPORTED, "f12-web-result"),
    f"{WEB}/web_platform_results/all_models_webgpu_20250305_193352.json": (IMPORTED, "f12b-web-aggregate"),
    f"{WEB}/web_platform_results/web_platform_comparison_20250302_120000.json": (SKIPPED, "f13-web-comparison"),
    f"{WEB}/firefox_webgpu_results/whisper_firefox_vs_chrome_1741232337.json": (SKIPPED, "f14-browser-comparison"),
    f"{WEB}/browser_capabilities/chrome_capabilities_20250307_001706.json": (SKIPPED, "f15-browser-capabilities"),
    f"{WEB}/browser_capabilities/firefox_capabilities_20250307_001749.json": (SKIPPED, "f15-browser-capabilities"),
    f"{ROWS}/bert_cpu_test.json": (SKIPPED, "f29-schema-rows"),
    f"{ROWS}/bert_cuda_test.json": (SKIPPED, "f29-schema-rows"),
}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="legacy corpus not present")


def _raw(rel: str) -> Any:
    return json.loads((CORPUS / rel).read_text())


_CACHE: dict[str, Any] = {}


def _outcome(rel: str):
    if rel not in _CACHE:
        _CACHE[rel] = convert_bytes((CORPUS / rel).read_bytes(), rel_path=rel)
    return _CACHE[rel]


def _results(rel: str) -> list[Result]:
    return [r for r in _outcome(rel).records if isinstance(r, Result)]


def _one(rel: str, **match: Any) -> Result:
    found = [r for r in _results(rel) if all(getattr(r, k) == v for k, v in match.items())]
    assert len(found) == 1, f"{rel}: {len(found)} results match {match}"
    return found[0]


def _numbers(doc: Any) -> Iterator[float]:
    if isinstance(doc, dict):
        for v in doc.values():
            yield from _numbers(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _numbers(v)
    elif isinstance(doc, (int, float)) and not isinstance(doc, bool):
        yield float(doc)


_METRIC_FIELDS = ("latency_ms_mean", "latency_ms_p50", "latency_ms_p90", "latency_ms_p95",
                  "latency_ms_p99", "latency_ms_min", "latency_ms_max", "latency_ms_std",
                  "throughput_items_per_s", "throughput_tokens_per_s", "memory_peak_mb",
                  "load_time_ms")


def _metric_values(r: Result) -> Iterator[float]:
    for f in _METRIC_FIELDS:
        v = getattr(r, f)
        if v is not None:
            yield v
    yield from r.latency_samples_ms or []
    yield from (v for v in r.metrics.values() if isinstance(v, (int, float)))


def table() -> list[str]:
    """file -> status, format, records by kind (for the report)."""
    lines = []
    for rel in sorted(EXPECTED):
        if not (CORPUS / rel).exists():
            continue
        out = _outcome(rel)
        kinds = Counter(type(r).__name__ for r in out.records)
        desc = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or (out.reason or "")[:90]
        lines.append(f"{rel} | {out.status} | {out.format} | {desc}")
    return lines


# --- outcome class and format ---------------------------------------------------------


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_outcome_and_format(rel: str) -> None:
    out = _outcome(rel)
    status, fmt = EXPECTED[rel]
    assert (out.status, out.format) == (status, fmt), out.reason
    if status == SKIPPED:
        assert out.reason and not out.records


def test_every_corpus_file_of_the_group_is_listed() -> None:
    folders = (DIRECT, SUMMARY, PROGRESS, WEB, ROWS)
    present = {str(p.relative_to(CORPUS)) for f in folders for p in (CORPUS / f).rglob("*.json")}
    assert present == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(r for r, (s, _) in EXPECTED.items() if s == IMPORTED))
def test_no_invented_zero_and_every_metric_is_in_the_file(rel: str) -> None:
    numbers = set(_numbers(_raw(rel)))
    for r in _results(rel):
        for v in _metric_values(r):
            assert v in numbers, f"{rel}: {v} is not a number of the file"
        for f in ("latency_ms_mean", "throughput_items_per_s"):
            assert getattr(r, f) != 0.0 or 0.0 in numbers
        if r.status == "failed":
            assert all(getattr(r, f) is None for f in _METRIC_FIELDS) and r.error


# --- F8 / F9 ----------------------------------------------------------------------------

BERT_TINY = f"{DIRECT}/direct_benchmark_prajjwal1_bert-tiny_cpu_20250306_174526.json"


def test_f8_bert_tiny_batch_1() -> None:
    raw = _raw(BERT_TINY)["batch_results"]["1"]
    r = _one(BERT_TINY, batch_size=1)
    assert r.model_name == "prajjwal1/bert-tiny" and r.hardware_type == "cpu" and r.device_name is None
    assert r.latency_ms_mean == 3.147125244140625 == raw["avg_latency_ms"]
    assert r.memory_peak_mb == 505.93359375 == raw["memory_mb"]
    assert r.latency_samples_ms == raw["latencies_ms"]
    assert r.throughput_items_per_s == raw["throughput_items_per_second"] == 317.75030303030303
    assert r.measured_at == datetime(2025, 3, 6, 17, 45, 26, 506441)  # the batch entry's time
    assert r.run.origin == "run_direct_benchmark"
    assert r.run.started_at == datetime(2025, 3, 6, 17, 45, 26, 462134)  # the file's time
    assert r.status == "completed" and not r.is_simulated and r.iterations is None
    assert r.provenance.source_pointer == "/batch_results/1"
    assert {x.batch_size for x in _results(BERT_TINY)} == {1, 2}


def test_f8_failed_batch_has_error_and_no_metrics() -> None:
    rel = f"{DIRECT}/direct_benchmark_google_t5-efficient-tiny_cpu_20250306_174558.json"
    r = _one(rel, batch_size=1)
    assert r.status == "failed"
    assert r.error == _raw(rel)["batch_results"]["1"]["error"]
    assert r.measured_at == datetime(2025, 3, 6, 17, 45, 58, 617142)  # no entry time: the file's


@pytest.mark.parametrize("f8, model", [
    ("direct_benchmark_bert-base-uncased_cpu_20250306_174825.json", "bert-base-uncased"),
    ("direct_benchmark_facebook_deit-tiny-patch16-224_cpu_20250306_174837.json", "facebook/deit-tiny-patch16-224"),
])
def test_f9_embedded_f8_equals_standalone_f8(f8: str, model: str) -> None:
    wrapper = f"{DIRECT}/batch_benchmarks_cpu_20250306_174843.json"
    assert _raw(wrapper)["results"][model]["benchmark_data"] == _raw(f"{DIRECT}/{f8}")
    alone = _results(f"{DIRECT}/{f8}")
    embedded = [r for r in _results(wrapper) if r.model_name == model]
    assert [r.result_id for r in embedded] == [r.result_id for r in alone]
    assert [r.run.run_id for r in embedded] == [r.run.run_id for r in alone]
    for a, b in zip(alone, embedded):
        assert (a.latency_ms_mean, a.status, a.error) == (b.latency_ms_mean, b.status, b.error)
        assert b.provenance.source_pointer.startswith("/results/")


def test_f9_summary_not_emitted_twice_and_failure_kept() -> None:
    rel = f"{DIRECT}/batch_benchmarks_cpu_20250306_174843.json"
    raw = _raw(rel)["results"]
    results = _results(rel)
    assert Counter(r.model_name for r in results) == Counter(list(raw))  # one result per model
    assert not any("/summary/" in r.provenance.source_pointer for r in results)
    fail = _one(rel, model_name="google/t5-small")
    assert fail.status == "failed" and fail.batch_size == 1
    assert fail.error.startswith(raw["google/t5-small"]["error"])
    assert "is not a local folder and is not a valid model identifier" in fail.error
    assert fail.run.origin == "run_batch_benchmarks"
    assert fail.measured_at == datetime(2025, 3, 6, 17, 48, 26, 597664)
    vit = _one(rel, model_name="google/vit-base-patch16-224")
    assert vit.latency_ms_mean == raw["google/vit-base-patch16-224"]["summary"]["1"]["latency_ms"]


def test_f9_and_f8_files_share_only_the_measurements_they_share() -> None:
    f8_ids = {r.result_id for rel in EXPECTED if "direct_benchmark_" in rel for r in _results(rel)}
    first = {r.result_id for r in _results(f"{DIRECT}/batch_benchmarks_cpu_20250306_174805.json")}
    second = {r.result_id for r in _results(f"{DIRECT}/batch_benchmarks_cpu_20250306_174843.json")}
    assert len(f8_ids & second) == 2  # bert-base-uncased and deit: copies of the F8 files
    assert not f8_ids & first  # its F8 files (..._174759/_174800) are not in the corpus


# --- F10 / F11 ---------------------------------------------------------------------------


@pytest.mark.parametrize("rel", sorted(r for r, (_, f) in EXPECTED.items() if f == "f10-model-hardware-summary"))
def test_f10_placeholder_numbers_are_flagged_simulated(rel: str) -> None:
    raw = _raw(rel)
    results = _results(rel)
    assert sorted(r.batch_size for r in results) == sorted(int(b) for b in raw["batch_sizes"])
    for r in results:
        entry = raw["batch_sizes"][str(r.batch_size)]
        assert r.model_name == raw["model_path"] == "bert-base-uncased"
        assert r.hardware_type == raw["hardware_key"] and r.device_name is None
        assert (r.latency_ms_mean, r.throughput_items_per_s, r.memory_peak_mb) == (
            entry["latency_ms"], entry["throughput"], entry["memory_usage_mb"])
        assert r.model_family == "embedding" and r.modality == "text"
        assert r.is_simulated and "stand-in formula" in r.simulation_reason
        assert r.measured_at == datetime.fromisoformat(raw["timestamp"])


def test_f11_failures_are_failed_attempts() -> None:
    rel = f"{PROGRESS}/benchmark_progress_20250306_150303.json"
    raw = _raw(rel)
    results = _results(rel)
    assert [r.model_name for r in results] == [f["model_type"] for f in raw["failed_benchmarks"]]
    assert all(r.status == "failed" and r.batch_size is None for r in results)
    assert results[0].error == raw["failed_benchmarks"][0]["error"]
    assert results[0].run.started_at == datetime(2025, 3, 6, 15, 3, 3)
    assert [type(r).__name__ for r in _outcome(rel).records].count("RunMeta") == 1
    latest = _one(f"{PROGRESS}/benchmark_progress_latest.json")
    assert latest.model_name == "clap" and latest.hardware_type == "cpu"
    assert "No models found matching the specified keys" in latest.error
    assert latest.measured_at == datetime(2025, 3, 6, 21, 25, 8, 50720)


# --- F12 / F12b --------------------------------------------------------------------------

WEB_FILES = sorted(r for r, (_, f) in EXPECTED.items() if f in ("f12-web-result", "f12b-web-aggregate"))


@pytest.mark.parametrize("rel", WEB_FILES)
def test_f12_every_web_result_is_simulated_without_batch_size(rel: str) -> None:
    raw = _raw(rel)
    docs = raw["results"] if "results" in raw else [raw]
    results = _results(rel)
    assert len(results) == len(docs)
    for r, doc in zip(results, docs):
        assert r.is_simulated and "is_simulation: true" in r.simulation_reason
        assert "platform_support.simulated: true" in r.simulation_reason
        assert r.batch_size is None
        assert r.model_name == doc["model_name"] and r.hardware_type == doc["platform"]
        m = doc["metrics"]
        assert (r.latency_ms_mean, r.load_time_ms, r.memory_peak_mb, r.throughput_items_per_s) == (
            m["inference_time_ms"], m["load_time_ms"], m["memory_mb"], m["throughput_items_per_second"])
        assert r.measured_at == datetime.fromisoformat(doc["timestamp"])


def test_f12_annotated_result_names_its_simulated_hardware_marker() -> None:
    r = _one(f"{WEB}/benchmark_results/webgpu_results/whisper_webgpu_20250306_184211/result.json")
    assert "simulated_hardware lists webgpu" in r.simulation_reason
    assert r.modality == "audio" and r.model_family == "whisper"


def test_f12b_entries_convert_like_result_json() -> None:
    # The aggregate's bert entry (19:33:42) is another run than bert_webgpu_20250305_193336
    # (19:33:36): different records; a same-time entry would be the same record.
    agg = _results(f"{WEB}/web_platform_results/all_models_webgpu_20250305_193352.json")
    alone = _one(f"{WEB}/web_platform_results/bert_webgpu_20250305_193336/result.json")
    bert = [r for r in agg if r.model_name == "bert-base-uncased"]
    assert len(bert) == 1 and bert[0].result_id != alone.result_id
    assert bert[0].measured_at == datetime(2025, 3, 5, 19, 33, 42, 662252)
    assert [r.provenance.source_pointer for r in agg] == [f"/results/{i}" for i in range(10)]


# --- skipped files -----------------------------------------------------------------------


@pytest.mark.parametrize("rel, words", [
    (f"{WEB}/web_platform_results/web_platform_comparison_20250302_120000.json", "hand-authored"),
    (f"{WEB}/firefox_webgpu_results/whisper_firefox_vs_chrome_1741232337.json", "improvement_percentage"),
    (f"{WEB}/browser_capabilities/chrome_capabilities_20250307_001706.json", "webgpu unsupported"),
    (f"{ROWS}/bert_cpu_test.json", "100 iterations x 19.1 ms"),
])
def test_skip_reasons_say_why(rel: str, words: str) -> None:
    assert words in _outcome(rel).reason


# --- mutated corpus documents --------------------------------------------------------------


def _paths(doc: Any, prefix: tuple = ()) -> Iterator[tuple]:
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        yield prefix + (k,)
        yield from _paths(v, prefix + (k,))


def _mutations(doc: Any) -> Iterator[Any]:
    """Each key dropped, each value swapped for other types, each list cut to its first item."""
    for path in _paths(doc):
        parent_path, key = path[:-1], path[-1]
        for how in ("drop", "str", "num", "none", "list", "cut"):
            new = copy.deepcopy(doc)
            parent = new
            for p in parent_path:
                parent = parent[p]
            value = parent[key]
            if how == "drop":
                if isinstance(parent, dict):
                    del parent[key]
                else:
                    parent.pop(key)
            elif how == "cut":
                if not isinstance(value, list) or len(value) < 2:
                    continue
                parent[key] = value[:1]
            else:
                parent[key] = {"str": "x", "num": 7, "none": None, "list": []}[how]
            yield new


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_mutated_documents_never_crash_nor_invent(rel: str) -> None:
    for doc in _mutations(_raw(rel)):
        out = convert_bytes(json.dumps(doc).encode(), rel_path=rel)
        assert not (out.status == QUARANTINED and (out.reason or "").startswith("importer")), out.reason
        numbers = set(_numbers(doc))
        for r in out.records:
            if isinstance(r, Result):
                for v in _metric_values(r):
                    assert v in numbers and not math.isnan(v), (rel, v)


if __name__ == "__main__":
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    print("\n".join(table()))
