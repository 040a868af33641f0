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
    import polars as pl

    from benchwh.regress.changepoint import change_points as detect
    from benchwh.report.data import CHART_METRICS

    points = data.points
    if points is None or not points.height:
        return
    metrics = [m[0] for m in CHART_METRICS if m[0] in points.columns]
    counts = points.group_by("key").len().filter(pl.col("len") >= MIN_POINTS)
    if not counts.height:
        return
    long = points.join(counts.select("key"), on="key").sort(["key", "measured_at"], maintain_order=True)
    for (key,), part in long.group_by(["key"], maintain_order=True):
        times = part["measured_at"].to_list()
        for metric in metrics:
            col = part[metric]
            ok = col.is_not_null() & col.is_not_nan()
            if int(ok.sum()) < MIN_POINTS:
                continue
            idx = [i for i, v in enumerate(ok.to_list()) if v]
            values = col.filter(ok).to_list()
            for ch in detect(values, alpha=ALPHA, min_change_pct=MIN_CHANGE_PCT):
                pct = "" if ch.change_pct is None else f"{ch.change_pct:+.1f}% "
                yield ChangePoint(int(key), metric, times[idx[ch.index]],
                                  f"{pct}(e-divisive on point values, p={ch.p_value:.2g})")
