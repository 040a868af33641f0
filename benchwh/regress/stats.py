"""The three ways to judge one comparison, each returning a ``Judgement``.

- threshold: the relative change of the metric against the threshold, in the metric's worse
  direction.
- mwu: Mann-Whitney U (scipy.stats.mannwhitneyu, two-sided) on the raw samples of the
  baseline and current results, *and* the threshold: a change must be both significant
  (p < alpha) and large enough to matter.
- zscore: the current value against the mean and standard deviation of a rolling window of
  earlier points, *and* the threshold against the window mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchwh.regress.metrics import Metric

REGRESSION = "regression"
IMPROVEMENT = "improvement"
UNCHANGED = "unchanged"
NO_BASELINE = "no-baseline"
INSUFFICIENT = "insufficient-data"
VERDICTS = (REGRESSION, IMPROVEMENT, UNCHANGED, NO_BASELINE, INSUFFICIENT)


@dataclass(slots=True)
class Judgement:
    method: str  # the method actually applied
    verdict: str | None  # None only while a rank test is pending inside judge_many
    baseline: float | None = None  # the value compared against (window mean for zscore)
    change_pct: float | None = None
    p_value: float | None = None
    z: float | None = None
    reason: str | None = None


def change_pct(baseline: float, current: float) -> float | None:
    """Relative change in percent; None when the baseline is zero (no scale to compare on)."""
    if baseline == 0:
        return None
    return (current - baseline) / abs(baseline) * 100.0


def direction(metric: Metric, change: float, threshold_pct: float) -> str:
    """Regression / improvement / unchanged for a change of ``change`` percent."""
    if abs(change) <= threshold_pct:
        return UNCHANGED
    worse = change > 0 if metric.lower_is_better else change < 0
    return REGRESSION if worse else IMPROVEMENT


def by_threshold(metric: Metric, baseline: float, current: float, threshold_pct: float) -> Judgement:
    ch = change_pct(baseline, current)
    if ch is None:
        return Judgement("threshold", INSUFFICIENT, baseline, reason="baseline value is 0")
    return Judgement("threshold", direction(metric, ch, threshold_pct), baseline, ch)


def min_attainable_p(n: int, m: int) -> float:
    """Smallest two-sided p-value the exact Mann-Whitney U test can give for sample sizes
    ``n`` and ``m`` (all of one sample below all of the other): 2 / C(n+m, n)."""
    return min(1.0, 2.0 / math.comb(n + m, n))


def mwu_applicable(base: list[float] | None, cur: list[float] | None, alpha: float,
                   min_samples: int) -> str | None:
    """None when the rank test can decide at ``alpha``; else the reason it cannot."""
    n, m = len(base or ()), len(cur or ())
    if n < min_samples or m < min_samples:
        return f"raw samples: {n} baseline, {m} current (need {min_samples} each)"
    if min_attainable_p(n, m) >= alpha:
        return f"{n} vs {m} samples cannot reach p < {alpha:g}"
    return None


def mwu_pvalues(pairs: list[tuple[list[float], list[float]]]) -> list[float]:
    """Two-sided p-value of ``scipy.stats.mannwhitneyu(current, baseline)`` for each
    ``(current, baseline)`` pair. scipy's ``auto`` method is the normal approximation (tie and
    continuity corrected) when both samples hold more than 8 values or the pair has ties, and
    the exact distribution otherwise; the approximation is computed here with numpy over all
    pairs of one size at once (scipy is imported only for the exact cases), so each p-value
    equals that of a scipy call on the pair alone."""
    import numpy as np

    groups: dict[tuple[int, int], list[int]] = {}
    for i, (x, y) in enumerate(pairs):
        groups.setdefault((len(x), len(y)), []).append(i)
    out = [math.nan] * len(pairs)
    for (n1, n2), idx in groups.items():
        xs = np.array([pairs[i][0] for i in idx], dtype=float).reshape(len(idx), n1)
        ys = np.array([pairs[i][1] for i in idx], dtype=float).reshape(len(idx), n2)
        u1, tie_term = _mwu_u_and_ties(xs, ys)
        asym = (tie_term > 0) | (n1 > 8 and n2 > 8)
        if asym.any():
            pv = _mwu_asymptotic(u1[asym], n1, n2, tie_term[asym])
            for i, p in zip(np.asarray(idx)[asym], pv):
                out[i] = float(p)
        if not asym.all():
            from scipy.stats import mannwhitneyu

            exact = ~asym
            pv = np.atleast_1d(mannwhitneyu(xs[exact], ys[exact], alternative="two-sided", axis=1,
                                            method="exact").pvalue)
            for i, p in zip(np.asarray(idx)[exact], pv):
                out[i] = float(p)
    return out


def _mwu_u_and_ties(xs, ys, rows: int = 4096):
    """Per row of ``xs`` (n1 values) and ``ys`` (n2 values): U of ``xs`` (pairs x > y, ties
    counting one half) and the tie term sum(t**3 - t) over the tied groups of both together."""
    import numpy as np

    k, n1 = xs.shape
    u1 = np.empty(k)
    for lo in range(0, k, rows):  # bounded memory: rows x n1 x n2 comparisons at a time
        x, y = xs[lo:lo + rows, :, None], ys[lo:lo + rows, None, :]
        u1[lo:lo + rows] = (x > y).sum(axis=(1, 2)) + 0.5 * (x == y).sum(axis=(1, 2))
    both = np.sort(np.concatenate([xs, ys], axis=1), axis=1)
    n = both.shape[1]
    # Tied groups: runs of equal values in each sorted row; t = each run's length.
    starts = np.ones_like(both, dtype=bool)
    starts[:, 1:] = both[:, 1:] != both[:, :-1]
    group = np.cumsum(starts, axis=1) - 1
    counts = np.zeros((k, n))
    np.add.at(counts, (np.repeat(np.arange(k), n), group.ravel()), 1.0)
    tie_term = (counts ** 3 - counts).sum(axis=1)
    return u1, tie_term


def _mwu_asymptotic(u1, n1: int, n2: int, tie_term):
    """scipy's asymptotic two-sided p-value (``_get_mwu_z`` with continuity correction)."""
    import numpy as np

    u = np.maximum(u1, n1 * n2 - u1)
    n = n1 + n2
    s = np.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (u - n1 * n2 / 2 - 0.5) / s
    # 2 * P(Z > z) = erfc(z / sqrt 2)
    p = np.array([math.erfc(v / math.sqrt(2)) for v in z.tolist()])
    return np.clip(p, 0.0, 1.0)


