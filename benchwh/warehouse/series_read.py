"""Series points for change detection and regression gates, chosen in SQL.

``series_points`` returns one row per (metric, series, measurement time) in series order, with
each point's raw-sample statistics computed inside DuckDB (count, mean, sample variance of
``latency_samples_ms``): no Python object per point or per sample. ``newest_points`` returns
only the newest ``k`` points of every series (what a latest-versus-previous gate needs).

The series key columns are passed in by the caller (``benchwh.regress.series.SERIES_KEY``, the
one place that defines them) and checked against the flat contract's column names; values are
always parameters.
"""

from __future__ import annotations

from typing import Any, Sequence

from benchwh.errors import QueryError
from benchwh.warehouse.flat import CONTRACT_COLUMNS, FLAT_SELECT
from benchwh.warehouse.read import Filters, read_frame

# Columns every point row carries besides the key (first point after a change is named by them).
POINT_COLUMNS = ("result_id", "run_id", "git_commit", "measured_at")


def _check(names: Sequence[str], what: str) -> None:
    bad = [n for n in names if n not in CONTRACT_COLUMNS]
    if bad:
        raise QueryError(f"unknown {what} column(s) {', '.join(bad)}; the flat table has: "
                         + ", ".join(CONTRACT_COLUMNS))


def _point_where(key: Sequence[str], metrics: Sequence[str], sample_metrics: Sequence[str], filters: Filters,
                 benchmark: str | None) -> tuple[list[str], list[Any]]:
    """The checked names' shared conditions: completed results with a time, ``filters``, and
    the generic benchmark's name when one is asked for."""
    _check(key, "series key")
    _check(metrics, "metric")
    _check(sample_metrics, "metric")
    if not metrics:
        raise QueryError("no metric to read")
    where, params = filters.where("flat")
    where = ["flat.status = 'completed'", "flat.measured_at IS NOT NULL", *where]
    if benchmark is not None:
        if "benchmark" not in CONTRACT_COLUMNS:
            raise QueryError("benchmark: this warehouse's results carry no generic benchmark names", option="benchmark")
        where.append("flat.benchmark = ?")
        params.append(benchmark)
    return where, params


def _points_sql(key: Sequence[str], metrics: Sequence[str], filters: Filters,
                benchmark: str | None, sample_metrics: Sequence[str] = (),
                stats: bool = True) -> tuple[str, list[Any]]:
    """One row per (metric, key, measured_at): the key, ``metric``, ``measured_at`` and ``p``,
    a struct of the chosen row's point columns, ``value`` and sample statistics."""
    where, params = _point_where(key, metrics, sample_metrics, filters, benchmark)
    keys = ", ".join(key)
    mcols = ", ".join(f"CAST({m} AS DOUBLE) AS {m}" for m in metrics)
    clean = "list_filter(latency_samples_ms, x -> x IS NOT NULL AND NOT isnan(x))"
    extra = ["n_samples"]
    cols = f"coalesce(len({clean}), 0) AS n_samples"
    if stats:
        cols += f", list_avg({clean}) AS samples_mean, list_var_samp({clean}) AS samples_var"
        extra += ["samples_mean", "samples_var"]
    base = (f"SELECT {keys}, {', '.join(POINT_COLUMNS)}, {mcols}, {cols} "
            f"FROM ({FLAT_SELECT}) flat WHERE {' AND '.join(where)}")
    payload = ", ".join(f"{c} := {c}" for c in (*POINT_COLUMNS[:3], "value", *extra))
    # Rows of one series at one time are one measurement reached twice (a file embedded in
    # another): the first by result id is kept; for metrics judged on samples, the first with
    # samples. One hash aggregation (no sort).
    if sample_metrics:
        marks = ", ".join("?" * len(sample_metrics))
        pref = f"struct_pack(s := NOT (metric IN ({marks}) AND n_samples > 0), r := result_id)"
        params += list(sample_metrics)
    else:
        pref = "result_id"
    # UNPIVOT leaves out NULL values: a point is a measured value.
    sql = (f"WITH base AS ({base}), "
           f"long AS (UNPIVOT base ON {', '.join(metrics)} INTO NAME metric VALUE value) "
           f"SELECT metric, {keys}, measured_at, arg_min(struct_pack({payload}), {pref}) AS p "
           f"FROM long WHERE NOT isnan(value) GROUP BY ALL")
    return sql, params


