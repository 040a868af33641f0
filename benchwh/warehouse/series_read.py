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


def _points_sql(key: Sequence[str], metrics: Sequence[str], filters: Filters,
                benchmark: str | None, sample_metrics: Sequence[str] = (),
                with_samples: bool = False) -> tuple[str, list[Any]]:
    _check(key, "series key")
    _check(metrics, "metric")
    if not metrics:
        raise QueryError("no metric to read")
    where, params = filters.where("flat")
    where = ["flat.status = 'completed'", "flat.measured_at IS NOT NULL", *where]
    if benchmark is not None:
        if "benchmark" not in CONTRACT_COLUMNS:
            raise QueryError("--benchmark: this warehouse's results carry no generic benchmark names")
        where.append("flat.benchmark = ?")
        params.append(benchmark)
    keys = ", ".join(key)
    mcols = ", ".join(f"CAST({m} AS DOUBLE) AS {m}" for m in metrics)
    clean = "list_filter(latency_samples_ms, x -> x IS NOT NULL AND NOT isnan(x))"
    base = (f"SELECT {keys}, {', '.join(POINT_COLUMNS)}, {mcols}, "
            f"coalesce(len({clean}), 0) AS n_samples, list_avg({clean}) AS samples_mean, "
            f"list_var_samp({clean}) AS samples_var"
            + (f", {clean} AS samples " if with_samples else " ")
            + f"FROM ({FLAT_SELECT}) flat WHERE {' AND '.join(where)}")
    # Rows of one series at one time are one measurement reached twice (a file embedded in
    # another): the first (by result id) is kept, for metrics judged on samples the first
    # with samples.
    _check(sample_metrics, "metric")
    with_s = (f"CASE WHEN metric IN ({', '.join('?' * len(sample_metrics))}) THEN n_samples > 0 "
              f"ELSE false END DESC, " if sample_metrics else "")
    params += list(sample_metrics)
    # UNPIVOT leaves out NULL values: a point is a measured value.
    sql = (f"WITH base AS ({base}), "
           f"long AS (UNPIVOT base ON {', '.join(metrics)} INTO NAME metric VALUE value) "
           f"SELECT * FROM long WHERE NOT isnan(value) "
           f"QUALIFY row_number() OVER (PARTITION BY metric, {keys}, measured_at "
           f"ORDER BY {with_s}result_id) = 1")
    return sql, params


def series_points(con, key: Sequence[str], metrics: Sequence[str], filters: Filters | None = None,
                  benchmark: str | None = None, sample_metrics: Sequence[str] = ()):
    """Every point of every series (completed results with a time and a value) as a Polars
    frame: the ``key`` columns, ``metric`` (name), ``value``, the point columns, and
    ``n_samples``/``samples_mean``/``samples_var`` of the row's raw latency samples. Ordered by
    metric, key (NULLs first), time, result id. ``sample_metrics``: metrics whose duplicate
    points prefer the copy with samples. Reads only."""
    filters = (filters or Filters(include_simulated=True)).normalized()
    sql, params = _points_sql(key, metrics, filters, benchmark, sample_metrics)
    order = ", ".join(["metric", *(f"{k} NULLS FIRST" for k in key), "measured_at", "result_id"])
    return read_frame(con, f"SELECT * FROM ({sql}) ORDER BY {order}", params)


def newest_points(con, key: Sequence[str], metrics: Sequence[str], k: int = 2,
                  filters: Filters | None = None, benchmark: str | None = None,
                  sample_metrics: Sequence[str] = ()):
    """The newest ``k`` points of every series (same columns as ``series_points``, plus
    ``samples``: the raw latency samples without NULL/NaN, and ``rank``: 1 = newest), ordered
    by metric, key, time."""
    filters = (filters or Filters(include_simulated=True)).normalized()
    sql, params = _points_sql(key, metrics, filters, benchmark, sample_metrics, with_samples=True)
    keys = ", ".join(key)
    order = ", ".join(["metric", *(f"{c} NULLS FIRST" for c in key), "measured_at", "result_id"])
    sql = (f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY metric, {keys} "
           f"ORDER BY measured_at DESC, result_id DESC) AS rank FROM ({sql})) "
           f"WHERE rank <= ? ORDER BY {order}")
    return read_frame(con, sql, [*params, int(k)])
