"""``benchwh export``: write the flat results table (the export contract) to files."""

from __future__ import annotations

from typing import Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, JsonOpt, out, out_json, warehouse


# File extensions -> the format they mean.
EXTENSIONS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
              ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow"}


def infer_format(out_path: str, fmt: str | None, folder: bool) -> str:
    """The export format: ``--format`` if given, else the one ``--out``'s extension names
    (parquet for a folder output without one). Refuses a ``--format`` the extension
    contradicts, and a file whose extension names no format."""
    from pathlib import PurePath

    from benchwh.errors import QueryError

    ext = PurePath(out_path).suffix.lower()
    implied = EXTENSIONS.get(ext)
    if fmt is not None:
        chosen = fmt.strip().lower()
        if implied is not None and implied != chosen:
            raise QueryError(f"--out {out_path} says {implied} but --format says {chosen}: "
                             f"rename the file or drop --format")
        return chosen
    if implied is not None:
        return implied
    if folder or not ext:
        return "parquet"
    raise QueryError(f"--out {out_path}: cannot tell the format from '{ext}'; pass --format "
                     "parquet, csv, jsonl or arrow (or use .parquet/.csv/.jsonl/.arrow)")


def export(
    out_path: Annotated[str, typer.Option("--out", help="File to write; a folder with --partition-by or --incremental.")],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="parquet, csv, jsonl or arrow (Arrow IPC file); default: from the --out extension "
        "(.parquet, .csv, .jsonl, .arrow), else parquet for a folder.", show_default=False)] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Only this model.", show_default=False)] = None,
    hardware: Annotated[Optional[str], typer.Option("--hardware", help="Only this hardware type.", show_default=False)] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only results measured on or after this date/time.",
                                                 show_default=False)] = None,
    partition_by: Annotated[Optional[str], typer.Option(
        "--partition-by", help="Hive layout by these columns, comma-separated (e.g. hardware_type,model_name).",
        show_default=False)] = None,
    incremental: Annotated[bool, typer.Option(
        "--incremental", help="Add only results not yet exported to the folder (keeps a manifest there).")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file or folder.")] = False,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export every result (simulated ones included and flagged) as one flat table.

    Columns: the export contract's. Parquet/Arrow metadata: schema revision, benchwh version.
    """
    parts = [c for c in (partition_by or "").split(",") if c.strip()]
    fmt = infer_format(out_path, fmt, folder=bool(parts) or incremental)
    result = warehouse(db, data_path).export(out_path, fmt, model=model, hardware=hardware, since=since,
                                             partition_by=parts, incremental=incremental, overwrite=overwrite)
    if as_json:
        out_json(result.as_dict())
        return
    what = "new result(s)" if incremental else "result(s)"
    where = f"{len(result.files)} file(s) under {result.path}" if result.path.is_dir() else str(result.path)
    out(f"exported {result.rows:,} {what} as {result.format} to {where}")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
