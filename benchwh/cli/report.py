"""``benchwh report``: one self-contained HTML page (and optionally the charts as PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import options, out, out_json, warehouse


@options()
def report(
    out_html: Annotated[Optional[Path], typer.Option("--out", help="Write the HTML page here.", show_default=False)] = None,
    png: Annotated[Optional[Path], typer.Option("--png", help="Also write every chart as a PNG into this folder.", show_default=False)] = None,
    model: Annotated[Optional[List[str]], typer.Option("--model", help="Only this model (repeatable).", show_default=False)] = None,
    db=None, data_path=None, as_json=False,  # the shared options (``options``)
) -> None:
    """One interactive page: a summary, every series of every model over time (hover,
    zoom, filters by model, hardware, precision), raw-sample distributions beside the means,
    the compatibility matrix; simulated data hidden until shown. Opens without a network."""
    from benchwh.errors import QueryError
    if out_html is None and png is None:
        raise QueryError("nothing to write: pass `--out report.html` and/or `--png DIR`")
    import sys
    import time

    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        if not as_json:
            print(f"report [{time.perf_counter() - t0:5.1f}s] {msg}", file=sys.stderr, flush=True)

    files = warehouse(db, data_path).report(out_html, png, models=model, progress=progress)
    if as_json:
        out_json({"html": files.html, "pngs": files.pngs, "models": files.models, "series": files.series,
                  "charts": files.charts})
        return
    if files.html:
        out(f"wrote {files.html} ({files.models} models, {files.series} series, {files.charts} charts)")
    if png is not None:
        out(f"wrote {len(files.pngs)} PNG files to {png}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
