"""Regression detection over result series: pick a baseline, judge, report findings.

The current point of a series is its latest. The baseline is chosen by ``--baseline``:
``previous`` (the point before the current one), a date (the latest point at or before it;
a bare date means the end of that day), a run id (the series' point from that run) or a git
commit (the series' latest point from a run at that commit). A baseline is never taken from
before an annotation that lies between it and the current point: such a series is reported
``no-baseline`` until it has a new point after the annotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from benchwh.errors import QueryError
from benchwh.regress import stats
from benchwh.regress.series import Point, Series

METHODS = ("auto", "threshold", "mwu", "zscore", "changepoint")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


@dataclass(frozen=True, slots=True)
class Settings:
    """How to judge. ``auto`` = Mann-Whitney U where both results carry enough raw samples
    to reach ``alpha``, else the threshold alone. ``min_samples``: raw samples needed on each
    side for the rank test, and earlier points needed in the window for the z-score."""

    method: str = "auto"
    threshold_pct: float = 5.0
    alpha: float = 0.002
    min_samples: int = 5
    window: int = 10
    z: float = 3.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise QueryError(f"unknown method {self.method!r}: use one of {', '.join(METHODS)}")
        if not self.threshold_pct >= 0:
            raise QueryError(f"threshold must be 0% or more, not {self.threshold_pct}")
        if not 0 < self.alpha < 1:
            raise QueryError(f"p-value limit must be between 0 and 1, not {self.alpha}")
        if self.min_samples < 2:
            raise QueryError(f"--min-samples must be 2 or more, not {self.min_samples}")
        if self.window < 2:
            raise QueryError(f"--window must be 2 or more, not {self.window}")


@dataclass(frozen=True, slots=True)
class Baseline:
    kind: str  # previous | date | run | commit
    value: Any = None

    def __str__(self) -> str:
        return self.kind if self.kind == "previous" or self.value is None else f"{self.kind} {self.value}"


def parse_baseline(spec: str | None, run_ids: Iterable[str] = (), commits: Iterable[str | None] = ()) -> Baseline:
    """``previous`` | ``YYYY-MM-DD[ HH:MM[:SS]]`` | a run id | a git commit (prefixes of 6+
    characters accepted; ``run:``/``commit:``/``date:`` force the reading). ``run_ids`` and
    ``commits`` are those of the rows being judged, to tell a run id from a commit."""
    s = (spec or "previous").strip()
    forced, _, rest = s.partition(":")
    if forced in ("run", "commit", "date") and rest:
        kind, s = forced, rest.strip()
    else:
        kind = None
    if kind is None and s == "previous":
        return Baseline("previous")
    if kind == "date" or (kind is None and _DATE_RE.match(s)):
        from benchwh.normalize import iso_time

        t = iso_time(s)
        if t is None:
            raise QueryError(f"--baseline {spec!r}: not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")
        if len(s) == 10:  # a bare date: everything measured that day is before the cut
            t = t + timedelta(days=1) - timedelta(microseconds=1)
        return Baseline("date", t)
    runs = sorted({r for r in run_ids if r and r.startswith(s)}) if len(s) >= 6 or kind else []
    shas = sorted({c for c in commits if c and c.startswith(s)}) if len(s) >= 6 or kind else []
    if kind == "run" or (kind is None and runs and not shas):
        if len(runs) != 1:
            raise QueryError(f"--baseline {spec!r}: {len(runs)} runs match among the selected results: "
                             "give more characters of the run id")
        return Baseline("run", runs[0])
    if kind == "commit" or (kind is None and shas and not runs):
        if not shas:
            raise QueryError(f"--baseline {spec!r}: no selected result comes from a run at that commit")
        return Baseline("commit", s)
    if runs and shas:
        raise QueryError(f"--baseline {spec!r} matches a run id and a commit: write run:{s} or commit:{s}")
    raise QueryError(f"--baseline {spec!r}: no run id or git commit among the selected results starts "
                     "with it; use `previous`, a date (YYYY-MM-DD), a run id or a commit")


def baseline_index(series: Series, current: int, base: Baseline) -> int | None:
    """Index of the baseline point for point ``current``, or None."""
    if base.kind == "previous":
        return current - 1 if current >= 1 else None
    pts = series.points[:current]
    if base.kind == "date":
        idx = [i for i, p in enumerate(pts) if p.measured_at <= base.value]
    elif base.kind == "run":
        idx = [i for i, p in enumerate(pts) if p.run_id == base.value]
    else:
        idx = [i for i, p in enumerate(pts) if p.git_commit and p.git_commit.startswith(base.value)]
    return idx[-1] if idx else None


@dataclass(slots=True)
class Finding:
    series: Series
    current: Point
    baseline_point: Point | None
    judgement: stats.Judgement
    window: int | None = None  # zscore: points in the window

    @property
    def verdict(self) -> str:
        return self.judgement.verdict

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON/CSV output: the series key, the comparison and the verdict."""
        j, b = self.judgement, self.baseline_point
        d: dict[str, Any] = {"series": self.series.label, **self.series.key,
                             "metric": self.series.metric.name,
                             "direction": self.series.metric.direction}
        d.update({
            "method": j.method, "baseline": j.baseline,
            "baseline_at": b.measured_at if b else None, "baseline_run": b.run_id if b else None,
            "current": self.current.value, "current_at": self.current.measured_at,
            "current_run": self.current.run_id, "change_pct": j.change_pct, "p_value": j.p_value,
            "z": j.z, "window": self.window, "verdict": j.verdict, "reason": j.reason,
        })
        return d


