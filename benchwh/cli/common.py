"""Options every command shares, and output helpers."""

from __future__ import annotations

import json
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


def location(db: str | None, data_path: str | None = None):
    from benchwh.warehouse.location import resolve

    return resolve(db, data_path)


def say(msg: str) -> None:
    """Progress and notes go to stderr so stdout stays parseable."""
    print(msg, file=sys.stderr)


def out(text: str) -> None:
    print(text)


def out_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=False, default=str))

WideOpt = Annotated[bool, typer.Option("--wide", help="Table: every column and whole lines, even wider than the terminal.")]
