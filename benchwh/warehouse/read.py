"""Shared read helpers: SQL with parameters -> Arrow -> Polars, and the filtered flat table.

Every reader in benchwh (queries, regressions, reports) goes through :func:`read_frame`, so
results travel DuckDB -> Arrow -> Polars with no pandas and no per-row Python on the way, and
user values only ever reach SQL as parameters. :func:`flat_frame` is the export contract
(``benchwh.warehouse.flat.FLAT_SELECT``) filtered the way every ``benchwh query`` command
filters it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Sequence

from benchwh.errors import QueryError
from benchwh.records import params_match  # noqa: F401  (the same rule in Python)
from benchwh.warehouse.flat import CONTRACT_COLUMNS, FLAT_SELECT


def read_frame(con, sql: str, params: Sequence[Any] | dict | None = None):
    """Run ``sql`` with ``params`` on ``con`` and return the answer as a Polars DataFrame.

    Reads only what the statement reads; writes nothing. The result is fetched as one Arrow
    table and handed to Polars without copying (``pl.from_arrow``); an empty answer keeps
    its column names and types.
    """
    import polars as pl

    from benchwh.warehouse.connect import execute

    cur = execute(con, sql, params)
    table = cur.to_arrow_table()
    return pl.from_arrow(table, rechunk=False)


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def time_bound(value: Any, *, end: bool = False) -> datetime | None:
    """A ``--since`` / ``--until`` value -> the datetime the comparison uses.

    A date (``2025-03-01``, or a ``date``) means the whole day: as ``since`` it starts at
    00:00, as ``until`` (``end=True``) it is the exclusive bound at the next day's 00:00, so
    ``--until 2025-03-01`` keeps everything measured on that day. A datetime (ISO text or
    ``datetime``) is used as given and ``until`` is then inclusive (see :meth:`Filters.where`).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        day = datetime.combine(value, time())
        return day + timedelta(days=1) if end else day
    if isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.match(text):
            try:
                return time_bound(date.fromisoformat(text), end=end)
            except ValueError:
                pass
        else:
            from benchwh.normalize import iso_time

            dt = iso_time(text)  # stored times are naive (UTC where a zone was given)
            if dt is not None:
                return dt
    raise QueryError(f"{'until' if end else 'since'} {value!r} is not a date or time: "
                     "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", option="until" if end else "since")


def is_day(value: Any) -> bool:
    """True for a bound that names a whole day (a ``date`` or ``YYYY-MM-DD`` text)."""
    if isinstance(value, datetime):
        return False
    if isinstance(value, date):
        return True
    return isinstance(value, str) and bool(_DATE_ONLY.match(value.strip()))


@dataclass(frozen=True)
class Filters:
    """The filters every query takes. ``None`` means "any". Values are matched exactly
    (no patterns: a ``%`` or quote in a value is just a character) and always bound as
    parameters. ``hardware`` accepts any spelling benchwh knows (``CUDA``, ``cuda:0``) and is
    compared as the canonical type; ``precision`` likewise (``float16`` -> ``fp16``).
    Simulated results are left out unless ``include_simulated``."""

    model: str | None = None
    hardware: str | None = None
    batch_size: int | None = None
    precision: str | None = None
    since: Any = None
    until: Any = None
    include_simulated: bool = False
    # A generic benchmark's name (exact) and parameters: (key, value text) pairs, each of
    # which must hold (``parse_params``).
    benchmark: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    def normalized(self) -> "Filters":
        from dataclasses import replace

        from benchwh import normalize as nz

        hw = self.hardware
        if hw is not None:
            hw = nz.hardware_type(hw) or hw
        prec = self.precision
        if prec is not None:
            prec = nz.precision(prec) or prec
        return replace(self, hardware=hw, precision=prec)

    def where(self, alias: str = "", *, batch: bool = True, precision: bool = True,
              simulated: bool = True, by_id: bool = False, generic: bool = True) -> tuple[list[str], list[Any]]:
        """SQL conditions (column names prefixed with ``alias.``) and their parameters.

        ``batch``/``precision``/``generic`` False leave those filters out (for sources without
        those columns; ``generic`` is the benchmark name and parameters); ``simulated`` False
        leaves the simulated rows in regardless. ``by_id`` writes the model and hardware filters
        against ``model_id``/``hardware_id`` (for the fact tables themselves, which hold ids,
        not names)."""
        f = self.normalized()
        p = f"{alias}." if alias else ""
        where: list[str] = []
        params: list[Any] = []
        if generic:
            w, a = benchmark_where(p, f.benchmark, f.params)
            where += w
            params += a
        if f.model is not None:
            where.append(f"{p}model_id IN (SELECT model_id FROM models WHERE model_name = ?)" if by_id
                         else f"{p}model_name = ?")
            params.append(f.model)
        if f.hardware is not None:
            where.append(f"{p}hardware_id IN (SELECT hardware_id FROM hardware WHERE hardware_type = ?)"
                         if by_id else f"{p}hardware_type = ?")
            params.append(f.hardware)
        if batch and f.batch_size is not None:
            where.append(f"{p}batch_size = ?")
            params.append(int(f.batch_size))
        if precision and f.precision is not None:
            where.append(f"{p}precision = ?")
            params.append(f.precision)
        since = time_bound(f.since)
        if since is not None:
            where.append(f"{p}measured_at >= ?")
            params.append(since)
        until = time_bound(f.until, end=True)
        if until is not None:
            # A whole-day bound is exclusive (the next day's 00:00); a datetime is inclusive.
            where.append(f"{p}measured_at {'<' if is_day(f.until) else '<='} ?")
            params.append(until)
        if simulated and not f.include_simulated:
            where.append(f"NOT {p}is_simulated")
        return where, params


