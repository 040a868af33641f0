"""`benchwh import` of benchmark-harness output end to end, into a real warehouse: every
fixture folder twice (the second time adds nothing), the pytest-benchmark export and its
autosave as one run, and every file accounted for (files no importer reads counted by
extension and listed in the report)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import sql

ROOT = Path(__file__).parent / "fixtures" / "harness"


def _schema_has_generic_benchmarks(db: str) -> bool:
    cols = {r[0] for r in sql(db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'results'")}
    return {"benchmark", "benchmark_params", "reported_unit"} <= cols


@pytest.fixture
def harness_db(fresh_db):
    if not _schema_has_generic_benchmarks(fresh_db):
        pytest.skip("needs schema revision 3")
    return fresh_db


def _cases() -> list[str]:
    return sorted(str(p) for p in ROOT.glob("*/*") if p.is_dir())


def _import(cli, db: str, path, report: Path):
    paths = [str(p) for p in path] if isinstance(path, list) else [str(path)]
    res = cli("import", *paths, "--db", db, "--report", str(report), "--jobs", "1")
    assert res.code == 0, res.stderr
    return res, json.loads(report.read_text())


def test_every_fixture_folder_twice_adds_nothing_the_second_time(tmp_path, harness_db, cli):
    report = tmp_path / "r.json"
    _, first = _import(cli, harness_db, _cases(), report)
    ids: set[str] = set()  # one measurement carried by two files (vLLM's JSON and JSON Lines) is one row
    for exp_file in ROOT.glob("*/*.expected.json"):
        exp = json.loads(exp_file.read_text())
        ids |= {r["result_id"] for f in exp["files"].values() for r in f["records"]}
    assert sorted(r[0] for r in sql(harness_db, "SELECT result_id FROM results")) == sorted(ids)
    assert first["not_read"], "the fixtures hold files no importer reads (sources, html, xml)"
    assert "quarantined" not in first["outcomes"]
    before = sql(harness_db, "SELECT result_id FROM results ORDER BY 1")
    res, second = _import(cli, harness_db, _cases(), report)
    assert sql(harness_db, "SELECT result_id FROM results ORDER BY 1") == before
    assert second["added"].get("results", 0) == 0
    assert "file(s) already imported" in res.stdout and "nothing new" in res.stdout
    assert cli("check", "--db", harness_db).code == 0


def test_pytest_benchmark_export_and_autosave_are_one_run(tmp_path, harness_db, cli):
    case = ROOT / "pytest-benchmark" / "export_and_autosave"
    export = json.loads((case / "export.json").read_text())
    _import(cli, harness_db, case, tmp_path / "r.json")
    assert sql(harness_db, "SELECT count(*) FROM runs")[0][0] == 1
    assert sql(harness_db, "SELECT count(*) FROM results")[0][0] == len(export["benchmarks"])
    names = sorted(r[0] for r in sql(harness_db, "SELECT benchmark FROM results"))
    assert names == sorted(b["fullname"] for b in export["benchmarks"])


def test_files_not_read_are_counted_by_extension_and_listed(tmp_path, cli, fresh_db):
    # the walk and the report, whatever the schema: a folder of files no importer reads
    src = tmp_path / "src"
    shutil.copytree(ROOT / "asv" / "results_and_publish" / "html", src / "html")
    (src / "notes.txt").write_text("not a loadgen log\n")
    (src / "plot.png").write_bytes(b"\x89PNG\r\n")
    for p in list(src.rglob("*.json")):
        p.unlink()
    report = tmp_path / "r.json"
    res = cli("import", str(src), "--db", fresh_db, "--report", str(report))
    assert res.code == 0, res.stderr
    rep = json.loads(report.read_text())
    listed = sorted(f["path"] for f in rep["files"] if f["status"] == "not read")
    on_disk = sorted(str(p.relative_to(src)) for p in src.rglob("*") if p.is_file())
    assert listed == on_disk
    by_ext: dict[str, int] = {}
    for p in on_disk:
        ext = "." + p.rsplit(".", 1)[-1]
        by_ext[ext] = by_ext.get(ext, 0) + 1
    assert rep["not_read"] == by_ext
    assert "not read: " in res.stdout and "already imported" not in res.stdout
    assert sql(fresh_db, "SELECT count(*) FROM import_ledger")[0][0] == 0


def test_summary_says_already_imported_only_for_files_the_ledger_had(tmp_path, fresh_db, cli):
    from benchwh.testing import write_tree

    src = tmp_path / "src"
    write_tree(src, 4)
    first = sorted(src.rglob("*.json"))[0]
    (src / "twin.json").write_bytes(first.read_bytes())
    (src / "README.md").write_text("notes\n")
    report = tmp_path / "r.json"
    res = cli("import", str(src), "--db", fresh_db, "--report", str(report))
    assert res.code == 0, res.stderr
    rep = json.loads(report.read_text())
    twin = next(f for f in rep["files"] if f["status"] == "duplicate")
    assert "in this import" in twin["reason"] and "already imported" not in res.stdout
    assert rep["outcomes"] == {"imported": 4, "same content as another file": 1, "not read": 1}
    res = cli("import", str(src), "--db", fresh_db, "--report", str(report))
    assert "file(s) already imported" in res.stdout and "nothing new" in res.stdout
    assert json.loads(report.read_text())["outcomes"] == {"already imported": 5, "not read": 1}


def test_format_takes_the_codes_list_formats_shows(tmp_path, fresh_db, cli):
    listed = cli("import", "--list-formats").stdout
    line = next(x for x in listed.splitlines() if x.startswith("lm-eval-harness"))
    code = line.split()[1]
    lm = next((ROOT / "lm-eval-harness" / "mmlu").glob("*.json"))
    report = tmp_path / "r.json"
    res = cli("import", str(lm), "--db", fresh_db, "--format", code.lower(), "--report", str(report))
    assert res.code == 0, res.stderr
    (f,) = json.loads(report.read_text())["files"]
    assert f["status"] == "skipped" and f["format"] == "lm-eval-harness" and "accuracy" in f["reason"]
    res = cli("import", str(lm), "--db", fresh_db, "--format", "H99")
    assert res.code == 1 and "unknown format 'H99'" in (res.stdout + res.stderr)