def _prepare(series: Series, current: int, settings: Settings, base: Baseline) -> Finding:
    """The finding for point ``current``; a rank-test finding is left with verdict None
    for ``judge_many`` to complete once its p-value is known."""
    cur = series.points[current]
    b = baseline_index(series, current, base)
    start = series.segment_start(current)
    if b is None or b < start:
        if b is not None:
            why = "an annotated expected change lies between baseline and current"
        elif base.kind == "previous":
            why = "no earlier point"
        else:
            why = f"no point for baseline {base}"
        return Finding(series, cur, None, stats.Judgement(settings.method, stats.NO_BASELINE, reason=why))
    bp = series.points[b]
    m, s = series.metric, settings
    if s.method == "zscore":
        lo = max(start, b - s.window + 1)
        window = [p.value for p in series.points[lo:b + 1]]
        if len(window) < s.min_samples:
            j = stats.Judgement("zscore", stats.INSUFFICIENT,
                                reason=f"{len(window)} points in the window (need {s.min_samples})")
        else:
            j = stats.by_zscore(m, window, cur.value, s.threshold_pct, s.z)
        return Finding(series, cur, bp, j, window=len(window))
    if s.method in ("mwu", "auto"):
        why_not = stats.mwu_applicable(bp.samples, cur.samples, s.alpha, s.min_samples) \
            if m.rank_test_on_samples else f"{m.name} has no raw samples"
        if why_not is None:
            return Finding(series, cur, bp, stats.Judgement("mwu", None))  # type: ignore[arg-type]
        if s.method == "mwu":
            return Finding(series, cur, bp, stats.Judgement("mwu", stats.INSUFFICIENT, bp.value, reason=why_not))
        j = stats.by_threshold(m, bp.value, cur.value, s.threshold_pct)
        j.reason = j.reason or f"threshold only: no rank test ({why_not})"
        return Finding(series, cur, bp, j)
    return Finding(series, cur, bp, stats.by_threshold(m, bp.value, cur.value, s.threshold_pct))


def judge_many(items: Iterable[tuple[Series, int, Baseline]], settings: Settings) -> list[Finding]:
    """Judge point ``i`` of each ``(series, i, baseline)``. Rank tests run in batches (one
    scipy call per sample-size group), each pair of results once even when several metrics
    share its samples."""
    findings = [_prepare(s, i, settings, b) for s, i, b in items]
    pending = [f for f in findings if f.judgement.verdict is None]
    keys = list(dict.fromkeys((f.baseline_point.result_id, f.current.result_id) for f in pending))
    if keys:
        pairs = {(f.baseline_point.result_id, f.current.result_id): (f.current.samples, f.baseline_point.samples)
                 for f in pending}
        pvals = dict(zip(keys, stats.mwu_pvalues([pairs[k] for k in keys])))
        for f in pending:
            p = pvals[(f.baseline_point.result_id, f.current.result_id)]
            f.judgement = stats.by_mwu(f.series.metric, f.baseline_point.value, f.current.value, p,
                                       settings.threshold_pct, settings.alpha)
    return findings


def judge(series: Series, current: int, settings: Settings, base: Baseline = Baseline("previous")) -> Finding:
    """Compare point ``current`` of ``series`` with its baseline under ``settings``."""
    return judge_many([(series, current, base)], settings)[0]


def judge_latest(series_list: Iterable[Series], settings: Settings, base: Baseline) -> list[Finding]:
    """One finding per series: its latest point against its baseline."""
    return judge_many(((s, len(s.points) - 1, base) for s in series_list), settings)


