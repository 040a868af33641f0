"""Turn a query's DataFrame into text: csv, json, markdown, or a rich table.

JSON is an array of objects keyed by the export contract's column names (times as ISO-8601
text, lists as arrays, missing as null). CSV writes lists as JSON arrays. The table view is
for people: columns with no value in any row are left out, numbers are rounded for reading,
and simulated rows are marked.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

FORMATS = ("table", "csv", "json", "markdown")


def _plain(value: Any) -> Any:
    """A value JSON can hold: times as ISO text, integral decimals (SQL SUM) as ints."""
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(x) for x in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (timedelta, bytes)):
        return str(value)
    return value


def _polars_json_ready(df):
    """``df`` with every column as JSON should show it, for Polars to write; None when a column
    has a type it does not spell as ``_plain`` does (durations, binary, nested times...)."""
    import polars as pl

    simple = (pl.String, pl.Boolean, pl.Null, pl.Float32, pl.Float64, pl.Int8, pl.Int16, pl.Int32, pl.Int64,
              pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
    casts = []
    for name, dtype in df.schema.items():
        inner = dtype
        while isinstance(inner, (pl.List, pl.Array)):
            inner = inner.inner
        if isinstance(inner, simple):
            continue
        if inner is not dtype:
            return None
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            casts.append(pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.f"))
        elif isinstance(dtype, pl.Date):
            casts.append(pl.col(name).dt.to_string("%Y-%m-%d"))
        elif isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Int64 if dtype.scale == 0 else pl.Float64))
        else:
            return None
    return df.with_columns(casts) if casts else df


def to_json(df) -> str:
    ready = _polars_json_ready(df) if df.height else None
    if ready is not None:
        # Polars writes it (non-finite floats as null); one object per line, still one array
        lines = ready.write_ndjson().rstrip("\n")
        return "[\n" + lines.replace("\n", ",\n") + "\n]"
    rows = [{k: _plain(v) for k, v in row.items()} for row in df.iter_rows(named=True)]
    if not rows:
        return "[]"
    # one object per line: greppable, and still one JSON array
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]"


def to_csv(df) -> str:
    import polars as pl

    lists = [name for name, dtype in df.schema.items() if isinstance(dtype, (pl.List, pl.Array))]
    if lists:
        # JSON array text, built column-wise (numbers print as JSON numbers; null stays null)
        df = df.with_columns(
            pl.concat_str([pl.lit("["), pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(","),
                           pl.lit("]")]).alias(c)
            for c in lists
        )
    return df.write_csv(datetime_format="%Y-%m-%dT%H:%M:%S%.f")


def cell(value: Any) -> str:
    """A value as people read it in a table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (list, tuple)):
        return f"[{len(value)} values]"
    return str(value)


def _markdown_cell(value: Any) -> str:
    text = cell(value) if not isinstance(value, (list, tuple)) else json.dumps(list(value))
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(df) -> str:
    cols = df.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.iter_rows():
        lines.append("| " + " | ".join(_markdown_cell(v) for v in row) + " |")
    return "\n".join(lines)


# Identifiers and provenance: in csv/json output, too long for a table people read.
TABLE_HIDDEN = frozenset({"result_id", "run_id", "evidence_id", "source_file", "source_sha256",
                          "source_pointer", "simulation_reason", "inserted_at"})


def shown_columns(df) -> list[str]:
    """The table view's columns: those with at least one value, minus ids and provenance."""
    cols = [c for c in df.columns if c not in TABLE_HIDDEN]
    if df.height == 0:
        return cols
    nulls = dict(zip(df.columns, df.null_count().row(0)))
    return [c for c in cols if nulls[c] < df.height]


def to_rich(df, title: str | None = None):
    """A rich Table of ``df``; simulated rows are dimmed and marked in a ``simulated`` column."""
    from rich.table import Table

    cols = shown_columns(df)
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        numeric = df.schema[c].is_numeric()
        table.add_column(c, justify="right" if numeric else "left", overflow="fold", max_width=None if numeric else 60)
    sim = "is_simulated" in df.columns
    for row in df.select(cols).iter_rows(named=True):
        marked = sim and bool(row.get("is_simulated"))
        table.add_row(*(cell(row[c]) for c in cols), style="dim" if marked else None)
    return table


def render(df, fmt: str) -> str:
    """csv/json/markdown text of ``df`` (the table view is printed by :func:`to_rich`)."""
    if fmt == "json":
        return to_json(df)
    if fmt == "csv":
        return to_csv(df)
    if fmt == "markdown":
        return to_markdown(df)
    raise ValueError(f"no text rendering for format {fmt!r}")