def _order(key: Sequence[str], rid: str = "result_id") -> str:
    return ", ".join(["metric", *(f"{k} NULLS FIRST" for k in key), "measured_at", rid])


def series_points(con, key: Sequence[str], metrics: Sequence[str], filters: Filters | None = None,
                  benchmark: str | None = None, sample_metrics: Sequence[str] = ()):
    """Every point of every series (completed results with a time and a value) as a Polars
    frame: the ``key`` columns, ``metric`` (name), ``measured_at``, ``result_id``, ``run_id``,
    ``git_commit``, ``value``, and ``n_samples``/``samples_mean``/``samples_var`` of the row's
    raw latency samples. Ordered by metric, key (NULLs first), time, result id.
    ``sample_metrics``: metrics whose duplicate points prefer the copy with samples. Reads only."""
    filters = (filters or Filters(include_simulated=True)).normalized()
    sql, params = _points_sql(key, metrics, filters, benchmark, sample_metrics)
    keys = ", ".join(key)
    return read_frame(con, f"SELECT metric, {keys}, measured_at, unnest(p) FROM ({sql}) "
                           f"ORDER BY {_order(key, 'p.result_id')}", params)


def newest_points(con, key: Sequence[str], metrics: Sequence[str], k: int = 2,
                  filters: Filters | None = None, benchmark: str | None = None,
                  sample_metrics: Sequence[str] = ()):
    """The newest ``k`` points of every series: the columns of ``series_points`` without the
    sample statistics, plus ``samples`` (the raw latency samples, NULL and NaN left out).
    Ordered by metric, key, time. Per metric, the rows at the ``k`` newest distinct times of
    each series are picked by a window (DuckDB's top-N per group), duplicates are settled
    among those few rows only, and only their samples are read."""
    filters = (filters or Filters(include_simulated=True)).normalized()
    where, wparams = _point_where(key, metrics, sample_metrics, filters, benchmark)
    keys = ", ".join(key)
    branches, params = [], []
    for m in metrics:
        # A point is a measured value of this metric; the k newest distinct times per series.
        # Narrow rows only: no samples are read here.
        branches.append(
            f"SELECT ? AS metric, {keys}, result_id, run_id, git_commit, measured_at, "
            f"CAST({m} AS DOUBLE) AS value "
            f"FROM ({FLAT_SELECT}) flat WHERE {' AND '.join(where)} AND {m} IS NOT NULL "
            f"AND NOT isnan(CAST({m} AS DOUBLE)) "
            f"QUALIFY dense_rank() OVER (PARTITION BY {keys} ORDER BY measured_at DESC) <= ?")
        params += [m, *wparams, int(k)]
    # The samples of those few rows only; then duplicates (one measurement reached twice): the
    # first with samples where they count, else the first by result id, as series_points
    # settles them.
    rclean = "list_filter(r.latency_samples_ms, x -> x IS NOT NULL AND NOT isnan(x))"
    cand = (f"SELECT top.*, {rclean} AS samples FROM ({' UNION ALL '.join(branches)}) top "
            f"LEFT JOIN results r ON r.result_id = top.result_id")
    if sample_metrics:
        has = f"metric IN ({', '.join('?' * len(sample_metrics))}) AND coalesce(len(samples), 0) > 0"
    else:
        has = "false"
    sql = (f"SELECT metric, {keys}, measured_at, arg_min(struct_pack(result_id := result_id, "
           f"run_id := run_id, git_commit := git_commit, value := value, samples := samples), "
           f"struct_pack(s := NOT ({has}), r := result_id)) AS p FROM ({cand}) GROUP BY ALL")
    params = [*sample_metrics, *params]
    outer = (f"SELECT metric, {keys}, measured_at, p.result_id AS result_id, p.run_id AS run_id, "
             f"p.git_commit AS git_commit, p.value AS value, p.samples AS samples "
             f"FROM ({sql}) ORDER BY {_order(key, 'p.result_id')}")
    return read_frame(con, outer, params)
