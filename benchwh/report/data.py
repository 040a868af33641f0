"""What a report shows, read from a warehouse once and turned into columns.

Reads (never writes): completed results (``benchwh.warehouse.report_read``), the raw samples
of each series' newest points, annotations and the latest compatibility fact per model,
hardware and simulated flag. Every series (one model, hardware type and device,
configuration and simulated flag: ``benchwh.regress.SERIES_KEY``) is kept: nothing is capped.

The newest point of every series is judged against the one before it, exactly as
``benchwh regressions`` does by default (Mann-Whitney U on raw samples where they allow it,
else the threshold); only the two newest points of each series are turned into Python
objects, so this stays fast at hundreds of thousands of results.

Change points come from one seam, :func:`benchwh.report.changepoints.change_points`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from benchwh.regress import SERIES_KEY, Finding, Settings
from benchwh.records import Annotation

# Metrics the report charts: column, title, unit, lower is better.
CHART_METRICS = (
    ("latency_ms_mean", "mean latency", "ms", True),
    ("throughput_items_per_s", "throughput", "items/s", False),
    ("throughput_tokens_per_s", "throughput", "tokens/s", False),
    ("memory_peak_mb", "peak memory", "MiB", True),
)


@dataclass
class ReportData:
    location: str
    points: Any  # polars.DataFrame: one row per point, sorted by key then time, with "key"
    keys: Any  # polars.DataFrame: one row per series key (SERIES_KEY), row index = key id
    latest: list[Finding]
    annotations: list[Annotation]
    compat: Any  # polars.DataFrame (benchwh.warehouse.read.latest_compat_frame)
    samples: dict[int, Any]  # key id -> raw latency samples of its newest point (array)
    change_points: list = field(default_factory=list)  # benchwh.report.changepoints.ChangePoint
    failed_results: int = 0
    models: list[str] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=list)  # generic benchmarks (no model), by name

    @property
    def results(self) -> int:
        return self.points.height

    @property
    def simulated_results(self) -> int:
        return int(self.points["is_simulated"].sum()) if self.points.height else 0

    def key_index(self) -> dict[tuple, int]:
        return {tuple(r): i for i, r in enumerate(self.keys.select(SERIES_KEY).iter_rows())}


def _latest_two(points, metrics: Iterable[str]):
    """Rows that are one of the two newest points (distinct times) of their series for some
    metric: all that judging each series' newest point needs."""
    import polars as pl

    ids = []
    for m in metrics:
        sub = points.filter(pl.col(m).is_not_null() & pl.col(m).is_not_nan())
        rank = pl.col("measured_at").rank("dense", descending=True).over("key")
        ids.append(sub.filter(rank <= 2)["result_id"])
    return pl.concat(ids).unique() if ids else pl.Series("result_id", [], pl.String)


def _series(frame, metrics, annotations) -> list:
    """``benchwh.regress.build_series`` for rows already carrying their series ``key`` and
    sorted by key then time: the same Series and Points, one pass over plain lists."""
    from benchwh.regress import Point, Series

    out = []
    if frame.height == 0:
        return out
    frame = frame.sort(["key", "measured_at", "result_id"])
    cols = {c: frame[c].to_list() for c in frame.columns}
    keycol, n = cols["key"], frame.height
    start = 0
    while start < n:
        end = start
        while end < n and keycol[end] == keycol[start]:
            end += 1
        key = {c: cols[c][start] for c in SERIES_KEY}
        for metric in metrics:
            values = cols[metric.name]
            by_time: dict = {}
            for i in range(start, end):
                v = values[i]
                if v is None or v != v:
                    continue
                t = cols["measured_at"][i]
                raw = cols["latency_samples_ms"][i] if metric.rank_test_on_samples else None
                smp = [x for x in raw if x is not None and x == x] if raw else None
                pt = Point(cols["result_id"][i], cols["run_id"][i], cols["git_commit"][i], t, float(v), smp or None)
                have = by_time.get(t)
                if have is None or (have.samples is None and pt.samples is not None):
                    by_time[t] = pt
            if by_time:
                resets = sorted({a.effective_at for a in annotations if a.matches(key, metric.name, metric.family)})
                out.append(Series(key=key, metric=metric,
                                  points=sorted(by_time.values(), key=lambda p: (p.measured_at, p.result_id)),
                                  resets=resets))
        start = end
    return out


