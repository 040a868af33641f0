"""``benchwh.regress.changepoint``: exact change points on small constructed series, lone
outliers, stability when points are appended, samples against means, and agreement with
Apache Otava's e-divisive where it is installed."""

from __future__ import annotations

import random

import pytest

from benchwh.regress.changepoint import MEANS, SAMPLES, change_points, lone_outliers


def noisy(levels: list[float], noise: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [v * (1 + rng.gauss(0, noise)) for v in levels]


def idx(values, samples=None, **kw) -> list[int]:
    return [c.index for c in change_points(values, samples, **kw)]


def test_exact_single_step():
    values = noisy([10.0] * 15 + [12.0] * 15, 0.01, seed=1)
    (c,) = change_points(values)
    assert c.index == 15
    assert c.before == pytest.approx(sum(values[:15]) / 15)
    assert c.after == pytest.approx(sum(values[15:]) / 15)
    assert c.change_pct == pytest.approx((c.after - c.before) / c.before * 100)
    assert 15 < c.change_pct < 25 and c.p_value < 1e-6
    assert (c.start, c.end, c.tested_on) == (0, 30, MEANS)


def test_exact_regression_then_fix_and_steps_back_to_back():
    fix = noisy([10.0] * 12 + [13.0] * 6 + [10.0] * 12, 0.01, seed=2)
    assert idx(fix) == [12, 18]
    steps = noisy([10.0] * 8 + [12.0] * 8 + [15.0] * 8 + [11.0] * 8, 0.01, seed=3)
    found = change_points(steps)
    assert [c.index for c in found] == [8, 16, 24]
    assert [c.change_pct > 0 for c in found] == [True, True, False]


def test_noise_only_has_no_change_points():
    for seed in range(20):
        assert idx(noisy([10.0] * 60, 0.04, seed)) == [], seed


def test_lone_outlier_is_not_a_change():
    values = noisy([10.0] * 40, 0.01, seed=4)
    values[17] *= 1.6
    values[30] *= 0.5
    assert lone_outliers(values) == [17, 30]
    assert idx(values) == []
    # Two points that agree are a segment: a change there and back again.
    values[18] = values[17]
    assert idx(values) == [17, 19]


def test_newest_point_alone_is_not_a_change_until_a_second_agrees():
    base = noisy([10.0] * 30, 0.01, seed=5)
    assert idx(base + [13.0]) == []
    assert idx(base + [13.0, 13.1]) == [30]


def test_min_change_and_alpha():
    values = noisy([10.0] * 20 + [10.3] * 20, 0.002, seed=6)  # a 3% step, clearly significant
    assert idx(values) == [20]
    assert idx(values, min_change_pct=5) == []
    assert idx(noisy([10.0] * 10 + [10.4] * 10, 0.03, seed=7), alpha=1e-9) == []


def test_cuts_split_the_series_and_are_never_reported():
    values = noisy([10.0] * 15 + [14.0] * 15, 0.01, seed=8)
    assert idx(values, cuts=[15]) == []
    more = values + noisy([18.0] * 15, 0.01, seed=9)
    assert idx(more, cuts=[15]) == [30]


@pytest.mark.parametrize("seed", range(6))
def test_appending_points_does_not_move_earlier_change_points(seed):
    rng = random.Random(100 + seed)
    step_at, fix_at = rng.randint(15, 30), rng.randint(45, 60)
    levels = [10.0] * step_at + [12.5] * (fix_at - step_at) + [10.5] * (100 - fix_at)
    values = noisy(levels, 0.03, seed)
    seen: dict[int, float] = {}
    for n in range(fix_at + 10, 101, 5):
        found = change_points(values[:n])
        got = [c.index for c in found]
        assert any(abs(i - step_at) <= 1 for i in got), (n, got)
        # Once found with both neighbouring segments closed, a change point stays put.
        closed = [c.index for c in found if c.end < n - 10]
        for i in closed:
            if i in seen:
                assert i in got
        for c in found:
            if c.end < n - 10:
                seen.setdefault(c.index, c.change_pct)
    assert seen, "no change point ever settled"


def _within_run(levels: list[float], n: int, sd: float, seed: int):
    """Points whose noise is all within-run: each value is the mean of its own samples."""
    rng = random.Random(seed)
    samples = [[v * (1 + rng.gauss(0, sd)) for _ in range(n)] for v in levels]
    return [sum(s) / len(s) for s in samples], samples


def test_samples_give_power_when_noise_is_within_run():
    # Few points: the values alone estimate their spread with 4 degrees of freedom, the samples
    # with hundreds.
    values, samples = _within_run([10.0] * 3 + [10.25] * 3, 50, 0.02, seed=10)
    (by_s,) = change_points(values, samples, alpha=0.5)
    (by_m,) = change_points(values, alpha=0.5)
    assert by_s.index == by_m.index == 3
    assert by_s.tested_on == SAMPLES and by_m.tested_on == MEANS
    assert by_s.p_value < by_m.p_value


def test_samples_refuse_a_level_the_points_agree_on_by_chance():
    values = [10.0, 10.0, 10.0, 10.0, 10.3, 10.3, 10.3, 10.3]
    wide = [[v - 2.0, v, v + 2.0] for v in values]  # each mean is uncertain by ~1.2
    assert idx(values) == [4]  # the values alone: no spread at all, so any step is significant
    assert idx(values, wide) == []
    assert idx(values, [None] + wide[1:]) == [4]  # one point without samples: values only


def test_sample_stats_equal_samples():
    values, samples = _within_run([10.0] * 10 + [10.4] * 10, 20, 0.05, seed=11)
    import statistics

    stats = ([len(s) for s in samples], [statistics.variance(s) for s in samples])
    a = change_points(values, samples, alpha=0.01)
    b = change_points(values, sample_stats=stats, alpha=0.01)
    assert [c.as_dict() for c in a] == [c.as_dict() for c in b]
    assert a and a[0].tested_on == SAMPLES


def test_against_otava_on_clear_steps():
    """Large steps under small noise: every change point Otava finds is found at the same
    index, and all of the true ones are."""
    analysis = pytest.importorskip("otava.analysis")
    for seed in range(5):
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(10, 90), 3))
        while min(b - a for a, b in zip([0, *cuts], [*cuts, 100])) < 8:
            cuts = sorted(rng.sample(range(10, 90), 3))
        levels, level = [], 10.0
        for i in range(100):
            if i in cuts:
                level *= rng.choice([0.7, 1.4])
            levels.append(level)
        values = noisy(levels, 0.02, seed)
        theirs = [c.index for c in analysis.compute_change_points(list(values))[0]]
        ours = idx(values)
        assert ours == cuts, seed
        assert theirs and set(theirs) <= set(ours), (seed, theirs)


