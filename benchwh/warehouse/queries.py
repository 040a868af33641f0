"""The answers ``benchwh query`` gives, as functions returning Polars DataFrames.

Each function reads the warehouse (results, runs, models, hardware, compatibility) and writes
nothing; rows come from the export contract's flat SELECT (plus derived columns such as
``latency_vs_fastest``), and "newest per key" is decided on ids first, so only the winning
rows pay for the flat table's joins. ``source`` is an open DuckDB connection
or a warehouse location (``--db`` text or a Location), opened read-only for the call.
Filters (:class:`benchwh.warehouse.read.Filters`) are bound as parameters; simulated results
are left out unless ``include_simulated`` and are then marked by ``is_simulated``.

Definitions used throughout:

- *configuration*: mode, scenario, batch size, sequence length, input shape, precision
  (NULLs compare equal: a result without a precision is its own configuration);
- *subject*: the model, or a generic benchmark's name and parameters (``GENERIC``);
- *hardware*: the canonical hardware type (``device_name`` is shown, not grouped on);
- *newest*: latest ``measured_at`` (unknown times last), then latest ``inserted_at``;
- a simulated result never hides or replaces a measured one: simulation is part of the key.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from benchwh.errors import QueryError
from benchwh.warehouse.flat import FLAT_SELECT
from benchwh.warehouse.read import Filters, read_frame

CONFIG = ("mode", "scenario", "batch_size", "sequence_length", "input_shape", "precision")
# What was measured besides the model: a generic benchmark's name and parameters (NULL for a
# model result; a generic benchmark has no model). Part of every "per key" below.
GENERIC = ("benchmark", "benchmark_params")
MEASURES = ("status", "latency_ms_mean", "latency_ms_p50", "throughput_items_per_s",
            "throughput_tokens_per_s", "memory_peak_mb")
TRAIL = ("measured_at", "is_simulated", "simulation_reason", "suspected_placeholder", "source", "source_file",
         "result_id")

# --metric name -> the contract column a trend follows.
METRICS = {
    "latency": "latency_ms_mean",
    "throughput": "throughput_items_per_s",
    "memory": "memory_peak_mb",
}

# The newest row of a group, as one aggregate: max() over a struct ordered (measured_at
# [unknown lowest], <extra>, inserted_at, id), then fields that ride along (the winner's rowid:
# the id is unique, so they never decide). One hash aggregation: several times faster than
# row_number() OVER (...) = 1, and ~1.5x faster than arg_max(id, <same key>) on 1M rows
# (benchmarks/query_speed.py). The id makes ties deterministic. Every field is non-NULL (struct
# comparison puts NULL fields first). The winners' rows are then fetched by rowid, not found by
# a semi-join on their ids that reads every column of every row (1.3x faster for ``latest``).
_NEWEST = ("max(struct_pack(m := coalesce(epoch_us({p}measured_at), -9223372036854775807), "
           "{extra}i := epoch_us({p}inserted_at), id := {p}{id}, {ride}))")
_CONFIG_ORDER = ", ".join(f"{c} NULLS FIRST" for c in CONFIG)
_GENERIC_ORDER = ", ".join(f"{c} NULLS FIRST" for c in GENERIC)


@contextmanager
def reading(source: Any) -> Iterator[Any]:
    """Yield a connection: ``source`` itself when it is one, else the warehouse at that
    location opened read-only (and closed afterwards)."""
    if hasattr(source, "execute"):
        yield source
        return
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(source, read_only=True) as con:
        yield con


def _filtered(filters: Filters | None) -> tuple[str, list[Any]]:
    """``SELECT * FROM flat WHERE <filters>`` as SQL text plus its parameters."""
    where, params = (filters or Filters()).where()
    sql = f"SELECT * FROM ({FLAT_SELECT}) flat"
    return (sql + (" WHERE " + " AND ".join(where) if where else "")), params


def _limit(sql: str, params: list[Any], limit: int | None) -> tuple[str, list[Any]]:
    if limit is None:
        return sql, params
    if limit < 0:
        raise QueryError(f"limit {limit}: give a number of rows, 0 or more", option="limit")
    # DuckDB's LIMIT is a BIGINT; any larger number of rows is no limit at all
    return sql + " LIMIT ?", [*params, min(int(limit), 2 ** 63 - 1)]


def _select(source, sql: str, params: list[Any], limit: int | None):
    """``sql`` (with ``params``, at most ``limit`` rows) as a DataFrame, read from ``source``
    opened read-only for the call."""
    sql, params = _limit(sql, params, limit)
    with reading(source) as con:
        return read_frame(con, sql, params)


def _newest_ids(filters: Filters | None) -> tuple[str, list[Any]]:
    """SQL for the rowids of the newest result per model x hardware type x configuration x
    simulated (filters applied), and its parameters. It reads the results table by ids and
    joins only the small hardware table (for the type), so only the winners pay for the
    flat table's joins."""
    where, params = (filters or Filters()).where("r", by_id=True)
    key = ("r.model_id", *(f"r.{c}" for c in GENERIC), "h.hardware_type", *(f"r.{c}" for c in CONFIG),
           "r.is_simulated")
    sql = (f"SELECT {_NEWEST.format(p='r.', extra='', id='result_id', ride='rid := r.rowid')}.rid "
           "FROM results r LEFT JOIN hardware h ON h.hardware_id = r.hardware_id"
           + (" WHERE " + " AND ".join(where) if where else "") + f" GROUP BY {', '.join(key)}")
    return sql, params