def gather(db, models: Iterable[str] | None = None, settings: Settings = Settings(),
           timeout_s: float | None = None, progress: Callable[[str], None] | None = None,
           change_points: Callable | None = None) -> ReportData:
    """Read everything a report shows from warehouse ``db``, for ``models`` (all if None).
    ``progress`` gets one line per step; ``change_points`` (default
    :func:`benchwh.report.changepoints.change_points`) gets the points frame."""
    import polars as pl

    from benchwh.regress import judge_latest, parse_baseline, select_metrics
    from benchwh.regress.series import POINT_COLUMNS as SERIES_POINT_COLUMNS
    from benchwh.report.changepoints import change_points as default_change_points
    from benchwh.warehouse.annotate import read_annotations
    from benchwh.warehouse.open import as_location, open_warehouse
    from benchwh.warehouse.read import latest_compat_frame
    from benchwh.warehouse.report_read import failed_count, report_points, samples_of

    say = progress or (lambda _msg: None)
    wanted = sorted(set(models)) if models else None
    loc = as_location(db)
    judged = select_metrics(None)
    with open_warehouse(loc, read_only=True, timeout_s=timeout_s) as con:
        say("reading results")
        points = report_points(con, wanted)
        compat = latest_compat_frame(con)
        annotations = read_annotations(con)
        failed = failed_count(con, wanted)
        keys = points.select(SERIES_KEY).unique().sort(list(SERIES_KEY), nulls_last=False)
        keys = keys.with_row_index("key")
        points = points.join(keys, on=list(SERIES_KEY), how="left", nulls_equal=True)
        # One point per series and time (a file embedded in another reaches one measurement
        # twice): the one with samples, as the regression series keep it.
        points = (points.sort(["key", "measured_at", "n_samples", "result_id"], descending=[False, False, True, False])
                  .unique(["key", "measured_at"], keep="first", maintain_order=True))
        say(f"{points.height:,} results in {keys.height:,} series; judging each series' newest point")
        two = _latest_two(points, [m.name for m in judged])
        newest = points.group_by("key").agg(pl.col("result_id").last(), pl.col("n_samples").last())
        need = pl.concat([two, newest.filter(pl.col("n_samples") > 0)["result_id"]]).unique()
        samples = samples_of(con, need.to_list()) if need.len() else None
    if wanted:
        compat = compat.filter(pl.col("model_name").is_in(wanted))
    small = points.filter(pl.col("result_id").is_in(two.implode()))
    if samples is not None and small.height:
        small = small.join(samples, on="result_id", how="left")
    else:
        small = small.with_columns(pl.lit(None, pl.List(pl.Float64)).alias("latency_samples_ms"))
    small = small.select(list(dict.fromkeys(["key", *SERIES_KEY, *SERIES_POINT_COLUMNS, *(m.name for m in judged)])))
    series = _series(small, judged, annotations)
    latest = judge_latest(series, settings, parse_baseline("previous"))
    sample_map: dict[int, Any] = {}
    if samples is not None:
        flat = (newest.filter(pl.col("n_samples") > 0).join(samples, on="result_id")
                .select("key", pl.col("latency_samples_ms").alias("s")).explode("s")
                .filter(pl.col("s").is_not_null() & pl.col("s").is_not_nan()).sort("key", maintain_order=True))
        for (k,), part in flat.group_by(["key"], maintain_order=True):
            sample_map[int(k)] = part["s"].to_numpy()
    keys = keys.drop("key")
    names = sorted(set(keys["model_name"].to_list())) if keys.height else []
    data = ReportData(location=str(loc), points=points, keys=keys, latest=latest,
                      annotations=annotations, compat=compat, samples=sample_map,
                      failed_results=failed, models=names)
    data.change_points = list((change_points or default_change_points)(data))
    return data


def for_model(data: ReportData, model: str, failed_results: int,
              change_points: Callable | None = None) -> ReportData:
    """The part of ``data`` (read for every model) that one model's page shows, as
    :func:`gather` would read it for that model alone: its series (renumbered from 0), their
    points, samples and judged newest points, its compatibility facts, and its change points
    (computed here, for this model only). ``failed_results``: its failed results."""
    import polars as pl

    from benchwh.report.changepoints import change_points as default_change_points

    keys = data.keys.with_row_index("key")
    mine = keys.filter(pl.col("model_name") == model)
    old = mine["key"].to_list()
    renumber = {k: i for i, k in enumerate(old)}
    mapping = pl.DataFrame({"key": old, "new": list(range(len(old)))},
                           schema={"key": keys["key"].dtype, "new": data.points["key"].dtype})
    points = (data.points.join(mapping, on="key", how="inner", maintain_order="left")
              .with_columns(pl.col("new").alias("key")).drop("new"))
    sliced = ReportData(location=data.location, points=points, keys=mine.drop("key"),
                        latest=[f for f in data.latest if f.series.key["model_name"] == model],
                        annotations=data.annotations,
                        compat=data.compat.filter(pl.col("model_name") == model),
                        samples={renumber[k]: v for k, v in data.samples.items() if k in renumber},
                        failed_results=failed_results, models=[model] if old else [])
    sliced.change_points = list((change_points or default_change_points)(sliced))
    return sliced
