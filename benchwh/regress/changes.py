"""Every change point in every series' history (``benchwh changes``), and the change-point gate
of ``benchwh regressions --method changepoint``.

Series are those of ``benchwh regressions`` (``SERIES_KEY``: simulated never mixed with
measured); their points are read in SQL (``benchwh.warehouse.series_read``) and each series is
analysed by ``benchwh.regress.changepoint.change_points``. Annotations cut a series: a change
at an annotated time is expected and is not reported, and no segment spans an annotation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator

from benchwh.errors import QueryError
from benchwh.regress import stats
from benchwh.regress.changepoint import MEANS, Change, change_points, screen
from benchwh.regress.metrics import METRICS, Metric
from benchwh.regress.series import SERIES_KEY, Point, Series

# Metrics whose value's sampling error follows from the row's latency samples: the mean
# directly (var/n), items/s as batch/latency (the same relative error). Percentiles and the
# rest are tested on the point values alone.
SAMPLE_TESTED = ("latency_ms_mean", "throughput_items_per_s")


@dataclass(frozen=True, slots=True)
class ChangeSettings:
    alpha: float = 0.001
    min_change_pct: float = 2.0
    min_size: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise QueryError(f"--alpha must be between 0 and 1, not {self.alpha}")
        if not self.min_change_pct >= 0:
            raise QueryError(f"--min-change must be 0% or more, not {self.min_change_pct}")
        if self.min_size < 2:
            raise QueryError(f"--min-size must be 2 or more, not {self.min_size}")


@dataclass(slots=True)
class SeriesChanges:
    """One series' points (as arrays) and its change points."""

    key: dict[str, Any]
    metric: Metric
    rows: Any  # the series' slice of the points frame
    changes: list[Change]
    cuts: list[int]

    def verdict(self, c: Change) -> str:
        if c.change_pct is None:
            return stats.REGRESSION if (c.after > c.before) == self.metric.lower_is_better else stats.IMPROVEMENT
        worse = c.change_pct > 0 if self.metric.lower_is_better else c.change_pct < 0
        return stats.REGRESSION if worse else stats.IMPROVEMENT

    def label(self) -> str:
        return Series(self.key, self.metric, []).label

    def point(self, i: int, value: float | None = None) -> Point:
        r = self.rows.row(i, named=True)
        return Point(r["result_id"], r["run_id"], r["git_commit"], r["measured_at"],
                     r["value"] if value is None else value, None)

    def change_dict(self, c: Change) -> dict[str, Any]:
        """The JSON/CSV row of change ``c``: the series' identifying fields, the first point
        after the change (time, result, run, commit), the segment means either side, the
        signed percent change, the p-value, the verdict and what the test ran on."""
        p = self.rows.row(c.index, named=True)
        key = {k: v for k, v in self.key.items()}
        return {"series": self.label(), **key, "metric": self.metric.name,
                "direction": self.metric.direction, "measured_at": p["measured_at"],
                "result_id": p["result_id"], "run_id": p["run_id"], "git_commit": p["git_commit"],
                "before": c.before, "after": c.after, "change_pct": c.change_pct,
                "p_value": c.p_value, "verdict": self.verdict(c), "tested_on": c.tested_on,
                "points_before": c.index - c.start, "points_after": c.end - c.index}


def _cuts(times: list[datetime], key: dict[str, Any], metric: Metric, annotations) -> list[int]:
    import bisect

    resets = sorted({a.effective_at for a in annotations if a.matches(key, metric.name, metric.family)})
    return sorted({bisect.bisect_left(times, t) for t in resets})