def _newest_flat(filters: Filters | None) -> tuple[str, list[Any]]:
    """``SELECT * FROM flat`` restricted to the newest result of each key (see above)."""
    ids, params = _newest_ids(filters)
    return f"SELECT * FROM ({FLAT_SELECT}WHERE r.rowid IN ({ids})) flat", params


def latest(source, filters: Filters | None = None, limit: int | None = None):
    """The newest result per model x hardware x configuration (x simulated or not).

    One row per key with its status, latency (mean, p50), throughput, memory, device, time,
    simulation flag and provenance; ordered by model, hardware, configuration."""
    newest, params = _newest_flat(filters)
    cols = ("model_name", *GENERIC, "hardware_type", "device_name", *CONFIG, *MEASURES, "reported_unit", *TRAIL)
    sql = (f"SELECT {', '.join(cols)} FROM ({newest}) n "
           f"ORDER BY model_name, {_GENERIC_ORDER}, hardware_type, {_CONFIG_ORDER}, is_simulated")
    return _select(source, sql, params, limit)


def _compare(source, filters: Filters, across: str, limit: int | None):
    """Newest result per (model, hardware, configuration), grouped by configuration and
    ranked by mean latency within it: ``latency_vs_fastest`` is latency / the configuration's
    lowest latency (1.0 = fastest; NULL where latency was not measured)."""
    by_hw = across == "hardware_type"
    # Across hardware, one subject (model or benchmark + parameters) is held; across models,
    # every subject on one hardware is ranked.
    held = ("model_name", *GENERIC) if by_hw else ("hardware_type",)
    shown = () if by_hw else GENERIC
    newest, params = _newest_flat(filters)
    group = (*held, *CONFIG)
    cols = (*held, *CONFIG, across, *shown, "device_name" if by_hw else "model_family", *MEASURES,
            "reported_unit")
    tail = (f"{', '.join(GENERIC)}, " if not by_hw else "")
    sql = (
        f"SELECT {', '.join(cols)}, "
        f"latency_ms_mean / nullif(min(latency_ms_mean) OVER (PARTITION BY {', '.join(group)}), 0) "
        f"AS latency_vs_fastest, {', '.join(TRAIL)} FROM ({newest}) n "
        f"ORDER BY {', '.join(held)}, {_CONFIG_ORDER}, latency_ms_mean NULLS LAST, {across}, {tail}is_simulated"
    )
    return _select(source, sql, params, limit)


def compare_hardware(source, model: str, filters: Filters | None = None, limit: int | None = None):
    """One model's (or generic benchmark's) newest result on each hardware, per
    configuration, fastest first."""
    if not model and not (filters and filters.benchmark):
        raise QueryError("compare-hardware needs a model or a benchmark", remedy="model-or-benchmark",
                         hint=": give model= or benchmark=")
    f = _with(filters, model=model or None)
    return _compare(source, f, "hardware_type", limit)


