"""Golden fixtures per benchmark harness, checked both ways: every file of every case is
recognised by exactly the importer its expected outcome names (and that importer is one of the
case's tool), and every harness importer has a fixture.

Layout: tests/fixtures/harness/<tool>/<case>/ holds the files the tool wrote (ORIGIN.md says how
each was made); <case>.expected.json beside it maps each file (path relative to the case) to
``{"status", "format", "reason_contains", "records": [record_to_dict...]}``, and lists the files
no importer reads under ``not_read``. Each case is read the way ``benchwh import`` reads a folder:
the same walk, the same raw read, the same decode, neighbours through ``ImportContext``.
``python tests/test_harness_golden.py --write TOOL/CASE`` prints a candidate expected file;
review every value against the files by hand before committing it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from benchwh.import_workers import _read
from benchwh.importing import discover
from benchwh.legacy_import.convert import convert_bytes
from benchwh.legacy_import.decode import decode
from benchwh.legacy_import.registry import claimants, importers
from benchwh.records import record_to_dict

sys.path.insert(0, str(Path(__file__).parent))
from test_legacy_golden import _close  # noqa: E402

ROOT = Path(__file__).parent / "fixtures" / "harness"
TOOL_MODULE = {  # fixture folder -> the importer module of that tool
    "pytest-benchmark": "h01_pytest_benchmark", "asv": "h02_asv", "pyperf": "h03_pyperf",
    "google-benchmark": "h04_google_benchmark", "hyperfine": "h05_hyperfine",
    "optimum-benchmark": "h06_optimum_benchmark", "vllm-benchmark-serving": "h07_vllm_serving",
    "mlperf-loadgen": "h08_mlperf_loadgen", "bencher-bmf": "h09_bencher_bmf",
    "lm-eval-harness": "h10_lm_eval",
}


def _cases() -> list[Path]:
    return sorted(p for p in ROOT.glob("*/*") if p.is_dir())


def outcomes(case: Path) -> dict:
    """What an import of the folder ``case`` makes of each file, as the import itself does it."""
    not_read: list = []
    files = discover([case], not_read)
    out = {}
    for sf in files:
        data = _read(sf.path)
        o = convert_bytes(data, sf.rel_path, sha256=hashlib.sha256(data).hexdigest(), time_path=sf.path,
                          abs_path=sf.path, reader=_read)
        entry = {"status": o.status, "format": o.format}
        if o.reason:
            entry["reason_contains"] = o.reason
        entry["records"] = [record_to_dict(r) for r in o.records]
        out[sf.rel_path] = entry
    return {"files": out, "not_read": sorted(sf.rel_path for sf in not_read)}


def _module_of(name: str) -> str:
    return next(type(i).__module__.rsplit(".", 1)[-1] for i in importers() if i.name == name)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case_matches_expected(case: Path) -> None:
    expected_path = case.with_name(case.name + ".expected.json")
    assert expected_path.exists(), f"missing {expected_path.name}"
    expected = json.loads(expected_path.read_text())
    got = outcomes(case)
    assert sorted(got["files"]) == sorted(expected["files"]), "files read differ"
    assert got["not_read"] == expected["not_read"]
    for rel, exp in expected["files"].items():
        o = got["files"][rel]
        assert o["status"] == exp["status"], f"{rel}: {o.get('reason_contains')}"
        assert o["format"] == exp["format"], rel
        if "reason_contains" in exp:
            assert exp["reason_contains"] in (o.get("reason_contains") or ""), rel
        _close(o["records"], exp["records"], rel)


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_file_claimed_by_exactly_its_tools_importer(case: Path) -> None:
    expected = json.loads(case.with_name(case.name + ".expected.json").read_text())
    for rel, exp in expected["files"].items():
        doc = decode((case / rel).read_bytes(), rel)
        names = [i.name for i in claimants(doc)]
        assert names == [exp["format"]], f"{rel}: claimed by {names}"
        assert _module_of(exp["format"]) == TOOL_MODULE[case.parent.name], rel


def test_every_harness_importer_has_a_fixture() -> None:
    have = set()
    for case in _cases():
        have |= {e["format"] for e in json.loads(case.with_name(case.name + ".expected.json").read_text())["files"].values()}
    harness = [i.name for i in importers() if type(i).__module__.rsplit(".", 1)[-1].startswith("h")]
    missing = sorted(set(harness) - have)
    assert not missing, f"harness importers without fixtures: {missing}"
    assert set(TOOL_MODULE) == {p.name for p in ROOT.iterdir() if p.is_dir()}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        print(json.dumps(outcomes(ROOT / sys.argv[2]), indent=1, sort_keys=True))
    else:
        print(__doc__)
