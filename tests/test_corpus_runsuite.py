"""The run-suite formats (F1-F7: run_model_benchmarks.py, run_benchmark_suite.py,
hardware_benchmark_runner.py) over the real legacy corpus.

Expected values are read from the corpus files themselves and converted here (seconds x 1000.0
and so on); the test never carries a number of its own. Skips when the corpus is absent.
Run with ``-s`` to print the file -> outcome table.
"""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path

import pytest

from benchwh import normalize as nz
from benchwh.legacy_import.convert import convert_bytes
from benchwh.legacy_import.registry import claimants
from benchwh.records import CompatFact, ModelInfo, Result, RunMeta

CORPUS = Path(__file__).parents[1].parent / "shared" / "legacy_corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="legacy corpus not present")

RUN_0305 = "01_run_model_benchmarks_run_dir/benchmark_results/benchmarks_20250305_204837/20250305_204847/"
F6_0305 = RUN_0305 + "performance/embedding/20250305_204933/20250305_204942/benchmark_results.json"
F1_0305 = RUN_0305 + "benchmark_results.json"
ANNOT = "03_cleanup_annotated_variants/benchmark_results/20250302_201142/"
SUITE = "02_benchmark_suite_results/benchmark_results/"
COVERAGE = "09_hardware_compatibility_coverage/benchmark_results/"

# file -> (outcome, importer) for every file of this group (INDEX.md's F1-F7 rows).
EXPECTED = {
    RUN_0305 + "benchmark_config.json": ("imported", "f02-benchmark-config"),
    RUN_0305 + "benchmark_config_audio.json": ("imported", "f02-benchmark-config"),
    RUN_0305 + "benchmark_config_embedding.json": ("imported", "f02-benchmark-config"),
    F1_0305: ("imported", "f01-run-model-benchmarks"),
    RUN_0305 + "functionality/model_functionality_20250305_204901.json": ("imported", "f03-model-functionality"),
    RUN_0305 + "functionality/model_functionality_20250305_204916.json": ("imported", "f03-model-functionality"),
    RUN_0305 + "hardware_compatibility_matrix.json": ("imported", "f04-compat-matrix"),
    F6_0305: ("imported", "f06-hardware-benchmark"),
    RUN_0305 + "performance/embedding/20250305_204933/20250305_204942/benchmark_summary.json":
        ("skipped", "f07-benchmark-summary"),
    RUN_0305 + "performance/embedding/20250305_204933/benchmark_config.json": ("imported", "f02-benchmark-config"),
    RUN_0305 + "performance/embedding/20250305_204933/hardware_compatibility_matrix.json":
        ("imported", "f04-compat-matrix"),
    "01_run_model_benchmarks_run_dir/benchmark_results/benchmarks_20250305_204837/benchmark_models.json":
        ("imported", "f05-benchmark-models"),
    "01_run_model_benchmarks_run_dir/benchmark_results/benchmarks_20250305_204837/hardware_compatibility_matrix.json":
        ("imported", "f04-compat-matrix"),
    SUITE + "20250302_202226/benchmark_results.json": ("imported", "f06-hardware-benchmark"),
    SUITE + "20250302_202226/benchmark_summary.json": ("skipped", "f07-benchmark-summary"),
    SUITE + "20250303_050233/20250303_050235/benchmark_results.json": ("imported", "f06-hardware-benchmark"),
    SUITE + "20250303_050233/20250303_050235/benchmark_summary.json": ("skipped", "f07-benchmark-summary"),
    SUITE + "20250303_050233/benchmark_config.json": ("imported", "f02-benchmark-config"),
    SUITE + "20250303_050233/hardware_compatibility_matrix.json": ("imported", "f04-compat-matrix"),
    SUITE + "benchmarks_20250305_195254/20250305_195301/performance/audio/20250305_202656/20250305_202703/"
            "benchmark_results.json": ("imported", "f06-hardware-benchmark"),
    SUITE + "benchmarks_20250305_195254/20250305_195301/performance/audio/20250305_202656/20250305_202703/"
            "benchmark_summary.json": ("skipped", "f07-benchmark-summary"),
    SUITE + "benchmarks_20250305_195254/20250305_195301/performance/multimodal/20250305_214809/20250305_214814/"
            "benchmark_results.json": ("imported", "f06-hardware-benchmark"),
    SUITE + "benchmarks_20250305_195254/20250305_195301/performance/vision/20250305_215047/20250305_215053/"
            "benchmark_results.json": ("imported", "f06-hardware-benchmark"),
    ANNOT + "benchmark_config.json": ("imported", "f02-benchmark-config"),
    ANNOT + "benchmark_results.json": ("imported", "f01-run-model-benchmarks"),
    ANNOT + "benchmark_results@79800fbd5.json": ("imported", "f01-run-model-benchmarks"),
    ANNOT + "functionality/model_functionality_20250302_201220.json": ("imported", "f03-model-functionality"),
    ANNOT + "functionality/model_functionality_20250302_201220@79800fbd5.json": ("imported", "f03-model-functionality"),
    ANNOT + "hardware_compatibility_matrix.json": ("imported", "f04-compat-matrix"),
    ANNOT + "hardware_compatibility_matrix@79800fbd5.json": ("imported", "f04-compat-matrix"),
    "03_cleanup_annotated_variants/benchmark_results/hardware_compatibility_matrix.json":
        ("imported", "f04-compat-matrix"),
    COVERAGE + "20250302_201346/hardware_compatibility_matrix.json": ("imported", "f04-compat-matrix"),
    COVERAGE + "benchmarks_20250302_213018/hardware_compatibility_matrix.json": ("imported", "f04-compat-matrix"),
}
OURS = {name for _, name in EXPECTED.values()}

