"""Regression detection: direction-aware, like-for-like comparisons of result series.

``find_regressions(db, Settings(...), baseline=...)`` is what ``benchwh regressions`` runs;
``build_series`` and ``judge_history`` are what the report's trend charts use;
``change_points(values, samples=None, ...)`` marks a series' change points (``benchwh changes``
runs ``find_changes``).
"""

from benchwh.regress.changepoint import Change, change_points, lone_outliers
from benchwh.regress.changes import ChangeSettings, ChangesReport, find_changes
from benchwh.regress.detect import (
    METHODS, Baseline, Finding, RegressionReport, Settings, find_regressions, judge, judge_history,
    judge_latest, judge_many, parse_baseline,
)
from benchwh.regress.metrics import DEFAULT_METRICS, FAMILIES, METRICS, Metric, check_metric, select_metrics
from benchwh.regress.series import SERIES_KEY, Point, Series, build_series, load_frame
from benchwh.regress.stats import (
    IMPROVEMENT, INSUFFICIENT, NO_BASELINE, REGRESSION, UNCHANGED, VERDICTS, Judgement,
)

__all__ = [
    "Change", "change_points", "lone_outliers", "ChangeSettings", "ChangesReport", "find_changes",
    "METHODS", "Baseline", "Finding", "RegressionReport", "Settings", "find_regressions", "judge",
    "judge_history", "judge_latest", "judge_many", "parse_baseline", "DEFAULT_METRICS", "FAMILIES", "METRICS",
    "Metric", "check_metric", "select_metrics", "SERIES_KEY", "Point", "Series", "build_series",
    "load_frame", "IMPROVEMENT", "INSUFFICIENT", "NO_BASELINE", "REGRESSION", "UNCHANGED",
    "VERDICTS", "Judgement",
]
