"""Options every command shares, and output helpers."""

from __future__ import annotations

import sys
from typing import Any, Optional

import typer
from typing_extensions import Annotated

DbOpt = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        help="Warehouse: a DuckDB file, ducklake:FILE.ducklake or ducklake:postgres:CONNINFO "
        "(default: $BENCHWH_DB, else ./benchwh.duckdb).",
        show_default=False,
    ),
]
DataPathOpt = Annotated[
    Optional[str],
    typer.Option("--data-path", help="DuckLake data folder (default: $BENCHWH_DATA_PATH).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def warehouse(db: str | None, data_path: str | None = None):
    """The ``benchwh.Warehouse`` that ``--db``/``--data-path`` name (nothing is opened yet)."""
    from benchwh.api import Warehouse

    return Warehouse(db, data_path)


def say(msg: str) -> None:
    """Progress and notes go to stderr so stdout stays parseable."""
    print(msg, file=sys.stderr)


def out(text: str) -> None:
    print(text)


def out_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (orjson: the stdlib encoder is pure Python once
    indented). Times and other non-JSON values are written as ``str`` gives them; NaN and
    infinities, which JSON has no spelling for, as null."""
    import orjson

    opts = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
    print(orjson.dumps(value, default=str, option=opts).decode())


WideOpt = Annotated[bool, typer.Option("--wide", help="Table: every column and whole lines, even wider than the terminal.")]


# Options many commands share, by parameter name: a command that declares one of these
# parameters without an annotation gets this option (``options``).
SHARED = {"db": DbOpt, "data_path": DataPathOpt, "as_json": JsonOpt, "wide": WideOpt}


def options(*groups: tuple[tuple[str, Any, Any], ...]):
    """Complete a command function's signature for typer. A parameter declared without an
    annotation takes the shared option of its name (``SHARED``); each group of
    ``(name, annotated option, default)`` adds keyword parameters the command does not declare
    itself, which it receives in ``**kw``. The function is called unchanged."""
    import functools
    import inspect

    def complete(f):
        sig = inspect.signature(f, eval_str=True)
        params = [p if p.annotation is not p.empty else p.replace(annotation=SHARED[p.name])
                  for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
        declared = {p.name for p in params}
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
                 for group in groups for name, ann, default in group if name not in declared]
        if extra and not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            raise TypeError(f"{f.__name__} takes option groups but no **kw")

        @functools.wraps(f)
        def command(*args: Any, **kw: Any) -> Any:
            return f(*args, **kw)

        command.__signature__ = sig.replace(parameters=params + extra)
        command.__annotations__ = {p.name: p.annotation for p in params + extra}
        return command

    return complete
