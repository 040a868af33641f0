"""Golden fixtures per legacy format, checked both ways: every fixture is recognised by
exactly the importer its folder names, and every importer has at least one fixture.

Layout: tests/fixtures/legacy/<importer name>/<case>.json with <case>.expected.json beside it:
``{"status": ..., "format": ..., "reason_contains": ..., "records": [record_to_dict...]}``.
``python tests/test_legacy_golden.py --write FILE.json`` prints a candidate expected file;
review every value against the fixture by hand before committing it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from benchwh.legacy_import.convert import convert_bytes
from benchwh.legacy_import.registry import claimants, importers
from benchwh.records import record_to_dict

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"


def _cases():
    return sorted(p for p in FIXTURES.glob("*/*.json") if not p.name.endswith(".expected.json"))


def _outcome(path: Path):
    return convert_bytes(path.read_bytes(), rel_path=path.name)


def _expected_doc(path: Path) -> dict:
    out = _outcome(path)
    doc = {"status": out.status, "format": out.format}
    if out.reason:
        doc["reason_contains"] = out.reason
    doc["records"] = [record_to_dict(r) for r in out.records]
    return doc


def _close(a, b, where="") -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{where}: keys differ: {sorted(set(a) ^ set(b))}"
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.mark.parametrize("path", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_matches_expected(path: Path) -> None:
    expected_path = path.with_name(path.name[: -len(".json")] + ".expected.json")
    assert expected_path.exists(), f"missing {expected_path.name}"
    expected = json.loads(expected_path.read_text())
    out = _outcome(path)
    assert out.status == expected["status"], out.reason
    if out.status != "quarantined" or expected.get("format"):
        assert out.format == expected["format"] == path.parent.name
    if "reason_contains" in expected:
        assert expected["reason_contains"] in (out.reason or "")
    _close([record_to_dict(r) for r in out.records], expected["records"], path.name)


@pytest.mark.parametrize("path", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_claimed_by_exactly_its_importer(path: Path) -> None:
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError:
        pytest.skip("malformed on purpose: nobody claims it")
    names = [i.name for i in claimants(doc)]
    if path.parent.name == "unknown":
        assert names == []
    else:
        assert names == [path.parent.name]


def test_every_importer_has_a_fixture() -> None:
    have = {p.parent.name for p in _cases()}
    # the benchmark-harness importers (hNN modules) have theirs in test_harness_golden.py
    legacy = [i for i in importers() if not type(i).__module__.rsplit(".", 1)[-1].startswith("h")]
    missing = [i.name for i in legacy if i.name not in have]
    assert not missing, f"importers without golden fixtures: {missing}"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        print(json.dumps(_expected_doc(Path(sys.argv[2])), indent=1, sort_keys=True))
    else:
        print(__doc__)
