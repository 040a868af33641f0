"""``benchwh query``: latest, compare-hardware, compare-models, trend, matrix, runs, sql.

Each command parses its options, makes one ``benchwh.Warehouse`` query call and prints the
DataFrame it gets back in the chosen format (``benchwh.cli.render``). No SQL here.
"""

from __future__ import annotations

from typing import Any, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, JsonOpt, WideOpt, options, out, say, warehouse

ModelOpt = Annotated[Optional[str], typer.Option(
    "--model", help="Only this model (stored name, or the short name it was run under, e.g. bert-tiny).",
    show_default=False)]
HardwareOpt = Annotated[Optional[str], typer.Option(
    "--hardware", help="Only this hardware type (cpu, cuda, rocm, mps, openvino, qnn, webnn, webgpu...).",
    show_default=False)]
BatchOpt = Annotated[Optional[int], typer.Option("--batch-size", help="Only this batch size.", show_default=False)]
PrecisionOpt = Annotated[Optional[str], typer.Option("--precision", help="Only this precision (fp32, fp16, int8...).",
                                                     show_default=False)]
SinceOpt = Annotated[Optional[str], typer.Option(
    "--since", help="Measured on or after this date/time (YYYY-MM-DD or ISO-8601).", show_default=False)]
UntilOpt = Annotated[Optional[str], typer.Option(
    "--until", help="Measured on or before this date (the whole day) or time.", show_default=False)]
SimOpt = Annotated[bool, typer.Option(
    "--include-simulated", help="Include simulated results (marked by is_simulated).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json or markdown.")]
BenchmarkOpt = Annotated[Optional[str], typer.Option(
    "--benchmark", help="Only this generic benchmark (exact name as its tool gives it, e.g. test_bench.py::test_sort).",
    show_default=False)]
ParamOpt = Annotated[Optional[list[str]], typer.Option(
    "--param", help="Only results whose benchmark parameter KEY has this value: KEY=VALUE (repeatable).",
    show_default=False)]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", help="At most this many rows.", show_default=False)]

query_app = typer.Typer(
    name="query",
    help="Ask the warehouse: latest results, comparisons, trends, compatibility, runs, or SQL.",
    no_args_is_help=True,
)


def _format(fmt: str, as_json: bool) -> str:
    from benchwh.errors import QueryError
    from benchwh.cli.render import FORMATS

    chosen = "json" if as_json else fmt.strip().lower()
    if chosen not in FORMATS:
        from benchwh.suggest import did_you_mean

        hint = did_you_mean(chosen, FORMATS)
        raise QueryError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}{hint}")
    return chosen


def _show(df, fmt: str, title: str, wide: bool = False) -> None:
    """Print ``df``; notes (row count, simulated rows, columns left out) go to stderr in the
    table view. The table fits the terminal (columns that do not fit are left out and named;
    ``--wide`` shows them all, wider than the terminal if need be)."""
    if fmt != "table":
        out(_render(df, fmt))
        return
    from rich.console import Console

    from benchwh.cli.render import to_rich

    console = Console()
    table = to_rich(df, title, width=None if wide else console.width)
    if wide:
        from rich.measure import Measurement

        natural = Measurement.get(console, console.options.update(max_width=1000), table).maximum
        if natural > console.width:
            console = Console(width=min(natural, 1000))
    console.print(table)
    sims = int(df["is_simulated"].sum()) if "is_simulated" in df.columns and df.height else 0
    note = f"{df.height} row(s)"
    if sims:
        note += f", {sims} simulated (dimmed; is_simulated = yes)"
    placeholders = int(df["suspected_placeholder"].fill_null(False).sum()) \
        if "suspected_placeholder" in df.columns and df.height else 0
    if placeholders:
        note += f", {placeholders} suspected placeholder(s) (suspected_placeholder = yes: the same constant on other days)"
    hidden = getattr(table, "hidden_columns", [])
    if hidden:
        note += f"; {len(hidden)} column(s) left out to fit {console.width} columns: {', '.join(hidden)} (--wide shows all)"
    say(note)


FILTERS = (("model", ModelOpt, None), ("hardware", HardwareOpt, None), ("batch_size", BatchOpt, None),
           ("precision", PrecisionOpt, None), ("since", SinceOpt, None), ("until", UntilOpt, None),
           ("include_simulated", SimOpt, False))
