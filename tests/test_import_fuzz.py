"""Property tests: mutated real documents never crash an importer, and no importer ever yields
a metric that the document does not contain (after a unit conversion)."""

from __future__ import annotations

import bisect
import copy
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchwh.legacy_import.convert import convert_bytes
from benchwh.legacy_import.registry import claimants, claimants_unfiltered
from benchwh.normalize import to_float
from benchwh.records import Result

from conftest import CORPUS

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"
# x as is (ms, items/s, MiB), s -> ms, GiB -> MiB, bytes -> MiB, ms -> s
FACTORS = (1.0, 1000.0, 1024.0, 1.0 / 1048576.0, 0.001)


def _load_docs() -> list[tuple[str, object]]:
    docs = []
    roots = [FIXTURES] + ([CORPUS] if CORPUS.is_dir() else [])
    for root in roots:
        for p in sorted(root.rglob("*.json")):
            if p.name.endswith(".expected.json"):
                continue
            try:
                docs.append((str(p.relative_to(root)), json.loads(p.read_text())))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
    return docs


DOCS = _load_docs()


def numbers(doc) -> list[float]:
    out: list[float] = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        else:
            f = to_float(v)
            if f is not None:
                out.append(f)

    walk(doc)
    return sorted(out)


def contained(value: float, nums: list[float]) -> bool:
    for f in FACTORS:
        target = value / f
        i = bisect.bisect_left(nums, target - abs(target) * 1e-9 - 1e-12)
        if i < len(nums) and math.isclose(nums[i], target, rel_tol=1e-9, abs_tol=1e-12):
            return True
    return False


def metric_values(rec: Result):
    for name in ("latency_ms_mean", "latency_ms_p50", "latency_ms_p90", "latency_ms_p95", "latency_ms_p99",
                 "latency_ms_min", "latency_ms_max", "latency_ms_std", "throughput_items_per_s",
                 "throughput_tokens_per_s", "memory_peak_mb", "load_time_ms"):
        v = getattr(rec, name)
        if v is not None:
            yield name, v
    for v in rec.latency_samples_ms or ():
        yield "latency_samples_ms", v


def assert_faithful(rel: str, doc) -> None:
    # the registry's required_keys prefilter never hides or adds a claim
    assert [i.name for i in claimants(doc)] == [i.name for i in claimants_unfiltered(doc)], rel
    out = convert_bytes(json.dumps(doc).encode(), rel)
    assert "failed:" not in (out.reason or ""), f"{rel}: importer crashed: {out.reason}"
    nums = numbers(doc)
    for rec in out.records:
        if isinstance(rec, Result):
            for name, v in metric_values(rec):
                assert contained(v, nums), f"{rel}: {name}={v} is not in the document"


@pytest.mark.parametrize("i", range(len(DOCS)), ids=[d[0] for d in DOCS])
def test_unmutated_documents_are_faithful(i):
    rel, doc = DOCS[i]
    assert_faithful(rel, doc)


def _paths(doc, prefix=()):
    """Every (container, key) path in the document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


def _swap(v, choice: int):
    options = [None, "text", 0, -1.5, True, [], {}, "12.5", [1, "x"], {"a": None}]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        options.append(str(v))
    return options[choice % len(options)]


@st.composite
def mutated(draw):
    rel, doc = DOCS[draw(st.integers(0, len(DOCS) - 1))]
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = paths[draw(st.integers(0, len(paths) - 1))]
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = draw(st.sampled_from(["drop", "swap", "truncate"]))
        if op == "drop":
            del parent[key]
        elif op == "swap":
            parent[key] = _swap(parent[key], draw(st.integers(0, 20)))
        else:
            v = parent[key]
            if isinstance(v, (list, str)) and v:
                parent[key] = v[: draw(st.integers(0, len(v) - 1))]
            elif isinstance(v, dict) and v:
                keep = draw(st.integers(0, len(v) - 1))
                parent[key] = dict(list(v.items())[:keep])
    return rel, doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_documents_never_crash_or_invent(case):
    rel, doc = case
    assert_faithful(rel, doc)


_part = st.none() | st.text(alphabet="a\x00\x1f\\x01f", max_size=5)


@settings(max_examples=500, deadline=None)
@given(st.lists(_part, min_size=1, max_size=3), st.lists(_part, min_size=1, max_size=3))
def test_content_ids_are_injective(a, b):
    from benchwh.records import content_id

    if a != b:
        assert content_id("k", *a) != content_id("k", *b)