def compare_models(source, hardware: str, filters: Filters | None = None, limit: int | None = None):
    """Every model's newest result on one hardware type, per configuration, fastest first."""
    if not hardware:
        raise QueryError("compare-models needs a hardware type", remedy="hardware-needed", hint=": give hardware=")
    f = _with(filters, hardware=hardware)
    return _compare(source, f, "model_name", limit)


def metric_column(metric: str) -> str:
    """``latency``/``throughput``/``memory`` -> the contract column; a close miss is named."""
    if metric in METRICS:
        return METRICS[metric]
    from benchwh.suggest import did_you_mean

    hint = did_you_mean(metric, METRICS)
    raise QueryError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}{hint}")


def trend(source, model: str, hardware: str, metric: str = "latency",
          filters: Filters | None = None, limit: int | None = None):
    """Every measured value of ``metric`` for one model on one hardware type, one series per
    configuration, oldest first. ``change_vs_previous`` is value / previous value - 1 within
    the series (NULL for the first point). Results without that metric are left out."""
    if not (model or (filters and filters.benchmark)) or not hardware:
        raise QueryError("trend needs", remedy="trend-needs", hint=" a model (or a benchmark) and a hardware type")
    col = metric_column(metric)
    base, params = _filtered(_with(filters, model=model or None, hardware=hardware))
    series = ", ".join((*GENERIC, *CONFIG, "is_simulated"))
    sql = (
        f"SELECT model_name, {', '.join(GENERIC)}, hardware_type, {', '.join(CONFIG)}, measured_at, {col}, "
        f"{col} / nullif(lag({col}) OVER (PARTITION BY {series} ORDER BY measured_at, "
        f"inserted_at, result_id), 0) - 1 AS change_vs_previous, "
        f"reported_unit, device_name, status, is_simulated, run_id, git_commit, source_file, result_id "
        f"FROM ({base}) f WHERE {col} IS NOT NULL "
        f"ORDER BY {_GENERIC_ORDER}, {_CONFIG_ORDER}, is_simulated, measured_at NULLS LAST, inserted_at, result_id"
    )
    return _select(source, sql, params, limit)


def matrix(source, filters: Filters | None = None, limit: int | None = None):
    """Compatibility, model x hardware: the newest evidence for each pair and its date.

    Evidence is a compatibility fact with a known answer (``compatible`` true/false) or a
    result that completed (true) or failed (false); ``evidence`` says which, ``measured_at``
    when. Evidence of the same moment that disagrees (one configuration ran, another failed)
    counts as compatible: the model does run there. With a batch-size or precision filter
    only results count as evidence (compatibility facts have neither)."""
    where, params = (filters or Filters()).where("ev", by_id=True, generic=False)
    # the winner's table and rowid ride along, so its row is fetched by rowid rather than found
    # again by a semi-join over all the evidence
    newest = _NEWEST.format(p="", extra="c := compatible, ", id="evidence_id", ride="e := evidence, rid := rid")
    # what the matrix shows of each kind of evidence, read once to choose and once for the winners
    comp = ("model_id, hardware_id, compatible, status, error, is_simulated, measured_at, source_file, "
            "'compatibility' AS evidence, compat_id AS evidence_id")
    res = ("model_id, hardware_id, status = 'completed' AS compatible, status, error, is_simulated, measured_at, "
           "source_file, 'result' AS evidence, result_id AS evidence_id")
    sql = f"""
        WITH ev AS (
            SELECT {comp}, inserted_at, NULL::INTEGER AS batch_size, NULL::VARCHAR AS precision, rowid AS rid
            FROM compatibility WHERE compatible IS NOT NULL
            UNION ALL
            SELECT {res}, inserted_at, batch_size, precision, rowid
            FROM results WHERE status IN ('completed', 'failed') AND model_id IS NOT NULL  -- models only
        ), f AS (
            SELECT ev.*, h.hardware_type FROM ev LEFT JOIN hardware h ON h.hardware_id = ev.hardware_id
            {"WHERE " + " AND ".join(where) if where else ""}
        ), winners AS MATERIALIZED (
            SELECT {newest} AS w FROM f GROUP BY model_id, hardware_type, is_simulated
        ), won AS (
            SELECT {comp} FROM compatibility WHERE rowid IN (SELECT w.rid FROM winners WHERE w.e = 'compatibility')
            UNION ALL
            SELECT {res} FROM results WHERE rowid IN (SELECT w.rid FROM winners WHERE w.e = 'result')
        )
        SELECT m.model_name, h.hardware_type, f.compatible, f.status, f.evidence, f.measured_at,
               f.is_simulated, f.error, f.source_file, f.evidence_id
        FROM won f LEFT JOIN models m ON m.model_id = f.model_id LEFT JOIN hardware h ON h.hardware_id = f.hardware_id
        ORDER BY m.model_name, h.hardware_type, f.is_simulated
    """
    return _select(source, sql, params, limit)


