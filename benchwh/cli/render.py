"""Tables for the terminal: a query's DataFrame as csv, json, markdown or a rich table, and
:func:`text_table` (aligned plain columns) for the regression and change reports.

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


def _markdown_cell(value: Any, column: str = "") -> str:
    text = table_cell(value, column) if not isinstance(value, (list, tuple)) else json.dumps(list(value))
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(df) -> str:
    cols = df.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.iter_rows():
        lines.append("| " + " | ".join(_markdown_cell(v, c) for v, c in zip(row, cols)) + " |")
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


# The table view's headers: the unit beside the name (csv/json keep the contract's names).
HEADERS = {
    "latency_ms_mean": "latency_mean (ms)", "latency_ms_p50": "latency_p50 (ms)",
    "latency_ms_p90": "latency_p90 (ms)", "latency_ms_p95": "latency_p95 (ms)",
    "latency_ms_p99": "latency_p99 (ms)", "latency_ms_min": "latency_min (ms)",
    "latency_ms_max": "latency_max (ms)", "latency_ms_std": "latency_std (ms)",
    "throughput_items_per_s": "throughput (items/s)", "throughput_tokens_per_s": "throughput (tokens/s)",
    "memory_peak_mb": "memory_peak (MiB)", "load_time_ms": "load_time (ms)",
    "change_vs_previous": "change_vs_previous (%)", "latency_vs_fastest": "latency_vs_fastest (×)",
}
# Columns whose values are changes (ratio - 1): shown as signed percents; ratios: as "1.52×".
PERCENT = frozenset({"change_vs_previous"})
RATIO = frozenset({"latency_vs_fastest"})
# What goes first when a table is too wide for the terminal (then the rightmost columns).
LOW_PRIORITY = ("source", "simulation_reason", "device_name", "scenario", "mode", "input_shape",
                "git_branch", "host", "error", "latency_ms_p50", "throughput_tokens_per_s", "status")
# What stays longest: what a row is (model, hardware, configuration) and its main numbers.
HIGH_PRIORITY = ("model_name", "hardware_type", "batch_size", "latency_ms_mean", "change_vs_previous",
                 "latency_vs_fastest", "throughput_items_per_s", "sequence_length", "precision",
                 "compatible", "measured_at", "is_simulated", "suspected_placeholder", "memory_peak_mb")
MAX_TEXT = 40  # a text column is folded at this width in a fitted table


def table_cell(value: Any, column: str) -> str:
    """``cell`` with the table view's formats for changes (+12.3%) and ratios (1.52×)."""
    if isinstance(value, float) and math.isfinite(value):
        if column in PERCENT:
            return f"{value * 100:+.1f}%"
        if column in RATIO:
            return f"{value:.2f}×"
    return cell(value)


def _widths(df, cols: list[str]) -> dict[str, int]:
    """Each column's display width: its header or its longest cell."""
    out = {}
    for c in cols:
        cells = [table_cell(v, c) for v in df[c].to_list()] if df.height else []
        out[c] = max([len(HEADERS.get(c, c))] + [len(x) for x in cells])
    return out