_cache: dict[str, object] = {}


def outcome(rel: str):
    if rel not in _cache:
        _cache[rel] = convert_bytes((CORPUS / rel).read_bytes(), rel_path=rel, abs_path=str(CORPUS / rel))
    return _cache[rel]


def doc(rel: str):
    return json.loads((CORPUS / rel).read_bytes())


def of(rel: str, kind):
    return [r for r in outcome(rel).records if isinstance(r, kind)]


def resolve(document, pointer: str):
    node = document
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def test_corpus_holds_every_expected_file() -> None:
    missing = [rel for rel in EXPECTED if not (CORPUS / rel).is_file()]
    assert not missing


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_outcome_and_format(rel: str) -> None:
    out = outcome(rel)
    status, fmt = EXPECTED[rel]
    assert (out.status, out.format) == (status, fmt), out.reason
    if status == "skipped":
        assert out.reason and not out.records


def test_each_file_claimed_by_exactly_its_importer_and_ours_claim_nothing_else() -> None:
    for path in sorted(CORPUS.rglob("*.json")):
        rel = str(path.relative_to(CORPUS))
        try:
            document = json.loads(path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        names = [i.name for i in claimants(document)]
        if rel in EXPECTED:
            assert names == [EXPECTED[rel][1]], rel
        else:
            assert not OURS & set(names), f"{rel} claimed by {names}"


def test_f6_bert_cpu_batch1_seq32_acceptance_values() -> None:
    src = doc(F6_0305)["benchmarks"]["embedding"]["bert-base-uncased"]["cpu"]
    cfg = src["benchmark_results"]["batch_1_seq_32"]
    [r] = [r for r in of(F6_0305, Result) if (r.model_name, r.hardware_type, r.batch_size, r.sequence_length)
           == ("bert-base-uncased", "cpu", 1, 32)]
    assert math.isclose(r.latency_ms_mean, cfg["avg_latency"] * 1000.0, rel_tol=1e-12)
    assert r.latency_samples_ms == [v * 1000.0 for v in cfg["latencies"]]
    assert len(r.latency_samples_ms) == len(cfg["latencies"]) == cfg["iterations"] == r.iterations
    assert r.throughput_items_per_s == cfg["throughput"]
    assert r.load_time_ms == src["model_load_time"] * 1000.0
    assert r.metrics["total_time_s"] == cfg["total_time"]
    assert r.measured_at == nz.parse_time(src["timestamp"])  # the model x hardware entry's time
    assert r.memory_peak_mb is None  # performance_summary.memory is {}
    assert r.run.started_at == nz.parse_time(doc(F6_0305)["timestamp"])
    assert r.run.host == doc(F6_0305)["system_info"]["hostname"]
    assert r.run.environment == doc(F6_0305)["system_info"]
    assert r.provenance.source_pointer == "/benchmarks/embedding/bert-base-uncased/cpu/benchmark_results/batch_1_seq_32"


def test_f6_every_config_is_one_result_with_its_own_status() -> None:
    for rel, (status, fmt) in EXPECTED.items():
        if fmt != "f06-hardware-benchmark":
            continue
        source = doc(rel)
        results = of(rel, Result)
        n_configs = sum(len(e["benchmark_results"]) for fam in source["benchmarks"].values()
                        for hws in fam.values() for e in hws.values())
        assert len(results) == n_configs, rel
        for r in results:
            cfg = resolve(source, r.provenance.source_pointer)
            if cfg["status"] == "failed":
                assert r.status == "failed" and r.error == cfg["error"]
                assert r.latency_ms_mean is None and r.throughput_items_per_s is None and not r.metrics
            else:
                assert r.status == "completed"
                assert r.latency_ms_mean == cfg["avg_latency"] * 1000.0
                assert r.throughput_items_per_s == cfg.get("throughput")
            assert not r.is_simulated


def test_f6_all_configs_failed_while_model_says_completed() -> None:
    rel = SUITE + "20250302_202226/benchmark_results.json"
    source = doc(rel)
    entries = [e for fam in source["benchmarks"].values() for hws in fam.values() for e in hws.values()]
    assert all(e["status"] == "completed" for e in entries)
    results = of(rel, Result)
    assert results and all(r.status == "failed" and r.error for r in results)


def test_f6_audio_real_time_factor_and_timeouts_kept() -> None:
    rel = next(r for r in EXPECTED if "/audio/" in r and r.endswith("benchmark_results.json"))
    source = doc(rel)
    seen_rtf = seen_timeout = 0
    for r in of(rel, Result):
        cfg = resolve(source, r.provenance.source_pointer)
        assert r.input_shape and r.input_shape.startswith("audio_") and r.sequence_length is None
        if "real_time_factor" in cfg:
            assert r.metrics["real_time_factor"] == cfg["real_time_factor"]
            seen_rtf += 1
        if cfg.get("timeout") is True:
            assert r.metrics["timeout"] is True and r.metrics["completed_iterations"] == cfg["completed_iterations"]
            seen_timeout += 1
    assert seen_rtf and seen_timeout


def test_f6_vision_and_multimodal_config_keys() -> None:
    for rel in EXPECTED:
        if "/vision/" in rel and rel.endswith("benchmark_results.json"):
            shapes = {r.input_shape for r in of(rel, Result)}
            assert shapes == {"img_224x224", "img_384x384"}
        if "/multimodal/" in rel:
            rs = of(rel, Result)
            assert {r.batch_size for r in rs} == {1, 4, 8}
            assert all(r.input_shape is None and r.sequence_length is None for r in rs)


def test_no_zero_latency_or_throughput_unless_measured() -> None:
    for rel in EXPECTED:
        for r in of(rel, Result):
            cfg = resolve(doc(rel), r.provenance.source_pointer)
            if r.latency_ms_mean == 0:
                assert cfg["avg_latency"] == 0
            if r.throughput_items_per_s == 0:
                assert cfg["throughput"] == 0


def test_f1_embedded_f6_gives_the_same_results_as_the_standalone_file() -> None:
    embedded = {r.result_id: r for r in of(F1_0305, Result)}
    standalone = {r.result_id: r for r in of(F6_0305, Result)}
    assert doc(F1_0305)["performance_benchmarks"]["embedding"] == doc(F6_0305)  # same measurement
    assert embedded.keys() & standalone.keys()
    assert embedded.keys() <= standalone.keys()  # the F1 adds no distinct duplicate
    for rid, r in embedded.items():
        s = standalone[rid]
        assert r.run.run_id == s.run.run_id
        assert (r.latency_ms_mean, r.latency_samples_ms, r.measured_at) == \
            (s.latency_ms_mean, s.latency_samples_ms, s.measured_at)
        assert r.provenance.source_pointer == "/performance_benchmarks/embedding" + s.provenance.source_pointer


def test_f1_functionality_matches_f3_files_and_ignores_the_cuda_copy() -> None:
    f3_ids = set()
    for rel in EXPECTED:
        if rel.startswith(RUN_0305 + "functionality/"):
            f3_ids |= {c.compat_id for c in of(rel, CompatFact)}
    f1_facts = of(F1_0305, CompatFact)
    assert {c.compat_id for c in f1_facts} == f3_ids
    fv = doc(F1_0305)["functionality_verification"]
    assert {d["hardware"] for d in fv["cuda"]["detailed_results"]} == {"cpu"}  # the known defect
    assert "cuda" not in {c.hardware_type for c in f1_facts}
    [meta] = of(F1_0305, RunMeta)
    assert "cuda" in meta.run.metadata["functionality_verification_notes"]


def test_f1_error_families_are_notes_not_results() -> None:
    pb = doc(F1_0305)["performance_benchmarks"]
    errored = {fam for fam, v in pb.items() if v.get("status") == "error"}
    [meta] = of(F1_0305, RunMeta)
    assert set(meta.run.metadata["performance_benchmarks_not_run"]) == errored
    assert {r.model_family for r in of(F1_0305, Result)}.isdisjoint(errored)
    assert meta.run.started_at == nz.parse_time(doc(F1_0305)["timestamp"])
    assert {m.model_name for m in of(F1_0305, ModelInfo)} == {v["name"] for v in doc(F1_0305)["models"].values()}


def test_annotated_variants_flag_listed_hardware_as_simulated() -> None:
    orig, annot = ANNOT + "benchmark_results.json", ANNOT + "benchmark_results@79800fbd5.json"
    listed = set(doc(annot)["simulated_hardware"])
    o = {(c.model_name, c.hardware_type): c for c in of(orig, CompatFact)}
    a = {(c.model_name, c.hardware_type): c for c in of(annot, CompatFact)}
    assert o.keys() == a.keys()
    for key, fact in a.items():
        if key[1] in listed:
            assert fact.is_simulated and "simulated_hardware" in fact.simulation_reason
            # Same check, only the later label differs: one fact (the simulation flag is not
            # part of the id; the writer keeps "simulated" once any copy says so).
            assert fact.compat_id == o[key].compat_id
        else:
            assert fact.compat_id == o[key].compat_id
    for rel in (ANNOT + "hardware_compatibility_matrix@79800fbd5.json",
                "03_cleanup_annotated_variants/benchmark_results/hardware_compatibility_matrix.json"):
        facts = of(rel, CompatFact)
        assert facts and all(c.is_simulated == (c.hardware_type in listed) for c in facts)


def test_mock_reported_in_test_output_marks_the_fact_simulated() -> None:
    rel = ANNOT + "functionality/model_functionality_20250302_201220.json"
    source = doc(rel)
    for fact in of(rel, CompatFact):
        item = resolve(source, fact.provenance.source_pointer)
        if fact.is_simulated:
            assert item["success"] is True and "mock" in fact.simulation_reason.lower()
            assert fact.simulation_reason.split(": ", 1)[1].strip("'")[:40] in item["stdout"] + item["stderr"]


def test_f4_matrices_give_compat_facts_only() -> None:
    for rel, (_, fmt) in EXPECTED.items():
        if fmt != "f04-compat-matrix":
            continue
        source = doc(rel)
        assert not of(rel, Result)
        for c in of(rel, CompatFact):
            entry = resolve(source, c.provenance.source_pointer)
            if "/benchmark_results/" in c.provenance.source_pointer:
                assert c.model_name == entry["model_name"]
                fam_entry = resolve(source, c.provenance.source_pointer.rsplit("/benchmark_results/", 1)[0])
                assert c.compatible is fam_entry["compatible"]
                summary = {k: v for k, v in entry.items() if k not in ("model_name", "timestamp")}
                assert c.details.get("matrix_summary", {}) == summary
                assert c.measured_at == nz.parse_time(entry["timestamp"])
            elif "skill_key" in c.details:
                # a family-only entry of the run whose aggregate (same timestamp) lies beside:
                # one fact per model that aggregate's ``models`` map gives the family
                f1 = doc(rel.rsplit("/", 1)[0] + "/benchmark_results.json")
                assert f1["timestamp"] == source["timestamp"]
                named = f1["models"][c.details["skill_key"]]
                assert (c.model_name, c.model_family) == (named["name"], named["family"])
                assert c.details["compatible_scope"] == "model_family"
                assert c.compatible is entry["compatible"]
            else:
                assert c.model_name == c.model_family and c.details["scope"] == "model_family"
                assert c.compatible is entry["compatible"]


def test_f4_matrix_numbers_are_derived_from_the_f6_summary() -> None:
    """Why the matrix's means are details, not results: each equals the F6 entry's
    performance_summary mean (a mean over configs) of the same model x hardware."""
    rel = RUN_0305 + "performance/embedding/20250305_204933/hardware_compatibility_matrix.json"
    f6 = doc(F6_0305)["benchmarks"]["embedding"]
    checked = 0
    for c in of(rel, CompatFact):
        summary = f6[c.model_name][c.hardware_type]["performance_summary"]
        assert c.details["matrix_summary"]["mean_latency"] == summary["latency"]["mean"]
        assert c.details["matrix_summary"]["mean_throughput"] == summary["throughput"]["mean"]
        checked += 1
    assert checked


def test_f4_cuda_flags_are_not_cuda_evidence_only_where_the_run_shows_a_copy() -> None:
    for rel, (_, fmt) in EXPECTED.items():
        if fmt != "f04-compat-matrix" or not isinstance(doc(rel).get("timestamp"), str):
            continue
        source = doc(rel)
        cuda_fams = [f for f, v in source["model_families"].items() if "cuda" in v["hardware_compatibility"]]
        beside = CORPUS / rel.rsplit("/", 1)[0] / "benchmark_results.json"
        f1 = json.loads(beside.read_bytes()) if beside.is_file() else {}
        cuda_report = f1.get("functionality_verification", {}).get("cuda", {})
        copy = (f1.get("timestamp") == source["timestamp"]
                and {d["hardware"] for d in cuda_report.get("detailed_results", [])} == {"cpu"})
        hardware = {c.hardware_type for c in of(rel, CompatFact)}
        if copy:  # the run's own aggregate shows its cuda report is the CPU one
            assert "cuda" not in hardware, rel
            [meta] = of(rel, RunMeta)
            assert sorted(meta.run.metadata["matrix_entries_not_evidence"]["entries"]) == sorted(cuda_fams)
            assert "cuda ran on cpu" in meta.run.metadata["matrix_entries_not_evidence"]["reason"]
        elif cuda_fams:  # no evidence of a copy in what the run left: the flags are cuda facts
            assert "cuda" in hardware, rel
            assert not any("matrix_entries_not_evidence" in m.run.metadata for m in of(rel, RunMeta))


def test_f4_model_names_filed_as_hardware_keys_are_not_facts() -> None:
    rel = RUN_0305 + "hardware_compatibility_matrix.json"
    table = doc(rel)["model_families"]["embedding"]["hardware_compatibility"]
    not_hw = [k for k in table if nz.hardware_type(k) is None]
    assert not_hw
    # no fact read from an entry filed under a model name (a family's models, named by the
    # run's own map, are facts of the family's real hardware entries)
    filed_under = {c.provenance.source_pointer.split("/hardware_compatibility/", 1)[1].split("/")[0]
                   for c in of(rel, CompatFact)}
    assert filed_under and not filed_under & set(not_hw)
    assert "unknown" not in {c.hardware_type for c in of(rel, CompatFact)}
    [meta] = of(rel, RunMeta)
    assert meta.run.metadata["matrix_entries_not_hardware"]["embedding"] == not_hw


def test_f2_and_f5_give_no_results() -> None:
    for rel, (_, fmt) in EXPECTED.items():
        if fmt == "f02-benchmark-config":
            [meta] = outcome(rel).records
            assert isinstance(meta, RunMeta) and meta.run.metadata["config"] == doc(rel)
    run_cfg = of(RUN_0305 + "benchmark_config.json", RunMeta)[0].run
    f1_run = of(F1_0305, RunMeta)[0].run
    assert run_cfg.run_id == f1_run.run_id  # the config belongs to the F1 run
    rel = "01_run_model_benchmarks_run_dir/benchmark_results/benchmarks_20250305_204837/benchmark_models.json"
    infos = of(rel, ModelInfo)
    source = doc(rel)
    assert sorted(i.metadata["key"] for i in infos) == sorted(k for k, v in source.items() if isinstance(v, dict))
    for i in infos:
        assert i.model_name == source[i.metadata["key"]]["name"]
        assert i.model_family == source[i.metadata["key"]]["family"]


def test_print_outcome_table() -> None:
    lines = []
    for rel in sorted(EXPECTED):
        out = outcome(rel)
        kinds = collections.Counter(type(r).__name__ for r in out.records)
        counts = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "-"
        lines.append(f"{rel} | {out.status} | {out.format} | {counts}")
    print("\n" + "\n".join(lines))
    assert len(lines) == len(EXPECTED)