GENERIC = (("benchmark", BenchmarkOpt, None), ("param", ParamOpt, None))
OUTPUT = (("fmt", FormatOpt, "table"), ("limit", LimitOpt, None), ("db", DbOpt, None),
          ("data_path", DataPathOpt, None), ("as_json", JsonOpt, False), ("wide", WideOpt, False))


def _answer(kw: dict, title: str | None, method: str, **own: Any) -> None:
    """Print the DataFrame that ``benchwh.Warehouse.<method>`` returns for a command's options
    ``kw`` and its own arguments ``own``: the output options are taken out, the rest are the
    filters as the Warehouse query methods take them."""
    fmt = _format(kw.pop("fmt"), kw.pop("as_json"))
    wh = warehouse(kw.pop("db"), kw.pop("data_path"))
    wide = kw.pop("wide")
    if "param" in kw:
        kw["params"] = kw.pop("param")
    _show(getattr(wh, method)(**kw, **own), fmt, title, wide)


def _render(df, fmt: str) -> str:
    from benchwh.cli.render import render

    return render(df, fmt)


@options(FILTERS, GENERIC, OUTPUT)
def latest(**kw) -> None:
    """The newest result per model (or benchmark + parameters) x hardware x configuration."""
    _answer(kw, "latest results", "latest")


@options(FILTERS, GENERIC, OUTPUT)
def compare_hardware(
    model: Annotated[Optional[str], typer.Option(
        "--model", help="The model to compare across hardware (or give --benchmark).", show_default=False)] = None,
    **kw,
) -> None:
    """One model (or generic benchmark) on every hardware type, per configuration, fastest first."""
    _answer(kw, f"{model or kw['benchmark']} across hardware", "compare_hardware", model=model)


@options(FILTERS, GENERIC, OUTPUT)
def compare_models(
    hardware: Annotated[str, typer.Option("--hardware", help="The hardware type to compare models on.")],
    **kw,
) -> None:
    """Every model (and generic benchmark) on one hardware type, per configuration, fastest first."""
    _answer(kw, f"models on {hardware}", "compare_models", hardware=hardware)


@options(FILTERS, GENERIC, OUTPUT)
def trend(
    hardware: Annotated[str, typer.Option("--hardware", help="The hardware type.")],
    model: Annotated[Optional[str], typer.Option(
        "--model", help="The model (or give --benchmark).", show_default=False)] = None,
    metric: Annotated[str, typer.Option("--metric", help="latency (mean ms), throughput (items/s) or memory (MiB).")] = "latency",
    **kw,
) -> None:
    """A metric over time for one model (or benchmark) on one hardware type, one series per
    configuration (and benchmark parameters)."""
    _answer(kw, f"{metric} of {model or kw['benchmark']} on {hardware}", "trend",
            model=model, hardware=hardware, metric=metric)


@options(FILTERS, OUTPUT)
def matrix(**kw) -> None:
    """Compatibility, model x hardware: the newest evidence (fact or result) and its date."""
    _answer(kw, "compatibility", "matrix")


@options(FILTERS, OUTPUT)
def runs(**kw) -> None:
    """Runs with matching results or compatibility facts, newest first, with counts."""
    _answer(kw, "runs", "runs")


@options(OUTPUT)
def sql(
    statement: Annotated[str, typer.Argument(help="One read-only SELECT query.")],
    dialect: Annotated[str, typer.Option(
        "--dialect", help="The statement's SQL dialect (duckdb, postgres, sqlite, mysql, ...); "
        "it is translated to DuckDB.")] = "duckdb",
    **kw,
) -> None:
    """Run one read-only SQL query on the warehouse (anything else is refused)."""
    _answer(kw, None, "sql", statement=statement, dialect=dialect)


# The subcommands, by name (``benchwh.cli.quick`` runs the option-only ones without typer).
COMMANDS = {"latest": latest, "compare-hardware": compare_hardware, "compare-models": compare_models,
            "trend": trend, "matrix": matrix, "runs": runs, "sql": sql}


def register(app: typer.Typer) -> None:
    for name, command in COMMANDS.items():
        query_app.command(name)(command)
    app.add_typer(query_app, name="query")