def _capped(df, widths: dict[str, int], text_cap: int) -> dict[str, int]:
    """``widths`` with text columns folded at ``text_cap`` (never below half their header)."""
    return {c: w if df.schema[c].is_numeric() else min(w, max(text_cap, len(HEADERS.get(c, c)) // 2))
            for c, w in widths.items()}


def fit_columns(df, cols: list[str], width: int) -> tuple[list[str], list[str], int]:
    """The columns that fit in ``width`` terminal columns (in their order), those left out,
    and the width text columns are folded at. Columns are taken by rank (what a row is and its
    main numbers first, low-priority ones last, the rest from the left, as the DuckDB CLI
    elides from the right); a main column that does not fit ends the taking, so no lesser
    column takes its place. Text is folded narrower (40, 24, then 16 characters) while that
    lets more of the main columns in."""
    def rank_of(c: str) -> tuple:
        if c in HIGH_PRIORITY:
            return (0, HIGH_PRIORITY.index(c))
        if c in LOW_PRIORITY:
            return (2, LOW_PRIORITY.index(c))
        return (1, cols.index(c))

    rank = sorted(cols, key=rank_of)
    best: tuple[int, list[str], int] | None = None
    measured = _widths(df, cols)
    for cap in (MAX_TEXT, 24, 16):
        widths = _capped(df, measured, cap)
        cost = lambda c: widths[c] + 3  # noqa: E731  (padding and the border)
        if sum(cost(c) for c in cols) + 1 <= width:
            return cols, [], cap
        keep: list[str] = []
        room = width - 1 - 4  # the outer border and the "…" column
        for c in rank:
            if cost(c) <= room:
                keep.append(c)
                room -= cost(c)
            elif not keep:
                keep.append(c)  # at least one column, folded
                room = 0
            elif c in HIGH_PRIORITY:
                break
        main = sum(c in HIGH_PRIORITY for c in keep)
        if best is None or main > best[0]:
            best = (main, keep, cap)
    _, keep, cap = best
    return [c for c in cols if c in keep], [c for c in cols if c not in keep], cap


def to_rich(df, title: str | None = None, width: int | None = None):
    """A rich Table of ``df``; simulated rows are dimmed and marked in a ``simulated`` column.
    With ``width``, only the columns that fit are shown, with a ``…`` column where the others
    were; ``table.hidden_columns`` names them."""
    from rich.table import Table

    cols = shown_columns(df)
    hidden: list[str] = []
    caption = None
    if width is not None:
        full, _, _ = fit_columns(df, cols, width)
        if full != cols and df.height > 1:
            # Too wide: a column with one value in every row says it once, under the table.
            same = [c for c in cols if df[c].null_count() == 0 and df[c].n_unique() == 1]
            if same:
                caption = "; ".join(f"{HEADERS.get(c, c)} = {table_cell(df[c][0], c)}" for c in same) + " (every row)"
                cols = [c for c in cols if c not in same]
        cols, hidden, text_cap = fit_columns(df, cols, width)
    table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for c in cols:
        numeric = df.schema[c].is_numeric()
        cap = 60 if width is None else text_cap
        table.add_column(HEADERS.get(c, c), justify="right" if numeric else "left", overflow="fold",
                         max_width=None if numeric else cap)
    if hidden:
        table.add_column("…", justify="center")
    sim = "is_simulated" in df.columns
    for row in df.select(cols).iter_rows(named=True):
        marked = sim and bool(row.get("is_simulated"))
        cells = [table_cell(row[c], c) for c in cols] + (["…"] if hidden else [])
        table.add_row(*cells, style="dim" if marked else None)
    table.hidden_columns = hidden
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


def text_table(header: list[str], rows: list[list[str]], width: int | None = None, wrap: bool = True) -> str:
    """Aligned columns under an underlined header. With ``wrap``, a table wider than the
    terminal (``width``) has its widest columns wrapped onto more lines so that it fits,
    nothing cut (8 characters at the least); without, columns are as wide as their text."""
    import shutil
    import textwrap

    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    if wrap:
        width = width or shutil.get_terminal_size().columns
        gaps = 2 * (len(widths) - 1)
        # shrink the widest column, one character at a time, until the table fits (min 8 each)
        while sum(widths) + gaps > width:
            k = max(range(len(widths)), key=lambda c: widths[c])
            if widths[k] <= 8:
                break
            widths[k] -= 1
    lines = []
    for r in [header, *rows]:
        cells = ([textwrap.wrap(c, w, break_on_hyphens=False) or [""] for c, w in zip(r, widths)] if wrap
                 else [[c] for c in r])
        for n in range(max(len(c) for c in cells)):
            lines.append("  ".join((c[n] if n < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip())
        if r is header:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