def runs(source, filters: Filters | None = None, limit: int | None = None):
    """Runs with at least one result or compatibility fact matching the filters, newest
    first (by start; runs without a start time last, by their first measurement): origin
    (``source``), start, git, host, and counts of what matched."""
    where, params = (filters or Filters()).where(by_id=True, generic=False)
    sql = f"""
        WITH ev AS (
            SELECT run_id, 1 AS is_result, model_id, hardware_id, batch_size, precision,
                   is_simulated, measured_at
            FROM results
            UNION ALL
            SELECT run_id, 0, model_id, hardware_id, NULL::INTEGER, NULL::VARCHAR,
                   is_simulated, measured_at
            FROM compatibility
        ), agg AS (
            -- the hardware names joined to each row (8 or so: a hash join) and gathered as a
            -- sorted list per run: half the time of a lookup per run after the grouping
            SELECT ev.run_id,
                   sum(is_result)::BIGINT AS results,
                   (count(*) - sum(is_result))::BIGINT AS compatibility_facts,
                   count(*) FILTER (WHERE is_simulated) AS simulated,
                   count(DISTINCT model_id) AS models,
                   array_to_string(list_sort(list(DISTINCT h.hardware_type)), ',') AS hardware_types,
                   min(measured_at) AS first_measured_at, max(measured_at) AS last_measured_at
            FROM ev LEFT JOIN hardware h USING (hardware_id)
            {"WHERE " + " AND ".join(where) if where else ""}
            GROUP BY ev.run_id
        )
        SELECT a.run_id, ru.origin AS source, ru.started_at, ru.git_commit, ru.git_branch,
               ru.host, a.results, a.compatibility_facts, a.simulated, a.models, a.hardware_types,
               a.first_measured_at, a.last_measured_at
        FROM agg a LEFT JOIN runs ru ON ru.run_id = a.run_id
        ORDER BY ru.started_at DESC NULLS LAST, a.first_measured_at DESC NULLS LAST, a.run_id
    """
    return _select(source, sql, params, limit)


def _with(filters: Filters | None, **changes) -> Filters:
    from dataclasses import replace

    return replace(filters or Filters(), **changes)


def resolved(source: Any, filters: Filters | None = None, **names: Any):
    """``filters`` with model, hardware and precision resolved to the stored names (aliases
    such as a runner's ``bert-tiny`` for ``prajjwal1/bert-tiny``, any case), and ``names``
    (``model=``, ``hardware=``, ...) resolved the same way: ``(filters, names)``. An unknown
    name raises ``no such model 'x'; did you mean ...`` (``benchwh.warehouse.names``)."""
    from dataclasses import replace

    from benchwh.warehouse.names import resolve_all

    f = filters or Filters()
    wanted = {k: getattr(f, k) for k in ("model", "hardware", "precision") if getattr(f, k) is not None}
    if not wanted and not any(v is not None for v in names.values()):
        return f, names
    with reading(source) as con:
        fixed = resolve_all(con, **wanted)
        other = resolve_all(con, **names)
    return replace(f, **fixed), other