def judge_history(series_list: Iterable[Series], settings: Settings) -> dict[int, list[Finding]]:
    """For each series (keyed by ``id(series)``), every point after the first judged
    against the point before it, for trend charts that mark where a series regressed."""
    series_list = list(series_list)
    prev = Baseline("previous")
    found = judge_many(((s, i, prev) for s in series_list for i in range(1, len(s.points))), settings)
    out: dict[int, list[Finding]] = {id(s): [] for s in series_list}
    for f in found:
        out[id(f.series)].append(f)
    return out


@dataclass
class RegressionReport:
    settings: Settings
    baseline: Baseline
    findings: list[Finding] = field(default_factory=list)

    @property
    def regressions(self) -> list[Finding]:
        return [f for f in self.findings if f.verdict == stats.REGRESSION]

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in stats.VERDICTS}
        for f in self.findings:
            out[f.verdict] += 1
        return out


def find_regressions(db, settings: Settings = Settings(), baseline: str | None = "previous",
                     metrics: Iterable[str] | None = None, model: str | None = None,
                     hardware: str | None = None, timeout_s: float | None = None,
                     benchmark: str | None = None, params=()) -> RegressionReport:
    """Open the warehouse ``db`` read-only, build the series of the selected results
    (``model``/``hardware``/``benchmark``/``params`` narrow; ``metrics`` are metric or family names, defaults if
    empty) and judge each series' latest point. Findings are sorted worst verdict first."""
    from benchwh.regress.metrics import select_metrics
    from benchwh.regress.series import build_series, load_frame
    from benchwh.warehouse.annotate import read_annotations
    from benchwh.warehouse.open import open_warehouse

    chosen = select_metrics(metrics)
    if settings.method == "changepoint":
        return _changepoint_report(db, settings, chosen, model, hardware, timeout_s, benchmark, params)
    if (baseline or "previous").strip() == "previous":
        return _previous_report(db, settings, chosen, model, hardware, timeout_s, benchmark, params)
    with open_warehouse(db, read_only=True, timeout_s=timeout_s) as con:
        frame = load_frame(con, model=model, hardware=hardware, benchmark=benchmark, params=params)
        annotations = read_annotations(con)
    base = parse_baseline(baseline, frame["run_id"].to_list() if frame.height else (),
                          frame["git_commit"].to_list() if frame.height else ())
    series = build_series(frame, chosen, annotations)
    findings = judge_latest(series, settings, base)
    order = {v: i for i, v in enumerate(stats.VERDICTS)}
    findings.sort(key=lambda f: (order[f.verdict], f.series.label))
    return RegressionReport(settings, base, findings)


def _sorted(findings: list[Finding]) -> list[Finding]:
    order = {v: i for i, v in enumerate(stats.VERDICTS)}
    return sorted(findings, key=lambda f: (order[f.verdict], f.series.label))


def _previous_report(db, settings: Settings, metrics, model, hardware, timeout_s,
                     benchmark=None, params=()) -> RegressionReport:
    """``--baseline previous``: only the newest points of each series are read (two; the
    z-score window and one more for ``zscore``), chosen in SQL; rank tests batched."""
    from benchwh.regress.series import newest_series
    from benchwh.warehouse.annotate import read_annotations
    from benchwh.warehouse.open import open_warehouse

    k = settings.window + 1 if settings.method == "zscore" else 2
    with open_warehouse(db, read_only=True, timeout_s=timeout_s) as con:
        annotations = read_annotations(con)
        series = newest_series(con, metrics, annotations, k=k, model=model, hardware=hardware,
                               benchmark=benchmark, params=params)
    base = Baseline("previous")
    return RegressionReport(settings, base, _sorted(judge_latest(series, settings, base)))


def _changepoint_report(db, settings: Settings, metrics, model, hardware, timeout_s,
                        benchmark=None, params=()) -> RegressionReport:
    """``--method changepoint``: each series' latest segment against the previous one
    (``benchwh.regress.changes.judge_changepoint``); ``threshold_pct`` is the smallest change
    reported, ``alpha`` the significance level of the change-point test."""
    from benchwh.regress.changes import ChangeSettings, changepoint_findings
    from benchwh.warehouse.annotate import read_annotations
    from benchwh.warehouse.open import open_warehouse

    cs = ChangeSettings(alpha=settings.alpha, min_change_pct=settings.threshold_pct)
    with open_warehouse(db, read_only=True, timeout_s=timeout_s) as con:
        annotations = read_annotations(con)
        findings = changepoint_findings(con, metrics, annotations, cs, model=model, hardware=hardware,
                                        benchmark=benchmark, params=params)
    return RegressionReport(settings, Baseline("previous segment"), _sorted(findings))
