"""``regressions --baseline previous`` reads only each series' newest points, chosen in SQL: its
findings equal those of the full-history path (the same judgement through a date baseline after
every point) on a warehouse with samples, means only, duplicates, annotations and simulated
series."""

from __future__ import annotations

from datetime import timedelta

import pytest

from benchwh.regress import Settings, find_regressions
from benchwh.warehouse.annotate import Annotation, annotate_warehouse

from test_changes import NIGHTS, START, record_nights, step


@pytest.fixture
def mixed(make_warehouse, tmp_path):
    db = make_warehouse("file", tmp_path).db
    record_nights(db, {("fast/a", False): step(10.0, 12.0, at=NIGHTS - 1),
                       ("fast/b", False): [10.0] * NIGHTS,
                       ("fast/b", True): step(10.0, 7.0, at=NIGHTS - 1),
                       ("fast/c", False): step(10.0, 13.0, at=NIGHTS - 1)}, seed=3)
    record_nights(db, {("fast/means", False): step(10.0, 11.0, at=NIGHTS - 1)}, samples=None, seed=4)
    # the same measurement reached twice: once without samples, once with (another run)
    record_nights(db, {("fast/a", False): [10.0] * NIGHTS}, samples=None, seed=5)
    annotate_warehouse(db, Annotation(effective_at=START + timedelta(days=NIGHTS - 1, hours=-1),
                                      note="expected", model_name="fast/c"))
    return db


@pytest.mark.parametrize("method", ["auto", "threshold", "mwu", "zscore"])
def test_newest_points_path_equals_full_history(mixed, method):
    settings = Settings(method=method, min_samples=5, window=5)
    fast = find_regressions(mixed, settings, baseline="previous", metrics=["latency", "throughput"])
    full = find_regressions(mixed, settings, baseline="2100-01-01", metrics=["latency", "throughput"])
    assert str(fast.baseline) == "previous" and full.baseline.kind == "date"
    a = [f.as_dict() for f in fast.findings]
    b = [f.as_dict() for f in full.findings]
    assert len(a) == len(b) > 10
    assert a == b
    verdicts = {(d["model_name"], d["is_simulated"], d["metric"]): d["verdict"] for d in a}
    assert verdicts[("fast/c", False, "latency_ms_mean")] == "no-baseline"  # annotated
    # means only: the rank test cannot judge it, the others can
    means = verdicts[("fast/means", False, "latency_ms_mean")]
    assert means == "insufficient-data" if method == "mwu" else means in ("regression", "unchanged")
