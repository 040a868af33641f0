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
    """Per chart metric, each series' valid point values; series of one length are screened
    together (``benchwh.regress.changepoint.screen``, as ``benchwh changes`` does) and only
    those that may hold a change are analysed one by one. Yields in key, metric, time order."""
    import numpy as np
    import polars as pl

    from benchwh.regress.changepoint import change_points as detect, screen
    from benchwh.report.data import CHART_METRICS

    points = data.points
    if points is None or not points.height:
        return
    metrics = [m[0] for m in CHART_METRICS if m[0] in points.columns]
    long = points.sort(["key", "measured_at"], maintain_order=True)
    keys = long["key"].to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    times = long["measured_at"]
    found: list[tuple[int, int, int, ChangePoint]] = []
    for mpos, metric in enumerate(metrics):
        col = long[metric].cast(pl.Float64)
        ok = (col.is_not_null() & col.is_not_nan()).to_numpy()
        vals = col.fill_null(float("nan")).to_numpy()
        by_len: dict[int, list[np.ndarray]] = {}
        for s, e in zip(starts.tolist(), ends.tolist()):
            idx = s + np.flatnonzero(ok[s:e])
            if len(idx) >= MIN_POINTS:
                by_len.setdefault(len(idx), []).append(idx)
        for ln, members in by_len.items():
            step = max(1, 2_000_000 // (ln * ln))
            for lo in range(0, len(members), step):
                chunk = members[lo:lo + step]
                flagged = screen(vals[np.stack(chunk)], alpha=ALPHA, min_change_pct=MIN_CHANGE_PCT)
                for idx in (c for c, f in zip(chunk, flagged) if f):
                    for ch in detect(vals[idx], alpha=ALPHA, min_change_pct=MIN_CHANGE_PCT):
                        pct = "" if ch.change_pct is None else f"{ch.change_pct:+.1f}% "
                        at = int(idx[ch.index])
                        found.append((int(keys[at]), mpos, at, ChangePoint(
                            int(keys[at]), metric, times[at],
                            f"{pct}(e-divisive on point values, p={ch.p_value:.2g})")))
    found.sort(key=lambda t: t[:3])
    yield from (t[3] for t in found)
