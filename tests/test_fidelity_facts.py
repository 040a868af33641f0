"""Fidelity rules on small run folders of our own (tests/fixtures/fidelity/): compatibility
facts under the model the run names, F29 row lists, the F4/F1 cuda-copy evidence, mocks,
placeholders shown by queries and the report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchwh.legacy_import.convert import convert_bytes
from benchwh.records import CompatFact, Result

FIX = Path(__file__).parent / "fixtures" / "fidelity"
RUN = FIX / "compat_run" / "benchmarks_20250302_222702" / "20250302_222705"


def _warehouse(tmp_path, *paths) -> str:
    from benchwh.importing import run_import
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    db = str(tmp_path / "w.duckdb")
    migrate(resolve(db))
    run_import(db, list(paths), jobs=1)
    return db


def _rows(db: str, query: str, params=()) -> list[tuple]:
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(db, read_only=True) as con:
        return con.execute(query, list(params)).fetchall()


def _convert_file(path: Path, root: Path):
    rel = path.relative_to(root).as_posix()
    return convert_bytes(path.read_bytes(), rel, abs_path=str(path))


def test_compat_facts_join_to_the_results_of_the_model_the_run_names(tmp_path):
    db = _warehouse(tmp_path, FIX / "compat_run")
    joined = _rows(db, """
        SELECT m.model_name, k.compatible, json_extract_string(k.details, '$.skill_key')
        FROM compatibility k JOIN models m USING (model_id)
        WHERE k.model_id IN (SELECT model_id FROM results) AND k.hardware_id IN (SELECT hardware_id FROM results)
        ORDER BY 1, 2""")
    # the skill key 'bert' of the verification report is the run's prajjwal1/bert-tiny: the F3
    # fact (embedded in F1 and standalone: one fact) and the matrix's listed model both join
    assert ("prajjwal1/bert-tiny", True, "bert") in joined
    names = {r[0] for r in _rows(db, "SELECT model_name FROM compatibility JOIN models USING (model_id)")}
    assert not names & {"bert", "t5", "text_generation"}, names
    assert "google/t5-efficient-tiny" in names  # F3 't5' and the matrix's family-only entry
    verify = _rows(db, """SELECT count(*) FROM compatibility k JOIN runs r USING (run_id)
                          JOIN models m USING (model_id)
                          WHERE r.origin = 'verify_model_functionality' AND m.model_name = ?""",
                   ("prajjwal1/bert-tiny",))
    assert verify == [(1,)]  # the report read inside F1 and from its own file is one fact
    res_ids = {r[0] for r in _rows(db, "SELECT model_id FROM results")}
    compat_ids = {r[0] for r in _rows(db, """SELECT model_id FROM compatibility k JOIN models m USING (model_id)
                                              WHERE m.model_name = ?""", ("prajjwal1/bert-tiny",))}
    assert compat_ids and compat_ids <= res_ids


def test_compat_keeps_the_skill_key_without_the_runs_model_map(tmp_path):
    report = RUN / "functionality" / "model_functionality_20250302_222731.json"
    alone = tmp_path / "functionality" / report.name
    alone.parent.mkdir()
    shutil.copy(report, alone)
    facts = [r for r in _convert_file(alone, tmp_path).records if isinstance(r, CompatFact)]
    assert sorted(f.model_name for f in facts) == ["bert", "t5"]
    assert all("skill_key" not in f.details for f in facts)


def test_an_aggregate_started_after_the_report_names_nothing_for_it(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    f1 = json.loads((run / "benchmark_results.json").read_text())
    f1["timestamp"] = "20250302_230000"  # a later run's aggregate: not the run that wrote the report
    (run / "benchmark_results.json").write_text(json.dumps(f1))
    report = run / "functionality" / "model_functionality_20250302_222731.json"
    facts = [r for r in _convert_file(report, tmp_path).records if isinstance(r, CompatFact)]
    assert sorted(f.model_name for f in facts) == ["bert", "t5"]
    matrix = [r for r in _convert_file(run / "hardware_compatibility_matrix.json", tmp_path).records
              if isinstance(r, CompatFact)]
    assert sorted(f.model_name for f in matrix) == ["prajjwal1/bert-tiny", "text_generation"]


def _rows_doc():
    return json.loads((Path(__file__).parent / "fixtures" / "legacy" / "f29-schema-rows" / "rows_timed.json").read_text())


def test_timed_consistent_rows_are_measurements():
    out = convert_bytes(json.dumps(_rows_doc()).encode(), "rows.json")
    assert out.status == "imported", out.reason
    res = [r for r in out.records if isinstance(r, Result)]
    assert [(r.batch_size, r.latency_ms_mean, r.memory_peak_mb) for r in res] == [(8, 4.8, 812.5), (16, 8.6, 1020.0)]
    assert {r.run.run_id for r in res} == {res[0].run.run_id} and res[0].run.run_key == "nightly-0304"


def test_timed_rows_whose_numbers_disagree_are_skipped_naming_the_row():
    doc = _rows_doc()
    doc[1]["total_time_seconds"] = 91.0  # 100 x 8.6 ms is 0.86 s, not 91 s
    out = convert_bytes(json.dumps(doc).encode(), "rows.json")
    assert out.status == "skipped" and out.records == []
    assert "row 1: 100 iterations x 8.6 ms = 860 ms, but total_time_seconds is 91.0" in out.reason
    assert "no time" not in out.reason


def _run_with_cuda_report(tmp_path, ran_on: str) -> Path:
    """The fixture run with a cuda column in its matrix and a verification report filed under
    ``cuda`` in its aggregate whose entries ran on ``ran_on``."""
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    f1 = json.loads((run / "benchmark_results.json").read_text())
    report = json.loads(json.dumps(f1["functionality_verification"]["cpu"]))
    for item in report["detailed_results"]:
        item["hardware"] = ran_on
    report["model_results"] = {m: {ran_on: ok} for m, per in report["model_results"].items() for ok in per.values()}
    f1["functionality_verification"]["cuda"] = report
    (run / "benchmark_results.json").write_text(json.dumps(f1))
    matrix = json.loads((run / "hardware_compatibility_matrix.json").read_text())
    matrix["hardware_types"].append("cuda")
    matrix["model_families"]["text_generation"]["hardware_compatibility"]["cuda"] = {"compatible": True}
    (run / "hardware_compatibility_matrix.json").write_text(json.dumps(matrix))
    return run


def test_matrix_cuda_flags_from_a_copied_cpu_report_are_not_cuda_facts(tmp_path):
    run = _run_with_cuda_report(tmp_path, "cpu")
    out = _convert_file(run / "hardware_compatibility_matrix.json", tmp_path)
    assert "cuda" not in {r.hardware_type for r in out.records if isinstance(r, CompatFact)}
    [meta] = [r for r in out.records if not isinstance(r, CompatFact)]
    noted = meta.run.metadata["matrix_entries_not_evidence"]
    assert noted["entries"] == {"text_generation": ["cuda"]} and "cuda ran on cpu" in noted["reason"]


def test_matrix_cuda_flags_stay_where_the_report_ran_on_cuda(tmp_path):
    run = _run_with_cuda_report(tmp_path, "cuda")
    out = _convert_file(run / "hardware_compatibility_matrix.json", tmp_path)
    cuda = [r for r in out.records if isinstance(r, CompatFact) and r.hardware_type == "cuda"]
    assert [(r.model_name, r.compatible) for r in cuda] == [("google/t5-efficient-tiny", True)]
    assert not any("matrix_entries_not_evidence" in r.run.metadata for r in out.records
                   if not isinstance(r, CompatFact))


UNIT_FACTORS = {1000, 1024, 1e6, 1e-3, 1e-6, 1e9, 1048576, 1073741824}


def test_importers_convert_units_only_through_normalize():
    """No importer multiplies or divides by a unit factor itself: benchwh.normalize does."""
    import ast

    root = Path(__file__).resolve().parents[1] / "legacy_import"
    found = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.FloorDiv)):
                for side in (node.left, node.right):
                    if isinstance(side, ast.Constant) and isinstance(side.value, (int, float)) \
                            and not isinstance(side.value, bool) and side.value in UNIT_FACTORS:
                        found.append(f"{path.name}:{node.lineno}")
    assert not found, found


@pytest.mark.parametrize("spelling, expected", [("GPU", "cuda"), ("nvidia:0", "cuda"), ("Apple MPS", "mps")])
def test_runners_read_hardware_with_the_importers_vocabulary(spelling, expected):
    torch = pytest.importorskip("torch")
    from benchwh.runners.loading import HardwareAbsent, resolve_device

    if (expected == "cuda" and torch.cuda.is_available()) or (expected == "mps" and torch.backends.mps.is_available()):
        assert resolve_device(spelling, torch).hardware_type == expected
    else:
        with pytest.raises(HardwareAbsent, match=spelling):
            resolve_device(spelling, torch)


def _placeholder_warehouse(tmp_path, cli) -> str:
    """Two skill results of one model on two days with the same 0.1 s latency (a placeholder)
    and one with a measured latency."""
    root = tmp_path / "legacy"
    root.mkdir()
    for i, (day, elapsed) in enumerate((("2025-02-27", 0.1), ("2025-03-02", 0.1), ("2025-03-03", 0.1234))):
        doc = {"status": {"cpu_handler": "Success (REAL)"},
               "examples": [{"input": "x", "output": {"text": "y"}, "elapsed_time": elapsed,
                             "implementation_type": "REAL", "platform": "CPU"}],
               "metadata": {"model_name": "bert-tiny", "test_timestamp": f"{day}T10:00:00",
                            "test_run_id": f"run-{i}"}}
        (root / f"{i}.json").write_text(json.dumps(doc))
    db = str(tmp_path / "p.duckdb")
    assert cli("migrate", "--db", db).code == 0
    res = cli("import", str(root), "--db", db)
    assert res.code == 0, res.stderr
    return db


def test_queries_and_report_show_suspected_placeholders(tmp_path, cli):
    from benchwh.report.payload import decode
    import re

    db = _placeholder_warehouse(tmp_path, cli)
    flags = _rows(db, "SELECT latency_ms_mean, suspected_placeholder FROM results ORDER BY measured_at")
    assert [f for _, f in flags] == [True, True, False]
    for query in (("latest",), ("compare-hardware", "--model", "bert-tiny")):
        res = cli("query", *query, "--db", db, "--format", "json")
        assert res.code == 0, res.stderr
        rows = json.loads(res.stdout)
        assert rows and all("suspected_placeholder" in r for r in rows), query
        # the newest result (measured, 123.4 ms) is not a placeholder
        assert [r["suspected_placeholder"] for r in rows] == [False]
    res = cli("query", "latest", "--db", db, "--since", "2025-02-01", "--until", "2025-03-01")
    assert res.code == 0, res.stderr
    assert "1 suspected placeholder(s)" in res.stderr
    out = tmp_path / "r.html"
    res = cli("report", "--db", db, "--out", str(out))
    assert res.code == 0, res.stderr
    m = re.search(r'<script type="application/octet-stream" id="payload">([^<]*)</script>', out.read_text())
    header, cols = decode(m.group(1))
    assert header["placeholders"] == 2
    marked = [header["dicts"]["placeholder"][i] for i in cols["ph"] if i]
    assert len(marked) == 2 and all("100" in e for e in marked), marked
    assert "suspected placeholder" in (Path(__file__).resolve().parents[1] / "benchwh" / "report" / "report.js").read_text()


SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _at(doc, pointer: str | None):
    node = doc
    if pointer in (None, "", "/"):  # the whole document
        return doc
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


@pytest.mark.parametrize("folder", ["legacy_corpus", "legacy_history"])
def test_every_format_marks_facts_read_from_a_mock_as_simulated(folder):
    """Whatever format carried it, a fact whose own entry says its implementation or its
    endpoint was a mock is simulated, with a reason."""
    from benchwh import normalize as nz
    from benchwh.records import TestOutcome

    root = SHARED / folder
    if not root.is_dir():
        pytest.skip(f"{folder} not found in ../shared")
    checked, missed = 0, []
    for path in sorted(root.rglob("*.json")):
        out = convert_bytes(path.read_bytes(), path.relative_to(root).as_posix(), abs_path=str(path))
        if out.status != "imported":
            continue
        doc = json.loads(path.read_bytes())
        for rec in out.records:
            if not isinstance(rec, (Result, TestOutcome, CompatFact)):
                continue
            entry = _at(doc, rec.provenance.source_pointer)
            if not isinstance(entry, dict):
                continue
            mock = [k for k, v in entry.items()
                    if (k in ("implementation_type", "implementation") and nz.is_mock_text(v))
                    or nz.is_mock_endpoint(k, v)]
            if mock:
                checked += 1
                if not (rec.is_simulated and rec.simulation_reason):
                    missed.append((path.name, out.format, rec.provenance.source_pointer, mock))
    assert checked and not missed, missed[:10]


def test_importer_helpers_live_in_shared_modules():
    """Format modules share helpers through legacy_import.fields/base, never through another
    format module's private names; one function is called hardware_of."""
    import ast

    root = Path(__file__).resolve().parents[1] / "legacy_import"
    private, defs = [], []
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("benchwh.legacy_import."):
                private += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            if isinstance(node, ast.FunctionDef) and node.name == "hardware_of":
                defs.append(path.name)
    assert not private, private
    assert defs == ["fields.py"], defs