def parse_params(items: Sequence[str] | None) -> tuple[tuple[str, str], ...]:
    """``--param KEY=VALUE`` texts -> (key, value) pairs; QueryError for one without ``=``."""
    out = []
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"param {item!r}", option="param", remedy="param-form",
                             hint=": give KEY=VALUE (a benchmark parameter, e.g. n=1000)")
        out.append((key.strip(), value))
    return tuple(out)


def benchmark_where(p: str, benchmark: str | None, pairs: Sequence[tuple[str, str]]) -> tuple[list[str], list[Any]]:
    """Conditions on a generic benchmark's name and parameters (columns prefixed ``p``).

    ``benchmark_params`` is canonical JSON text; a parameter matches when its JSON value's
    text equals ``value`` (``n=1000``, ``mode=fast``, ``flag=true``), or both are numbers and
    equal (``n=1e3``). A result without that parameter does not match. The key reaches SQL
    only as a JSON path parameter (quoted, so any character is a plain character)."""
    where: list[str] = []
    params: list[Any] = []
    if benchmark is not None:
        where.append(f"{p}benchmark = ?")
        params.append(benchmark)
    for key, value in pairs:
        path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
        where.append(f"(json_extract_string({p}benchmark_params, ?) = ? OR "
                     f"try_cast(json_extract_string({p}benchmark_params, ?) AS DOUBLE) = try_cast(? AS DOUBLE))")
        params += [path, value, path, value]
    return where, params


def flat_sql(filters: Filters | None = None, columns: Sequence[str] | None = None,
             order: bool = True) -> tuple[str, list[Any]]:
    """The flat results SELECT with ``filters`` applied: (sql, params)."""
    cols = list(columns) if columns else list(CONTRACT_COLUMNS)
    unknown = [c for c in cols if c not in CONTRACT_COLUMNS]
    if unknown:
        raise QueryError(f"unknown column(s) {', '.join(unknown)}; the flat table has: "
                         + ", ".join(CONTRACT_COLUMNS))
    where, params = (filters or Filters()).where("flat")
    sql = f"SELECT {', '.join(cols)} FROM ({FLAT_SELECT}) flat"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if order:
        sql += " ORDER BY measured_at NULLS LAST, result_id"
    return sql, params


def flat_frame(con, *, model: str | None = None, hardware: str | None = None,
               batch_size: int | None = None, precision: str | None = None, since: Any = None,
               until: Any = None, include_simulated: bool = False,
               columns: Sequence[str] | None = None, benchmark: str | None = None,
               params: Sequence[tuple[str, str]] = ()):
    """The export contract's flat rows (one per result) as a Polars DataFrame, filtered.

    Reads results, runs, models and hardware; writes nothing. Simulated results are left out
    unless ``include_simulated`` (they are never mixed in silently: the ``is_simulated``
    column says which is which). ``columns`` picks contract columns (default: all). Rows come
    ordered by ``measured_at`` (missing last), then ``result_id``.
    """
    filters = Filters(model, hardware, batch_size, precision, since, until, include_simulated,
                      benchmark, tuple(params))
    sql, args = flat_sql(filters, columns)
    return read_frame(con, sql, args)


# Latest compatibility fact per model x hardware x simulated flag (the report's matrix).
COMPAT_SELECT = """
SELECT model_name, hardware_type, is_simulated, compatible, error, measured_at FROM (
    SELECT m.model_name, h.hardware_type, c.is_simulated, c.compatible, c.error, c.measured_at,
           row_number() OVER (PARTITION BY m.model_name, h.hardware_type, c.is_simulated
                              ORDER BY c.measured_at DESC NULLS LAST, c.compat_id) AS rn
    FROM compatibility c
    LEFT JOIN models m ON m.model_id = c.model_id
    LEFT JOIN hardware h ON h.hardware_id = c.hardware_id
) WHERE rn = 1 ORDER BY model_name, hardware_type, is_simulated
"""


def latest_compat_frame(con):
    """The newest compatibility fact per model x hardware type x simulated flag (Polars)."""
    return read_frame(con, COMPAT_SELECT, [])
