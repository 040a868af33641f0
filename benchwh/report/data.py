"""What a report shows, read from a warehouse in one pass.

Reads (never writes): completed results (flat export rows), their series and per-point
verdicts (``benchwh.regress``), annotations, and the latest compatibility fact per model,
hardware and simulated flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from benchwh.regress import Finding, Series, Settings
from benchwh.warehouse.annotate import Annotation

# Metrics drawn in the hardware comparison and the trends.
CHART_METRICS = ("latency_ms_mean", "throughput_items_per_s")

@dataclass
class ReportData:
    location: str
    results: Any  # polars.DataFrame of completed flat rows
    series: list[Series]
    history: dict[int, list[Finding]]  # id(series) -> judged points after the first (chart metrics)
    latest: list[Finding]
    annotations: list[Annotation]
    compat: Any  # polars.DataFrame (benchwh.warehouse.read.latest_compat_frame)
    failed_results: int = 0
    models: list[str] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=list)  # generic benchmarks (no model), by name

    @property
    def simulated_results(self) -> int:
        return int(self.results["is_simulated"].sum()) if self.results.height else 0


def gather(db, models: Iterable[str] | None = None, settings: Settings = Settings(),
           timeout_s: float | None = None) -> ReportData:
    """Read everything a report shows from warehouse ``db``, for ``models`` (all if None)."""
    import polars as pl

    from benchwh.regress import build_series, judge_history, judge_latest, parse_baseline, select_metrics
    from benchwh.regress.series import load_frame
    from benchwh.warehouse.annotate import read_annotations
    from benchwh.warehouse.open import as_location, open_warehouse
    from benchwh.warehouse.read import flat_frame, latest_compat_frame

    wanted = sorted(set(models)) if models else None
    loc = as_location(db)
    with open_warehouse(loc, read_only=True, timeout_s=timeout_s) as con:
        frame = load_frame(con)
        compat = latest_compat_frame(con)
        annotations = read_annotations(con)
        statuses = flat_frame(con, include_simulated=True, columns=["model_name", "status"])
    if wanted:
        frame = frame.filter(pl.col("model_name").is_in(wanted))
        compat = compat.filter(pl.col("model_name").is_in(wanted))
        statuses = statuses.filter(pl.col("model_name").is_in(wanted))
    failed = statuses.filter(pl.col("status") != "completed").height
    series = build_series(frame, select_metrics(None), annotations)
    history = judge_history([s for s in series if s.metric.name in CHART_METRICS], settings)
    latest = judge_latest(series, settings, parse_baseline("previous"))
    names = sorted(set(frame["model_name"].drop_nulls().to_list())) if frame.height else []
    generic = frame.filter(pl.col("model_name").is_null() & pl.col("benchmark").is_not_null())
    benchmarks = sorted(set(generic["benchmark"].to_list())) if generic.height else []
    return ReportData(location=str(loc), results=frame, series=series, history=history,
                      latest=latest, annotations=annotations, compat=compat,
                      failed_results=failed, models=names, benchmarks=benchmarks)
