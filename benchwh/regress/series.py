"""Result series: the points of one metric for one like-for-like configuration, in time order.

Like with like: a series is one model (or one generic benchmark: its name and parameters) on one
hardware type and device, in one configuration
(mode, scenario, batch size, sequence length, input shape, precision), measured or simulated
(never both). Only completed results with a value and a measurement time are points.
Annotations (``benchwh annotate``) cut a series into segments: a baseline is only ever taken
from the segment of the point it is compared with.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from benchwh.regress.metrics import Metric
from benchwh.records import Annotation

SERIES_KEY = ("model_name", "benchmark", "benchmark_params", "hardware_type", "device_name", "mode",
              "scenario", "batch_size", "sequence_length", "input_shape", "precision", "is_simulated")

# Flat columns a point needs besides the key and the metric columns.
POINT_COLUMNS = ("result_id", "run_id", "git_commit", "measured_at", "latency_samples_ms")


@dataclass(slots=True)
class Point:
    result_id: str
    run_id: str
    git_commit: str | None
    measured_at: datetime
    value: float
    samples: list[float] | None  # the row's raw latency samples, ms


@dataclass(slots=True)
class Series:
    key: dict[str, Any]
    metric: Metric
    points: list[Point]
    resets: list[datetime] = field(default_factory=list)  # annotation times, ascending

    @property
    def label(self) -> str:
        """One line naming the series: model (or benchmark[params]) | hardware[/device] |
        config | metric."""
        k = self.key
        hw = k["hardware_type"] + (f"/{k['device_name']}" if k.get("device_name") else "")
        cfg = [f"{name}={k[col]}" for col, name in (
            ("mode", "mode"), ("scenario", "scenario"), ("batch_size", "batch"),
            ("sequence_length", "seq"), ("input_shape", "shape"), ("precision", "precision"),
        ) if k.get(col) is not None]
        sim = " [simulated]" if k.get("is_simulated") else ""
        return f"{subject(k)} | {hw} | {' '.join(cfg) or '-'} | {self.metric.name}{sim}"

    def segment_start(self, i: int) -> int:
        """Index of the first point in the segment holding point ``i``: the first point at
        or after the latest annotation time not after point ``i``'s time."""
        t = self.points[i].measured_at
        k = bisect.bisect_right(self.resets, t)
        if k == 0:
            return 0
        # Points are in time order (build_series sorts them).
        return bisect.bisect_left(self.points, self.resets[k - 1], key=lambda p: p.measured_at)


def subject(key: dict[str, Any]) -> str:
    """What a series (or flat row) measures: the model, else ``benchmark[k=v, ...]``."""
    name = key.get("model_name")
    if name is not None or key.get("benchmark") is None:
        return str(name)
    params = key.get("benchmark_params")
    if not params:
        return key["benchmark"]
    import json

    items = ", ".join(f"{k}={v}" for k, v in json.loads(params).items())
    return f"{key['benchmark']}[{items}]"


def load_frame(con, model: str | None = None, hardware: str | None = None,
               benchmark: str | None = None, params=()):
    """Completed, timed results (flat export rows, measured and simulated: the series key
    keeps them apart) as a Polars frame, oldest first. Reads only; ``hardware`` may be any
    known spelling."""
    import polars as pl

    from benchwh.regress.metrics import METRICS
    from benchwh.warehouse.read import flat_frame

    cols = list(dict.fromkeys([*SERIES_KEY, *POINT_COLUMNS, "status", *METRICS]))
    frame = flat_frame(con, model=model, hardware=hardware, include_simulated=True, columns=cols,
                       benchmark=benchmark, params=params)
    return frame.filter((pl.col("status") == "completed") & pl.col("measured_at").is_not_null())


def build_series(frame, metrics: Iterable[Metric], annotations: Iterable[Annotation] = ()) -> list[Series]:
    """Group flat rows (``load_frame``) into series, one per key and metric with at least
    one value. Rows of one series at the same ``measured_at`` are one measurement reached
    twice (a file embedded in another): the first with samples is kept."""
    metrics = list(metrics)
    annotations = list(annotations)
    out: list[Series] = []
    if frame.height == 0:
        return out
    frame = frame.sort(["measured_at", "result_id"])
    for part in frame.partition_by(list(SERIES_KEY), maintain_order=True):
        key = {c: part[c][0] for c in SERIES_KEY}
        cols = {c: part[c].to_list() for c in POINT_COLUMNS}
        for metric in metrics:
            values = part[metric.name].to_list()
            by_time: dict[datetime, Point] = {}
            for i, v in enumerate(values):
                if v is None or v != v:  # NaN is no measurement
                    continue
                t = cols["measured_at"][i]
                raw = cols["latency_samples_ms"][i] if metric.rank_test_on_samples else None
                samples = [x for x in raw if x is not None and x == x] if raw else None
                pt = Point(cols["result_id"][i], cols["run_id"][i], cols["git_commit"][i], t,
                           float(v), samples or None)
                have = by_time.get(t)
                if have is None or (have.samples is None and pt.samples is not None):
                    by_time[t] = pt
            if not by_time:
                continue
            points = sorted(by_time.values(), key=lambda p: (p.measured_at, p.result_id))
            resets = sorted({a.effective_at for a in annotations
                             if a.matches(key, metric.name, metric.family)})
            out.append(Series(key=key, metric=metric, points=points, resets=resets))
    return out


def newest_series(con, metrics: Iterable[Metric], annotations: Iterable[Annotation] = (), k: int = 2,
                  model: str | None = None, hardware: str | None = None, benchmark: str | None = None,
                  params=()) -> list[Series]:
    """The series of the selected results, each holding only its newest ``k`` points (chosen
    in SQL: ``benchwh.warehouse.series_read.newest_points``), the same points and samples
    ``build_series`` gives for those places. Enough to judge the latest point against the
    previous one (``k`` = 2) or a z-score window (``k`` = window + 1): annotations still cut
    the series where they fall among those points."""
    from benchwh.warehouse.read import Filters
    from benchwh.warehouse.series_read import newest_points

    metrics = list(metrics)
    annotations = list(annotations)
    by_name = {m.name: m for m in metrics}
    frame = newest_points(con, SERIES_KEY, [m.name for m in metrics], k=k,
                          filters=Filters(model=model, hardware=hardware, include_simulated=True,
                                          benchmark=benchmark, params=tuple(params or ())),
                          sample_metrics=[m.name for m in metrics if m.rank_test_on_samples])
    out: list[Series] = []
    if frame.height == 0:
        return out
    cols = {c: frame[c].to_list() for c in (*SERIES_KEY, "metric", *POINT_COLUMNS[:4], "value", "samples")}
    current: Series | None = None
    last_key = None
    for i in range(frame.height):
        ident = (cols["metric"][i], *(cols[c][i] for c in SERIES_KEY))
        if ident != last_key:
            metric = by_name[cols["metric"][i]]
            key = {c: cols[c][i] for c in SERIES_KEY}
            resets = sorted({a.effective_at for a in annotations if a.matches(key, metric.name, metric.family)})
            current = Series(key=key, metric=metric, points=[], resets=resets)
            out.append(current)
            last_key = ident
        raw = cols["samples"][i] if current.metric.rank_test_on_samples else None
        current.points.append(Point(cols["result_id"][i], cols["run_id"][i], cols["git_commit"][i],
                                    cols["measured_at"][i], float(cols["value"][i]), raw or None))
    return out
