"""``benchwh report``: one self-contained HTML page (and optionally the charts as PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, JsonOpt, location, out, out_json


def report(
    out_html: Annotated[Optional[Path], typer.Option("--out", help="Write the HTML page here.", show_default=False)] = None,
    png: Annotated[Optional[Path], typer.Option("--png", help="Also write every chart as a PNG into this folder.", show_default=False)] = None,
    model: Annotated[Optional[List[str]], typer.Option("--model", help="Only this model (repeatable).", show_default=False)] = None,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hardware comparison per model, trends with regressions marked, the compatibility
    matrix; simulated data marked. Opens without a network (everything inline)."""
    from benchwh.errors import QueryError
    from benchwh.report import write_report

    if out_html is None and png is None:
        raise QueryError("nothing to write: pass `--out report.html` and/or `--png DIR`")
    files = write_report(location(db, data_path), out_html, png, models=model)
    if as_json:
        out_json({"html": files.html, "pngs": files.pngs, "models": files.models, "charts": files.charts})
        return
    if files.html:
        out(f"wrote {files.html} ({files.models} models, {files.charts} charts)")
    if png is not None:
        out(f"wrote {len(files.pngs)} PNG files to {png}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