def analyse(frame, annotations: Iterable = (), settings: ChangeSettings = ChangeSettings(),
            key: tuple[str, ...] = SERIES_KEY) -> Iterator[SeriesChanges]:
    """Change points of every series in ``frame`` (``series_points`` rows, in series order)."""
    import numpy as np
    import polars as pl

    annotations = list(annotations)
    if frame.height == 0:
        return
    gid = frame.select(pl.struct(["metric", *key]).rle_id().alias("g"))["g"].to_numpy()
    starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
    ends = np.r_[starts[1:], frame.height]
    values = frame["value"].to_numpy()
    n = frame["n_samples"].fill_null(0).to_numpy()
    mean = frame["samples_mean"].to_numpy()
    var = frame["samples_var"].to_numpy()
    firsts = frame[starts.tolist()].select(["metric", *key]).to_dicts()
    metrics = [METRICS[f.pop("metric")] for f in firsts]
    lengths = (ends - starts).tolist()
    cuts = [_cuts(frame["measured_at"].slice(s, e - s).to_list(), first, metric, annotations)
            if annotations else [] for s, e, first, metric in zip(starts.tolist(), ends.tolist(), firsts, metrics)]

    def stats_of(s: int, e: int, metric: Metric):
        if metric.name not in SAMPLE_TESTED:
            return None
        v = values[s:e]
        with np.errstate(divide="ignore", invalid="ignore"):
            # The samples' relative variance carried over to the value (delta method).
            rel = np.where(n[s:e] >= 2, var[s:e] / (mean[s:e] ** 2) * (v ** 2), np.nan)
        return n[s:e], rel

    # Series of one length without cuts are screened together; only those that may hold a
    # change point are analysed one by one (``screen`` never drops one that holds any).
    todo = np.ones(len(firsts), dtype=bool)
    groups: dict[tuple[int, bool], list[int]] = {}
    for g, (ln, c, metric) in enumerate(zip(lengths, cuts, metrics)):
        if not c and ln >= 2 * settings.min_size:
            groups.setdefault((ln, metric.name in SAMPLE_TESTED), []).append(g)
    for (ln, sampled), members in groups.items():
        for lo in range(0, len(members), max(1, 2_000_000 // (ln * ln))):
            chunk = members[lo:lo + max(1, 2_000_000 // (ln * ln))]
            idx = starts[chunk][:, None] + np.arange(ln)[None, :]
            within = dof = None
            if sampled:
                v = values[idx]
                with np.errstate(divide="ignore", invalid="ignore"):
                    rel = np.where(n[idx] >= 2, var[idx] / (mean[idx] ** 2) * (v ** 2), np.nan)
                within, dof = rel / n[idx], n[idx] - 1.0
            todo[chunk] = screen(values[idx], within, dof, alpha=settings.alpha,
                                 min_change_pct=settings.min_change_pct, min_size=settings.min_size)
    for g, (s, e, first, metric) in enumerate(zip(starts.tolist(), ends.tolist(), firsts, metrics)):
        rows = frame.slice(s, e - s)
        found: list[Change] = []
        if todo[g]:
            found = change_points(values[s:e], alpha=settings.alpha, min_change_pct=settings.min_change_pct,
                                  min_size=settings.min_size, cuts=cuts[g], sample_stats=stats_of(s, e, metric))
        yield SeriesChanges(first, metric, rows, found, cuts[g])


@dataclass
class ChangesReport:
    settings: ChangeSettings
    series: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    # One entry per series analysed: {"series": label, "metric", "points", "changes": [...]}.
    per_series: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {stats.REGRESSION: 0, stats.IMPROVEMENT: 0}
        for c in self.changes:
            out[c["verdict"]] += 1
        return out

    def tested_on(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c["tested_on"]] = out.get(c["tested_on"], 0) + 1
        return out


def load_points(con, metrics: list[Metric], model: str | None = None, hardware: str | None = None,
                since: Any = None, benchmark: str | None = None, params=()):
    from benchwh.warehouse.read import Filters
    from benchwh.warehouse.series_read import series_points

    filters = Filters(model=model, hardware=hardware, since=since, include_simulated=True,
                      benchmark=benchmark, params=tuple(params or ()))
    return series_points(con, SERIES_KEY, [m.name for m in metrics], filters,
                         sample_metrics=[m.name for m in metrics if m.rank_test_on_samples])


def find_changes(db, settings: ChangeSettings = ChangeSettings(), metrics: Iterable[str] | None = None,
                 model: str | None = None, hardware: str | None = None, since: Any = None,
                 benchmark: str | None = None, timeout_s: float | None = None) -> ChangesReport:
    """Open the warehouse ``db`` read-only and find every change point of every selected
    series (``metrics``: metric or family names, defaults if empty; ``since``: only points
    measured from then on). Changes come ordered by series, then time."""
    from benchwh.regress.metrics import select_metrics
    from benchwh.warehouse.annotate import read_annotations
    from benchwh.warehouse.open import open_warehouse

    chosen = select_metrics(metrics)
    with open_warehouse(db, read_only=True, timeout_s=timeout_s) as con:
        frame = load_points(con, chosen, model, hardware, since, benchmark)
        annotations = read_annotations(con)
    report = ChangesReport(settings)
    for sc in analyse(frame, annotations, settings):
        report.series += 1
        rows = [sc.change_dict(c) for c in sc.changes]
        report.changes.extend(rows)
        report.per_series.append({"series": sc.label(), "metric": sc.metric.name,
                                  "points": sc.rows.height, "changes": rows})
    return report


def judge_changepoint(sc: SeriesChanges, settings: ChangeSettings):
    """The gate's finding for one series: its latest segment against the one before it (no
    annotation between them). ``unchanged`` when the latest segment has no change point at
    its start; ``insufficient-data`` when the series is too short to hold two segments."""
    from benchwh.regress.detect import Finding

    n = sc.rows.height
    latest = sc.point(n - 1)
    series = Series(sc.key, sc.metric, [])
    start = sc.cuts[-1] if sc.cuts else 0
    last = sc.changes[-1] if sc.changes and sc.changes[-1].index >= start else None
    if last is None:
        if n - start < 2 * settings.min_size:
            j = stats.Judgement("changepoint", stats.INSUFFICIENT,
                                reason=f"{n - start} points since the series (or its last annotation) "
                                       f"began; a change needs {settings.min_size} on each side")
            return Finding(series, latest, None, j)
        j = stats.Judgement("changepoint", stats.UNCHANGED,
                            reason=f"no change point in {n - start} points (p <= {settings.alpha:g}, "
                                   f">= {settings.min_change_pct:g}%)")
        return Finding(series, latest, None, j)
    j = stats.Judgement("changepoint", sc.verdict(last), last.before, last.change_pct, last.p_value,
                        reason=f"latest {last.end - last.index} points (from {sc.rows['measured_at'][last.index]}) "
                               f"against the {last.index - last.start} before, tested on {last.tested_on}")
    cur = sc.point(n - 1, last.after)
    return Finding(series, cur, sc.point(last.index - 1), j)


def changepoint_findings(con, metrics: list[Metric], annotations, settings: ChangeSettings,
                         model: str | None = None, hardware: str | None = None,
                         benchmark: str | None = None, params=()) -> list:
    frame = load_points(con, metrics, model, hardware, benchmark=benchmark, params=params)
    return [judge_changepoint(sc, settings) for sc in analyse(frame, annotations, settings)]


__all__ = ["ChangeSettings", "ChangesReport", "SeriesChanges", "analyse", "find_changes",
           "judge_changepoint", "changepoint_findings", "MEANS", "SAMPLE_TESTED"]