@pytest.mark.parametrize("with_samples", [False, True])
def test_screen_never_drops_a_series_with_a_change_point(with_samples):
    """``screen`` (many series at once) is only a shortcut: a row it rules out has no change
    point by ``change_points``; and it does rule out most noise-only rows."""
    import numpy as np

    from benchwh.regress.changepoint import screen

    rng = np.random.default_rng(12)
    S, m = 400, 40
    x = 10.0 * (1 + rng.uniform(0.03, 0.05, (S, 1)) * rng.standard_normal((S, m)))
    kinds = np.arange(S) % 4
    for r in np.flatnonzero(kinds == 1):  # steps of every size, many near the threshold
        x[r, rng.integers(4, m - 4):] *= 1 + rng.uniform(0.0, 0.12)
    for r in np.flatnonzero(kinds == 2):  # excursions
        a = int(rng.integers(4, 20))
        x[r, a:a + int(rng.integers(3, 12))] *= 1 + rng.uniform(0.0, 0.15)
    for r in np.flatnonzero(kinds == 3):  # outliers
        x[r, rng.integers(1, m - 1)] *= 1.8
    counts = np.full((S, m), 10.0)
    var = (x * 0.03) ** 2
    within, dof = (var / counts, counts - 1) if with_samples else (None, None)
    maybe = screen(x, within, dof, alpha=0.001, min_change_pct=2.0)
    found = 0
    for r in range(S):
        stats = (counts[r], var[r]) if with_samples else None
        cps = change_points(x[r], alpha=0.001, min_change_pct=2.0, sample_stats=stats)
        found += bool(cps)
        if not maybe[r]:
            assert cps == [], r
    assert found > S // 8  # the shortcut was tested on rows that do have change points
    noise_rows = kinds == 0
    assert maybe[noise_rows].mean() < 0.2
