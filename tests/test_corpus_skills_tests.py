"""The real legacy corpus, "skills_tests" group (formats F16-F28, F30-F32): every file's outcome
class, format and record counts, plus spot values worked out by hand from the files.

Reads ../shared/legacy_corpus (skipped when absent). ``python tests/test_corpus_skills_tests.py``
prints the file -> outcome table.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pytest

from benchwh.legacy_import.convert import FileOutcome, convert_bytes
from benchwh.legacy_import.registry import claimants
from benchwh.records import CompatFact, Result, TestOutcome

CORPUS = Path(__file__).parents[1].parent / "shared" / "legacy_corpus"
P08 = "08_skill_performance_results_2025-02/performance_results/"
P09 = "09_hardware_compatibility_coverage/"
P10 = "10_model_and_integration_test_results/"
P12 = "12_non_benchmark_json_ingested_as_performance/"
P13 = "13_malformed_and_degenerate/"

# file -> (status, format, record counts by kind)
EXPECTED: dict[str, tuple[str, str | None, dict[str, int]]] = {
    P08 + "hf_bert_performance_20250227_195347.json": ("imported", "f16-skill-performance", {"TestOutcome": 10, "Result": 4}),
    P08 + "hf_whisper_performance_20250228_000437.json": ("imported", "f16-skill-performance", {"TestOutcome": 10, "Result": 4}),
    P08 + "hf_llava_next_performance_20250228_000637.json": ("imported", "f16-skill-performance", {"TestOutcome": 16, "Result": 1}),
    P08 + "hf_lm_performance_20250228_081657.json": ("imported", "f16-skill-performance", {"TestOutcome": 15, "Result": 9}),
    P08 + "performance_test_results_20250228_000721.json": ("imported", "f17-performance-summary", {"TestOutcome": 94, "Result": 15}),
    P08 + "performance_test_results_20250228_001638.json": ("imported", "f17-performance-summary", {"TestOutcome": 94, "Result": 15}),
    P08 + "performance_test_skills_t5_20250228_081033.json": ("imported", "f18-performance-test-skills", {"TestOutcome": 11, "Result": 3}),
    P08 + "performance_test_skills_bert+t5+vit+clip_20250302_201834.json": ("skipped", "f18-performance-test-skills", {}),
    P08 + "performance_test_skills_t5+whisper+wav2vec2_20250228_081638.json": ("skipped", "f18-performance-test-skills", {}),
    P08 + "test_hf_bert_performance_20250228_005914.json": ("imported", "f19-skill-subprocess", {"TestOutcome": 1}),
    P08 + "test_hf_bert_performance_20250228_010707.json": ("imported", "f19-skill-subprocess", {"TestOutcome": 4, "Result": 3}),
    P08 + "test_hf_llama_performance_20250228_010159.json": ("imported", "f19-skill-subprocess", {"TestOutcome": 1}),
    P08 + "test_hf_llama_performance_20250228_012246.json": ("imported", "f19-skill-subprocess", {"TestOutcome": 1}),
    P09 + "hardware_coverage_results/coverage_report.json": ("skipped", "f26-coverage-report", {}),
    P09 + "key_models_hardware_fixes/validation_results.json": ("imported", "f27-validation-results", {"CompatFact": 13}),
    P09 + "000d84e00742924155078489d3efad6215d1064076ebac208133755011d9bf12.json": ("skipped", "f28-capability-cache", {}),
    P10 + "test_results.json": ("skipped", "f32-degenerate", {}),
    P10 + "collected_results/hardware_cpu_results_20250226_222617.json": ("imported", "f22-collected-hardware-results", {"TestOutcome": 82}),
    P10 + "critical_model_results/critical_model_tests_20250301_150841.json": ("imported", "f23-model-test-batch", {"TestOutcome": 3}),
    P10 + "new_model_results/new_model_tests_20250301_150750.json": ("imported", "f23-model-test-batch", {"TestOutcome": 17}),
    P10 + "hardware_test_results/clip_cpu_test.json": ("imported", "f24-hardware-test", {"Result": 1, "TestOutcome": 1}),
    P10 + "real_vs_sim_results/prajjwal1_bert-tiny_cuda_test.json": ("imported", "f25-real-vs-sim", {"TestOutcome": 1, "CompatFact": 1}),
    P10 + "real_vs_sim_results/prajjwal1_bert-tiny_webgpu_test.json": ("imported", "f25-real-vs-sim", {"TestOutcome": 1, "CompatFact": 1}),
    P10 + "skills/collected_results/hf_bert_test_results.json": ("imported", "f20-skill-test", {"TestOutcome": 3}),
    P10 + "skills/expected_results/hf_bert_test_results.json": ("imported", "f20-skill-test", {"TestOutcome": 10, "Result": 4}),
    P10 + "skills/collected_results/hf_whisper_test_results.json": ("imported", "f20-skill-test", {"TestOutcome": 12, "Result": 4}),
    P10 + "skills/collected_results/test_bert-base-uncased_cpu-cuda-openvino_20250301_173022.json": ("imported", "f21-hf-pipeline-test", {"TestOutcome": 5, "Result": 5}),
    P10 + "skills/collected_results/bert_test_bert-base-uncased_20250301_165412.json": ("imported", "f21-hf-pipeline-test", {"TestOutcome": 2, "Result": 2}),
    P12 + "archived_test_results/claude_backoff_queue_test_20250301_174708.json": ("skipped", "f30-non-benchmark", {}),
    P12 + "archived_test_results/ollama_backoff_queue_comprehensive_20250301_184510.json": ("skipped", "f30-non-benchmark", {}),
    P12 + "archived_test_results/queue_backoff_tests_20250301_174129.json": ("skipped", "f30-non-benchmark", {}),
    P12 + "archived_test_results/api_multiplexing_enhanced_error_20250301_174504.json": ("skipped", "f30-non-benchmark", {}),
    P12 + "archived_test_results/groq_model_performance.json": ("skipped", "f30-non-benchmark", {}),
    P12 + "api_check_results/api_implementation_status_20250301_171144.json": ("skipped", "f30-non-benchmark", {}),
    P13 + "test_benchmark_database/database_metadata.json": ("quarantined", None, {}),
    P13 + "skills/collected_results/hf_lm_test_results.json": ("quarantined", None, {}),
    P13 + "skills/collected_results/hf_wav2vec2_test_results.json": ("quarantined", None, {}),
    P13 + "benchmark_results/processed_results/aggregated_benchmarks.json": ("skipped", "f32-degenerate", {}),
    P13 + "benchmark_results/processed_results/aggregated_benchmarks@79800fbd5.json": ("skipped", "f32-degenerate", {}),
    P13 + "hardware_fix_results/clip_fixes.json": ("skipped", "f32-degenerate", {}),
}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="legacy corpus not present (../shared/legacy_corpus)")


@lru_cache(maxsize=None)
def outcome(rel: str) -> FileOutcome:
    return convert_bytes((CORPUS / rel).read_bytes(), rel_path=rel)


def at(rel: str, pointer: str, kind: type = Result, **match):
    """The one record of ``kind`` at ``pointer`` (and matching ``match`` fields)."""
    found = [r for r in outcome(rel).records if isinstance(r, kind) and r.provenance.source_pointer == pointer
             and all(getattr(r, k) == v for k, v in match.items())]
    assert len(found) == 1, f"{rel} {pointer}: {len(found)} {kind.__name__} records"
    return found[0]


def outcome_table() -> str:
    lines = []
    for rel in EXPECTED:
        out = outcome(rel)
        counts = dict(Counter(type(r).__name__ for r in out.records))
        lines.append(f"{rel} | {out.status} | {out.format} | {counts or '-'} | {out.reason or ''}")
    return "\n".join(lines)


@pytest.mark.parametrize("rel", list(EXPECTED))
def test_outcome_class_format_and_counts(rel: str) -> None:
    status, fmt, counts = EXPECTED[rel]
    out = outcome(rel)
    assert (out.status, out.format) == (status, fmt), out.reason
    assert dict(Counter(type(r).__name__ for r in out.records)) == counts
    assert out.records == [] or out.status == "imported"
    if status != "imported":
        assert out.reason


def test_every_valid_file_is_claimed_by_exactly_one_importer() -> None:
    for rel, (status, fmt, _) in EXPECTED.items():
        try:
            doc = json.loads((CORPUS / rel).read_text())
        except json.JSONDecodeError:
            assert status == "quarantined"
            continue
        assert [i.name for i in claimants(doc)] == [fmt], rel
    assert [i.name for i in claimants({})] == ["f32-degenerate"]


def test_no_zero_latency_or_throughput_that_was_not_measured() -> None:
    # None of these files records a 0 latency or throughput, so none may appear.
    for rel in EXPECTED:
        for r in outcome(rel).records:
            if isinstance(r, Result):
                for name in ("latency_ms_mean", "latency_ms_min", "latency_ms_max", "throughput_items_per_s",
                             "throughput_tokens_per_s", "load_time_ms"):
                    assert getattr(r, name) != 0, (rel, r.provenance.source_pointer, name)
                if r.status == "failed":  # a failed call keeps its error text (and its timings)
                    assert r.error


def test_malformed_files_quarantined_with_line_and_column() -> None:
    expect = {
        P13 + "test_benchmark_database/database_metadata.json": "Expecting value: line 5 column 21 (char 106)",
        P13 + "skills/collected_results/hf_lm_test_results.json": "Expecting value: line 1 column 1 (char 0)",
        P13 + "skills/collected_results/hf_wav2vec2_test_results.json": "Expecting value: line 7 column 24 (char 175)",
    }
    for rel, msg in expect.items():
        out = outcome(rel)
        assert out.status == "quarantined" and out.format is None
        assert out.reason == f"malformed JSON: {msg}"


def test_non_benchmark_and_degenerate_reasons() -> None:
    r = {rel: outcome(rel).reason or "" for rel, (st, _, _) in EXPECTED.items() if st == "skipped"}
    assert r[P12 + "archived_test_results/claude_backoff_queue_test_20250301_174708.json"] == (
        "not a model benchmark: API queue/back-off test (claude, model claude-3-haiku-20240307)")
    assert r[P12 + "archived_test_results/groq_model_performance.json"].startswith(
        "not a model-on-hardware benchmark: response_time/queue_time/tokens_per_second")
    assert "llama3-8b-8192" in r[P12 + "archived_test_results/groq_model_performance.json"]
    assert "(test_api_multiplexing_enhanced.py)" in r[P12 + "archived_test_results/api_multiplexing_enhanced_error_20250301_174504.json"]
    assert "API implementation status of openai, claude" in r[P12 + "api_check_results/api_implementation_status_20250301_171144.json"]
    assert r[P10 + "test_results.json"] == "degenerate: empty JSON object {}"
    assert "injected WARNING" in r[P13 + "benchmark_results/processed_results/aggregated_benchmarks@79800fbd5.json"]
    assert r[P13 + "hardware_fix_results/clip_fixes.json"].startswith("not a benchmark: code-fix report (4 files")
    assert "static analysis of 13 test source files" in r[P09 + "hardware_coverage_results/coverage_report.json"]
    assert r[P09 + "000d84e00742924155078489d3efad6215d1064076ebac208133755011d9bf12.json"].startswith(
        "capability-detection cache (13 backend/library flags")
    assert "skill_tests is empty" in r[P08 + "performance_test_skills_t5+whisper+wav2vec2_20250228_081638.json"]


def test_f16_per_skill_performance_spot_values() -> None:
    bert = P08 + "hf_bert_performance_20250227_195347.json"
    cpu = at(bert, "/results/examples/0")
    assert (cpu.model_name, cpu.hardware_type, cpu.model_family) == ("distilbert-base-uncased", "cpu", "bert")
    assert cpu.latency_ms_mean == pytest.approx(0.0013551712036132812 * 1000)
    assert cpu.measured_at == datetime(2025, 2, 27, 19, 53, 46, 281858) and not cpu.is_simulated
    assert cpu.run.started_at == datetime(2025, 2, 27, 19, 53, 47, 83548)
    assert cpu.run.library_versions == {"torch": "2.4.0+cu121", "transformers": "4.49.0"}
    cuda = at(bert, "/results/examples/1")  # implementation_type MOCK although is_simulated: false
    assert cuda.is_simulated and cuda.simulation_reason == "implementation_type MOCK"
    assert at(bert, "/results/status/qualcomm_init", TestOutcome).status == "failed"
    assert at(bert, "/results/status/apple_tests", TestOutcome).status == "skipped"

    whisper = P08 + "hf_whisper_performance_20250228_000437.json"
    ex = at(whisper, "/results/cpu_transcription_example")  # epoch 1740729877.5536284 -> UTC
    assert ex.measured_at == datetime(2025, 2, 28, 8, 4, 37, 553628) and ex.is_simulated
    failed = at(whisper, "/results/qualcomm_transcription_example")
    assert failed.status == "failed" and failed.error.startswith("Error in Qualcomm Whisper handler")
    cuda = at(whisper, "/results/cuda_transcription_example")  # REAL, but "Simulated CUDA Whisper transcription"
    assert cuda.is_simulated and cuda.metrics == {"generation_time_s": 0.005}

    nxt = at(P08 + "hf_llava_next_performance_20250228_000637.json", "/results/cuda_example")
    assert nxt.throughput_tokens_per_s == pytest.approx(102.85714285714286)
    assert nxt.memory_peak_mb == pytest.approx(3.8 * 1024)
    assert nxt.metrics["gpu_memory_reserved_mb"] == pytest.approx(4.2 * 1024)
    assert nxt.latency_ms_mean == pytest.approx(0.09994173049926758 * 1000) and nxt.is_simulated

    lm = at(P08 + "hf_lm_performance_20250228_081657.json", "/results/examples/3")
    assert (lm.hardware_type, lm.device_name, lm.scenario) == ("cuda", "cuda:0", "standard")
    assert lm.throughput_tokens_per_s == 85.3 and lm.memory_peak_mb == 245.6
    assert lm.metrics["memory_allocated_mb"] == 0.0  # measured 0 in the source, kept as such


def test_f17_to_f19_spot_values() -> None:
    summary = P08 + "performance_test_results_20250228_000721.json"
    clip = at(summary, "/results/skills~1test_hf_clip.py/performance_metrics/cuda/cuda_similarity_example")
    assert (clip.model_name, clip.device_name) == ("hf_clip", "Quadro P4000")
    assert clip.latency_ms_mean == pytest.approx(100.5713939666748) and clip.memory_peak_mb == 8.125
    emb = at(summary, "/results/skills~1test_default_embed.py", TestOutcome)
    assert emb.status == "failed" and emb.error and emb.duration_s is None  # an error is a failure
    assert at(summary, "/results/skills~1test_hf_bert.py", TestOutcome).duration_s == pytest.approx(2.955768585205078)

    t5 = at(P08 + "performance_test_skills_t5_20250228_081033.json",
            "/skill_tests/test_hf_t5.py/json_result/cuda_output_example")
    assert t5.throughput_tokens_per_s == 112.5 and t5.latency_ms_mean is None
    assert t5.metrics["total_time_s"] == pytest.approx(0.17537164688110352)

    perr = at(P08 + "test_hf_bert_performance_20250228_005914.json", "/", TestOutcome)
    assert perr.status == "completed" and "line 1 column 2" in perr.error
    assert perr.measured_at == datetime(2025, 2, 28, 0, 59, 14)  # only the file name has a time
    sim = at(P08 + "test_hf_bert_performance_20250228_010707.json", "/json_result/examples/1")
    assert sim.is_simulated and sim.latency_ms_mean == pytest.approx(0.001986980438232422 * 1000)
    scraped = at(P08 + "test_hf_llama_performance_20250228_012246.json", "/", TestOutcome)
    assert scraped.status == "failed" and scraped.error.startswith("SyntaxError: unterminated string literal")


def test_f20_to_f25_spot_values() -> None:
    bench = at(P10 + "skills/expected_results/hf_bert_test_results.json", "/status/cuda_benchmark")
    assert (bench.scenario, bench.device_name, bench.iterations) == ("benchmark", "Quadro P4000", 1)
    assert bench.latency_ms_mean == pytest.approx(444.8859691619873)
    flat = at(P10 + "skills/collected_results/hf_whisper_test_results.json", "/cuda_transcription_example")
    assert flat.is_simulated and "Success (REAL) - Simulated" in flat.simulation_reason

    pipe = at(P10 + "skills/collected_results/bert_test_bert-base-uncased_20250301_165412.json", "/results/pipeline_cuda")
    assert pipe.latency_ms_mean == pytest.approx(10.031302769978842)
    assert (pipe.latency_ms_min, pipe.latency_ms_max) == (pytest.approx(9.520530700683594), pytest.approx(11.02447509765625))
    assert pipe.load_time_ms == pytest.approx(40948.771238327026) and pipe.iterations == 3 and not pipe.is_simulated
    placeholder = outcome(P10 + "skills/collected_results/test_bert-base-uncased_cpu-cuda-openvino_20250301_173022.json")
    assert all(r.is_simulated and "avg x 0.9" in r.simulation_reason for r in placeholder.records)

    hw = outcome(P10 + "collected_results/hardware_cpu_results_20250226_222617.json").records
    llama = [t for t in hw if t.module == "test_hf_llama"]
    assert [(t.status, t.error) for t in llama] == [("failed", "'transformers'")]  # an error is a failure
    assert {t.measured_at for t in hw} == {datetime(2025, 2, 26, 22, 26, 17)}

    canine = at(P10 + "critical_model_results/critical_model_tests_20250301_150841.json", "/model_results/canine", TestOutcome)
    assert canine.status == "failed" and canine.duration_s == 0.041658
    batch = outcome(P10 + "new_model_results/new_model_tests_20250301_150750.json").records
    assert Counter(t.status for t in batch) == {"completed": 1, "failed": 16}

    clip = at(P10 + "hardware_test_results/clip_cpu_test.json", "/examples/0")
    assert clip.latency_ms_mean == pytest.approx(1202.348232269287) and clip.model_name == "openai/clip-vit-base-patch32"

    rvs = P10 + "real_vs_sim_results/prajjwal1_bert-tiny_cuda_test.json"
    fact = at(rvs, "/", CompatFact)
    assert fact.compatible is None and fact.status == "failed" and "model_id" in fact.error
    assert at(rvs, "/", TestOutcome).duration_s == pytest.approx(2.9615871906280518)


def test_f27_validation_results_are_compat_facts() -> None:
    facts = outcome(P09 + "key_models_hardware_fixes/validation_results.json").records
    assert {(f.compatible, f.status, f.hardware_type) for f in facts} == {(None, "failed", "cpu")}
    first = facts[0]
    assert first.model_name == "bert" and first.measured_at == datetime(2025, 3, 2, 20, 7, 52, 174873)
    assert re.match(r"IndentationError", first.error) and first.details["returncode"] == 1


if __name__ == "__main__":
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}")
    print(outcome_table())
