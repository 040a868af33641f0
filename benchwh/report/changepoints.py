"""The report's one seam for change points: where a series' level shifted.

The report marks whatever :func:`change_points` returns on the trend charts (a vertical
marker at ``at`` on that series' chart, with ``note`` in its hover text) and counts them in
the summary. The detector is ``benchwh changes``' own (:mod:`benchwh.regress.changepoint`:
e-divisive means with a significance test, lone outliers set aside), run on each series'
point values; the report never guesses.

A detector gets ``data`` (a :class:`benchwh.report.data.ReportData`): ``data.points`` is a
Polars frame with one row per point, sorted by ``key`` then ``measured_at``, holding the
metric columns of :data:`benchwh.report.data.CHART_METRICS`; ``data.keys`` has one row per
series key (its row number is ``key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

# The same defaults as `benchwh changes`: p <= ALPHA, and changes under MIN_CHANGE_PCT ignored.
ALPHA = 0.001
MIN_CHANGE_PCT = 2.0
MIN_POINTS = 4  # two on each side of a change


@dataclass(frozen=True)
class ChangePoint:
    key: int  # row of data.keys: the series (model, hardware, configuration, simulated)
    metric: str  # a column of CHART_METRICS, e.g. "latency_ms_mean"
    at: datetime  # measured_at of the first point after the shift
    note: str = ""  # shown on hover, e.g. "+12.0% (e-divisive, p=0.0002)"


def change_points(data) -> Iterable[ChangePoint]:
    """Change points of every series in ``data``, per chart metric, on the point values."""
    return list(_detect(data))


def _detect(data) -> Iterator[ChangePoint]:
    import numpy as np
    import polars as pl

    from benchwh.regress.changepoint import change_points as detect, screen
    from benchwh.report.data import CHART_METRICS

    points = data.points
    if points is None or not points.height:
        return
    metrics = [m[0] for m in CHART_METRICS if m[0] in points.columns]
    counts = points.group_by("key").len().filter(pl.col("len") >= MIN_POINTS)
    if not counts.height:
        return
    long = points.join(counts.select("key"), on="key").sort(["key", "measured_at"], maintain_order=True)
    todo = []  # (key, metric, times of the valued points, values)
    for (key,), part in long.group_by(["key"], maintain_order=True):
        times = part["measured_at"].to_list()
        for metric in metrics:
            col = part[metric]
            ok = col.is_not_null() & col.is_not_nan()
            if int(ok.sum()) < MIN_POINTS:
                continue
            todo.append((int(key), metric, [t for t, v in zip(times, ok.to_list()) if v], col.filter(ok).to_list()))
    # Series of one length are screened together (``screen`` never rules out one that holds
    # a change point); only the rest go through the detector one by one, as `benchwh changes`.
    by_len: dict[int, list[int]] = {}
    for i, (_, _, _, values) in enumerate(todo):
        by_len.setdefault(len(values), []).append(i)
    keep = np.ones(len(todo), dtype=bool)
    for ln, members in by_len.items():
        step = max(1, 2_000_000 // (ln * ln))
        for lo in range(0, len(members), step):
            chunk = members[lo:lo + step]
            keep[chunk] = screen(np.array([todo[i][3] for i in chunk], dtype=float), alpha=ALPHA,
                                 min_change_pct=MIN_CHANGE_PCT)
    for i in np.flatnonzero(keep).tolist():
        key, metric, times, values = todo[i]
        for ch in detect(values, alpha=ALPHA, min_change_pct=MIN_CHANGE_PCT):
            pct = "" if ch.change_pct is None else f"{ch.change_pct:+.1f}% "
            yield ChangePoint(key, metric, times[ch.index], f"{pct}(e-divisive on point values, p={ch.p_value:.2g})")