def by_mwu(metric: Metric, baseline: float, current: float, p: float, threshold_pct: float,
           alpha: float) -> Judgement:
    """Significant (``p`` < alpha, from ``mwu_pvalues``) and beyond the threshold in the
    worse/better direction. The change is that of the metric values; the test is on the
    row's latency samples."""
    ch = change_pct(baseline, current)
    if ch is None:
        return Judgement("mwu", INSUFFICIENT, baseline, None, p, reason="baseline value is 0")
    verdict = direction(metric, ch, threshold_pct) if p < alpha else UNCHANGED
    return Judgement("mwu", verdict, baseline, ch, p)


def by_zscore(metric: Metric, window: list[float], current: float, threshold_pct: float,
              z_limit: float) -> Judgement:
    """``current`` against the window's mean and sample standard deviation; a flat window
    (std 0) has no z and is judged by the threshold alone."""
    n = len(window)
    mean = sum(window) / n
    var = sum((x - mean) ** 2 for x in window) / (n - 1)
    std = math.sqrt(var)
    ch = change_pct(mean, current)
    if ch is None:
        return Judgement("zscore", INSUFFICIENT, mean, reason="baseline mean is 0")
    if std == 0:
        j = by_threshold(metric, mean, current, threshold_pct)
        j.reason = f"window of {n} identical values: no z, threshold only"
        return j
    z = (current - mean) / std
    verdict = direction(metric, ch, threshold_pct) if abs(z) >= z_limit else UNCHANGED
    return Judgement("zscore", verdict, mean, ch, None, z)
