"""The report's one seam for change points: where a series' level shifted.

The report marks whatever :func:`change_points` returns on the trend charts (a vertical
marker at ``at`` on that series' chart, with ``note`` in its hover text) and counts them in
the summary. It returns none until a detector is wired in here; the report never guesses.

A detector gets ``data`` (a :class:`benchwh.report.data.ReportData`): ``data.points`` is a
Polars frame with one row per point, sorted by ``key`` then ``measured_at``, holding the
metric columns of :data:`benchwh.report.data.CHART_METRICS`; ``data.keys`` has one row per
series key (its row number is ``key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable


@dataclass(frozen=True)
class ChangePoint:
    key: int  # row of data.keys: the series (model, hardware, configuration, simulated)
    metric: str  # a column of CHART_METRICS, e.g. "latency_ms_mean"
    at: datetime  # measured_at of the first point after the shift
    note: str = ""  # shown on hover, e.g. "+12.0% (PELT)"


def change_points(data) -> Iterable[ChangePoint]:
    """Change points of every series in ``data``; none until a detector is wired in."""
    return ()
