"""Change points in one series: e-divisive means with a significance test (numpy/scipy).

``change_points(values, samples=None, ...) -> list[Change]`` is the whole API the CLI, the
regressions gate and the report use. How it decides:

1. Lone outliers are set aside first: a point that jumps away from both neighbours (same
   direction, both jumps beyond ``outlier_k`` robust noise scales, the neighbours agreeing
   with each other) is no level of its own, so it is left out of every segment. The newest
   point is an outlier by the same rule against the two before it: a single new point is not
   a change until a second one agrees with it.
2. Candidates come from e-divisive means (Matteson & James; the energy statistic
   ``Q = nm/(n+m) * (2 E|X-Y| - E|X-X'| - E|Y-Y'|)``), binary segmentation: the interval is
   split where Q is largest, with at least ``min_size`` points on each side, and each side is
   searched again while the split is significant.
3. Each split is tested with a two-sample t-test on the two segments' point values. Where
   every point carries raw samples (``samples``), each point's own sampling variance
   (var/n of its samples) is a floor under the run-to-run variance, with the samples' degrees
   of freedom when it is the larger: short segments whose few points agree by chance are not
   taken for a level, and noise that is all within-run is tested with the power of all the
   samples. ``tested_on`` says which was used.
4. Merge (as Otava/Hunter do): every change point is re-tested against its two neighbouring
   segments, the weakest one above ``alpha`` or below ``min_change_pct`` is dropped and its
   neighbours re-tested, until all pass; then each is moved to the best split between its
   neighbours. A change point's place and statistics depend on its neighbouring segments
   only, so points appended to the history leave earlier change points where they were.

``cuts`` (indices where an expected change begins: annotations) split the series into parts
analysed apart; a cut is never reported as a change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

MEANS = "means"
SAMPLES = "samples"


@dataclass(frozen=True, slots=True)
class Change:
    """A change point: ``index`` is the first point after the change (into the values given).
    ``before``/``after``: means of the point values of the segments either side (outliers left
    out); ``start``/``end``: the segments' bounds, ``before`` over ``[start, index)`` and
    ``after`` over ``[index, end)``."""

    index: int
    before: float
    after: float
    change_pct: float | None
    p_value: float
    start: int
    end: int
    tested_on: str  # means | samples

    def as_dict(self) -> dict:
        return {"index": self.index, "before": self.before, "after": self.after,
                "change_pct": self.change_pct, "p_value": self.p_value, "start": self.start,
                "end": self.end, "tested_on": self.tested_on}


def _np():
    import numpy as np

    return np


def lone_outliers(values, k: float = 4.0) -> list[int]:
    """Indices of points that are lone outliers (see the module docstring, step 1).

    The noise scale is the median absolute first difference over sqrt(2) / 0.6745 (robust to
    steps and to the outliers themselves)."""
    np = _np()
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 3:
        return []
    d = np.diff(x)
    sigma = float(np.median(np.abs(d))) / (0.6745 * math.sqrt(2.0))
    thr = k * sigma
    out: list[int] = []
    left = x[1:-1] - x[:-2]
    right = x[1:-1] - x[2:]
    nb = np.abs(x[2:] - x[:-2])
    inner = ((np.abs(left) > thr) & (np.abs(right) > thr) & (np.sign(left) == np.sign(right))
             & (nb <= np.minimum(np.abs(left), np.abs(right)) / 2))
    out.extend((np.flatnonzero(inner) + 1).tolist())
    # Ends: one neighbour side only, judged against the two points next to it.
    for i, a, b in ((0, 1, 2), (n - 1, n - 2, n - 3)):
        ja, jb = x[i] - x[a], x[i] - x[b]
        if (abs(ja) > thr and abs(jb) > thr and math.copysign(1, ja) == math.copysign(1, jb)
                and abs(x[a] - x[b]) <= min(abs(ja), abs(jb)) / 2):
            out.append(i)
    return sorted(set(out))


def _energy(z, min_size: int):
    """(best split tau, Q at tau) of ``z`` with at least ``min_size`` points a side, or None."""
    np = _np()
    m = len(z)
    if m < 2 * min_size:
        return None
    D = np.abs(z[:, None] - z[None, :])
    U = np.triu(D, 1)
    rows = np.cumsum(U.sum(axis=1))  # pairs (i, j>i) with i < tau: rows[tau-1]
    cols = np.cumsum(U.sum(axis=0))  # pairs (i<j) with j < tau: cols[tau-1]
    total = rows[-1]
    tau = np.arange(min_size, m - min_size + 1)
    wl = cols[tau - 1]
    r = rows[tau - 1]
    wr = total - r
    between = r - wl
    n1 = tau.astype(float)
    n2 = (m - tau).astype(float)
    q = 2.0 / m * between - 2.0 * n2 / (m * (n1 - 1)) * wl - 2.0 * n1 / (m * (n2 - 1)) * wr
    k = int(np.argmax(q))
    return int(tau[k]), float(q[k])


class _Tester:
    """t-tests of adjacent segments of one part of a series (outliers removed)."""

    def __init__(self, z, within, dof):
        np = _np()
        self.z = z
        self.c1 = np.concatenate([[0.0], np.cumsum(z)])
        self.c2 = np.concatenate([[0.0], np.cumsum(z * z)])
        self.within = None if within is None else np.concatenate([[0.0], np.cumsum(within)])
        self.dof = None if dof is None else np.concatenate([[0.0], np.cumsum(dof)])

    def mean(self, a: int, b: int) -> float:
        return float((self.c1[b] - self.c1[a]) / (b - a))

    def _ss(self, a: int, b: int) -> float:
        s = self.c1[b] - self.c1[a]
        return max(0.0, float(self.c2[b] - self.c2[a] - s * s / (b - a)))

    def test(self, a: int, t: int, b: int) -> tuple[float, float, float]:
        """(p-value, mean before, mean after) of ``z[a:t]`` against ``z[t:b]``."""
        from scipy.special import stdtr

        n1, n2 = t - a, b - t
        m1, m2 = self.mean(a, t), self.mean(t, b)
        df = n1 + n2 - 2
        var = (self._ss(a, t) + self._ss(t, b)) / df if df > 0 else math.inf
        if self.within is not None:
            w = float(self.within[b] - self.within[a]) / (b - a)
            if w > var:
                var, df = w, float(self.dof[b] - self.dof[a])
        diff = m2 - m1
        if var == 0:
            return (0.0 if diff != 0 else 1.0), m1, m2
        tstat = diff / math.sqrt(var * (1.0 / n1 + 1.0 / n2))
        return float(2.0 * stdtr(df, -abs(tstat))), m1, m2


def _excursion(tester: "_Tester", a: int, b: int, min_size: int) -> tuple[int, int] | None:
    """The ``(t1, t2)`` whose middle ``[t1, t2)`` differs most (t statistic of its mean against
    the rest of ``[a, b)``), at least ``min_size`` points in each of the three pieces."""
    np = _np()
    m = b - a
    if m < 3 * min_size:
        return None
    c1 = tester.c1[a:b + 1] - tester.c1[a]
    c2 = tester.c2[a:b + 1] - tester.c2[a]
    t1 = np.arange(a + min_size, b - 2 * min_size + 1)[:, None] - a
    t2 = np.arange(a + 2 * min_size, b - min_size + 1)[None, :] - a
    ok = t2 - t1 >= min_size
    n_in = np.maximum(t2 - t1, 1)
    n_out = m - n_in
    s_in = c1[t2] - c1[t1]
    q_in = c2[t2] - c2[t1]
    s_out = c1[m] - s_in
    q_out = c2[m] - q_in
    ss = np.maximum(q_in - s_in ** 2 / n_in, 0) + np.maximum(q_out - s_out ** 2 / n_out, 0)
    var = ss / (m - 2)
    diff = s_in / n_in - s_out / n_out
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.abs(diff) / np.sqrt(var * (1.0 / n_in + 1.0 / n_out))
    score = np.where(ok & np.isfinite(score), score, -1.0)
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    if score[i, j] < 0:
        return None
    return int(t1[i, 0] + a), int(t2[0, j] + a)


def _pct(before: float, after: float) -> float | None:
    return None if before == 0 else (after - before) / abs(before) * 100.0


def _passes(p: float, m1: float, m2: float, alpha: float, min_change_pct: float) -> bool:
    ch = _pct(m1, m2)
    big = abs(ch) >= min_change_pct if ch is not None else m1 != m2
    return p <= alpha and big


def _part(z, tester: _Tester, alpha: float, min_change_pct: float, min_size: int) -> list[int]:
    """Change points (indices into ``z``) of one part."""
    n = len(z)
    found: list[int] = []
    todo = [(0, n)]
    while todo:
        a, b = todo.pop()
        best = _energy(z[a:b], min_size)
        if best is None:
            continue
        t = a + best[0]
        p, m1, m2 = tester.test(a, t, b)
        if _passes(p, m1, m2, alpha, min_change_pct):
            found.append(t)
            todo += [(a, t), (t, b)]
            continue
        # One split cannot see a change that is undone later in the interval (a regression
        # then its fix): look for the strongest such excursion and keep both of its ends.
        pair = _excursion(tester, a, b, min_size)
        if pair is not None:
            # Chosen among ~m^2/2 pairs instead of m splits: a stricter level for the extra
            # freedom of choice.
            t1, t2 = pair
            if all(_passes(*r, alpha / (b - a), min_change_pct)
                   for r in (tester.test(a, t1, t2), tester.test(t1, t2, b))):
                found += [t1, t2]
                todo += [(a, t1), (t1, t2), (t2, b)]
    cps = sorted(found)
    # Merge: drop the weakest failing change point, re-test its neighbours, until all pass.
    while cps:
        bounds = [0, *cps, n]
        tests = [tester.test(bounds[i], bounds[i + 1], bounds[i + 2]) for i in range(len(cps))]
        failing = [(r[0], i) for i, r in enumerate(tests) if not _passes(*r, alpha, min_change_pct)]
        if not failing:
            break
        cps.pop(max(failing)[1])
    # Refine: each change point at the best split between its neighbours (left to right).
    for i in range(len(cps)):
        a = cps[i - 1] if i else 0
        b = cps[i + 1] if i + 1 < len(cps) else n
        best = _energy(z[a:b], min_size)
        if best is not None:
            t = a + best[0]
            if _passes(*tester.test(a, t, b), alpha, min_change_pct):
                cps[i] = t
    return cps


def change_points(values: Sequence[float], samples: Sequence[Sequence[float] | None] | None = None, *,
                  alpha: float = 0.001, min_change_pct: float = 0.0, min_size: int = 2,
                  cuts: Sequence[int] = (), outlier_k: float = 4.0,
                  sample_stats: tuple[Sequence[int], Sequence[float]] | None = None) -> list[Change]:
    """Change points of the series ``values`` (one value per point, in time order).

    ``samples``: each point's raw samples (or None); used for the test when every point of a
    part has at least 2 (else the part is tested on the values alone). ``sample_stats``:
    ``(counts, variances)`` per point instead of ``samples`` (what the warehouse reader
    computes in SQL; a count below 2 means none). ``alpha``: the p-value at or below which a
    split is significant. ``min_change_pct``: smaller changes are not reported. ``min_size``:
    fewest points (outliers excluded) on each side of a change. ``cuts``: indices where a part
    begins (expected changes). Returns the changes in index order; indices count every point,
    outliers included."""
    np = _np()
    x = np.asarray(values, dtype=float)
    if min_size < 2:
        raise ValueError("min_size must be 2 or more")
    counts = var = None
    if sample_stats is not None:
        counts = np.asarray(sample_stats[0], dtype=float)
        var = np.asarray(sample_stats[1], dtype=float)
    elif samples is not None:
        counts = np.array([len(s) if s is not None else 0 for s in samples], dtype=float)
        var = np.array([float(np.var(s, ddof=1)) if s is not None and len(s) >= 2 else math.nan
                        for s in samples])
    edges = sorted({0, len(x), *(c for c in cuts if 0 < c < len(x))})
    out: list[Change] = []
    for lo, hi in zip(edges, edges[1:]):
        part = x[lo:hi]
        drop = set(lone_outliers(part, outlier_k))
        keep = np.array([i for i in range(len(part)) if i not in drop], dtype=int)
        z = part[keep]
        within = dof = None
        tested_on = MEANS
        if counts is not None and len(keep):
            c, v = counts[lo:hi][keep], var[lo:hi][keep]
            if bool(np.all(c >= 2)) and bool(np.all(np.isfinite(v))):
                within, dof, tested_on = v / c, c - 1, SAMPLES
        tester = _Tester(z, within, dof)
        cps = _part(z, tester, alpha, min_change_pct, min_size)
        bounds = [0, *cps, len(z)]
        for i, t in enumerate(cps):
            p, m1, m2 = tester.test(bounds[i], t, bounds[i + 2])
            orig = lambda j: lo + int(keep[j]) if j < len(keep) else hi  # noqa: E731
            out.append(Change(orig(t), m1, m2, _pct(m1, m2), p, orig(bounds[i]), orig(bounds[i + 2]),
                              tested_on))
    return out


def screen(values, within=None, dof=None, *, alpha: float = 0.001, min_change_pct: float = 0.0,
           min_size: int = 2, outlier_k: float = 4.0):
    """For many series of one length at once (``values``: 2-D, one series a row; ``within`` /
    ``dof``: per-point sampling variance and degrees of freedom, rows without samples NaN):
    False where ``change_points`` of that row (without cuts) is certainly empty, True where it
    must be run. Vectorised across rows: the same first split, excursion and tests as
    ``change_points`` at its first level, with a hair of slack so that rounding can only
    send a row to the full analysis, never keep one from it; rows with a lone outlier are
    always True."""
    np = _np()
    from scipy.special import stdtr

    x = np.asarray(values, dtype=float)
    S, m = x.shape
    out = np.ones(S, dtype=bool)
    if m < 2 * min_size:
        return ~out
    a_lim, c_lim = alpha * (1 + 1e-6), min_change_pct * (1 - 1e-6)
    # Rows with a lone outlier go to the full analysis.
    d = np.diff(x, axis=1)
    sigma = np.median(np.abs(d), axis=1, keepdims=True) / (0.6745 * math.sqrt(2.0))
    thr = outlier_k * sigma * (1 - 1e-9)
    left, right = x[:, 1:-1] - x[:, :-2], x[:, 1:-1] - x[:, 2:]
    nb = np.abs(x[:, 2:] - x[:, :-2])
    lone = ((np.abs(left) > thr) & (np.abs(right) > thr) & (np.sign(left) == np.sign(right))
            & (nb <= np.minimum(np.abs(left), np.abs(right)) / 2 * (1 + 1e-9))).any(axis=1)
    if m >= 3:
        for i, a, b in ((0, 1, 2), (m - 1, m - 2, m - 3)):
            ja, jb = x[:, i] - x[:, a], x[:, i] - x[:, b]
            lone |= ((np.abs(ja) > thr[:, 0]) & (np.abs(jb) > thr[:, 0]) & (np.sign(ja) == np.sign(jb))
                     & (np.abs(x[:, a] - x[:, b]) <= np.minimum(np.abs(ja), np.abs(jb)) / 2 * (1 + 1e-9)))
    has_w = within is not None
    if has_w:
        w = np.asarray(within, dtype=float)
        use = np.all(np.isfinite(w), axis=1)
        w = np.where(use[:, None], w, 0.0)
        f = np.where(use[:, None], np.asarray(dof, dtype=float), 0.0)
        cw = np.concatenate([np.zeros((S, 1)), np.cumsum(w, axis=1)], axis=1)
        cf = np.concatenate([np.zeros((S, 1)), np.cumsum(f, axis=1)], axis=1)
    c1 = np.concatenate([np.zeros((S, 1)), np.cumsum(x, axis=1)], axis=1)
    c2 = np.concatenate([np.zeros((S, 1)), np.cumsum(x * x, axis=1)], axis=1)
    rows = np.arange(S)

    def test(a, t, b, a_lim=a_lim, c1=c1, c2=c2, cw=cw if has_w else None, cf=cf if has_w else None,
             rows=rows):
        """Does [a, t) differ from [t, b) significantly enough, per row (index arrays)?"""
        n1, n2 = (t - a).astype(float), (b - t).astype(float)
        s1 = c1[rows, t] - c1[rows, a]
        s2 = c1[rows, b] - c1[rows, t]
        m1, m2 = s1 / n1, s2 / n2
        ss = (np.maximum(c2[rows, t] - c2[rows, a] - s1 * s1 / n1, 0)
              + np.maximum(c2[rows, b] - c2[rows, t] - s2 * s2 / n2, 0))
        df = n1 + n2 - 2
        var = ss / df
        if has_w:
            wm = (cw[rows, b] - cw[rows, a]) / (b - a)
            big = wm > var
            var = np.where(big, wm, var)
            df = np.where(big, cf[rows, b] - cf[rows, a], df)
        diff = m2 - m1
        with np.errstate(divide="ignore", invalid="ignore"):
            tstat = diff / np.sqrt(var * (1.0 / n1 + 1.0 / n2))
            p = np.where(var == 0, np.where(diff != 0, 0.0, 1.0), 2.0 * stdtr(df, -np.abs(tstat)))
            pct = np.where(m1 != 0, np.abs(diff) / np.abs(m1) * 100.0, np.inf)
        size_ok = np.where(m1 != 0, pct >= c_lim, m1 != m2)
        return (p <= a_lim) & size_ok

    # First split: the energy statistic's best tau, per row.
    D = np.abs(x[:, :, None] - x[:, None, :])
    U = np.triu(D, 1)  # on the last two axes: each row's own matrix
    r = np.cumsum(U.sum(axis=2), axis=1)
    cs = np.cumsum(U.sum(axis=1), axis=1)
    total = r[:, -1:]
    tau = np.arange(min_size, m - min_size + 1)
    wl, rr = cs[:, tau - 1], r[:, tau - 1]
    wr, between = total - rr, rr - wl
    n1, n2 = tau.astype(float), (m - tau).astype(float)
    q = 2.0 / m * between - 2.0 * n2 / (m * (n1 - 1)) * wl - 2.0 * n1 / (m * (n2 - 1)) * wr
    best = tau[np.argmax(q, axis=1)]
    zero, end = np.zeros(S, dtype=int), np.full(S, m)
    maybe = test(zero, best, end)
    # Excursion: the strongest middle segment against the rest, for the rows still undecided.
    rest = np.flatnonzero(~maybe & ~lone)
    if m >= 3 * min_size and len(rest):
        c1, c2, rows = c1[rest], c2[rest], np.arange(len(rest))
        if has_w:
            cw, cf = cw[rest], cf[rest]
        R = len(rest)
        t1 = np.arange(min_size, m - 2 * min_size + 1)[:, None]
        t2 = np.arange(2 * min_size, m - min_size + 1)[None, :]
        ok = t2 - t1 >= min_size
        n_in = np.maximum(t2 - t1, 1)
        n_out = m - n_in
        s_in = c1[:, t2] - c1[:, t1]
        q_in = c2[:, t2] - c2[:, t1]
        s_out = c1[:, m][:, None, None] - s_in
        q_out = c2[:, m][:, None, None] - q_in
        ss = np.maximum(q_in - s_in ** 2 / n_in, 0) + np.maximum(q_out - s_out ** 2 / n_out, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.abs(s_in / n_in - s_out / n_out) / np.sqrt(ss / (m - 2) * (1.0 / n_in + 1.0 / n_out))
        score = np.where(ok & np.isfinite(score), score, -1.0).reshape(R, -1)
        k = np.argmax(score, axis=1)
        valid = score[rows, k] >= 0
        i, j = np.unravel_index(k, (t1.shape[0], t2.shape[1]))
        e1, e2 = t1[i, 0], t2[0, j]
        zero, end = np.zeros(R, dtype=int), np.full(R, m)
        strict = alpha / m * (1 + 1e-6)  # as in _part: the excursion's stricter level
        maybe[rest] = valid & test(zero, e1, e2, strict, c1, c2, cw if has_w else None,
                                   cf if has_w else None, rows)
        maybe[rest] &= test(e1, e2, end, strict, c1, c2, cw if has_w else None, cf if has_w else None, rows)
    return maybe | lone
