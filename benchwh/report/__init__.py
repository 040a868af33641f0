"""Reports: one self-contained interactive HTML page and the same charts as PNG files.

``write_report(db, out_html, png_dir)`` is ``benchwh report``; ``visualize(db, model_names,
out_png)`` draws the hardware comparison of some models into one PNG (what the runners'
``--visualize-from-db`` calls). The page draws with plotly.js (inlined); PNGs use
matplotlib's Agg canvas, imported inside functions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from benchwh.errors import QueryError
from benchwh.regress import Settings

__all__ = ["ReportFiles", "visualize", "write_report"]


@dataclass
class ReportFiles:
    html: Path | None = None
    pngs: list[Path] = field(default_factory=list)
    models: int = 0
    charts: int = 0
    series: int = 0


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "model"


def compat_cells(compat) -> tuple[dict, list[str], list[str]]:
    """Model x hardware cells from the latest facts (``benchwh.warehouse.read.COMPAT_SELECT`` rows): the
    measured fact when there is one, else the simulated one, flagged."""
    cells: dict[tuple[str, str], dict] = {}
    for r in compat.iter_rows(named=True):
        if r["model_name"] is None or r["hardware_type"] is None:
            continue
        k, sim = (r["model_name"], r["hardware_type"]), bool(r["is_simulated"])
        if k in cells and not cells[k]["simulated"]:
            continue  # a measured fact beats a simulated one
        cells[k] = {"compatible": r["compatible"], "simulated": sim, "error": r["error"]}
    models = sorted({m for m, _ in cells})
    hardware = sorted({h for _, h in cells})
    return cells, models, hardware


def write_report(db, out_html: Path | str | None, png_dir: Path | str | None = None,
                 models: Iterable[str] | None = None, settings: Settings = Settings(),
                 timeout_s: float | None = None, progress: Callable[[str], None] | None = None,
                 change_points: Callable | None = None) -> ReportFiles:
    """Read warehouse ``db`` and write the interactive HTML page to ``out_html`` (if given)
    and the charts as ``png_dir/<chart>.png`` (if given). ``progress`` gets one line per step;
    ``change_points`` replaces :func:`benchwh.report.changepoints.change_points`. Returns what
    was written."""
    from benchwh.report import html
    from benchwh.report.data import gather

    say = progress or (lambda _msg: None)
    if png_dir is not None:
        require_png("benchwh report --png")  # before reading anything
    data = gather(db, models, settings, timeout_s, progress=say, change_points=change_points)
    files = ReportFiles(models=len(data.models), series=data.keys.height)
    cells, cmodels, chw = compat_cells(data.compat)
    if out_html is not None:
        say("encoding the data")
        payload = html.build_payload(data, settings)
        text = html.page(data, payload, html.compat_table(cells, cmodels, chw))
        files.html = Path(out_html)
        files.html.parent.mkdir(parents=True, exist_ok=True)
        files.html.write_text(text, encoding="utf-8")
        files.charts = 2 * len(data.models) + (1 if cells else 0)
        say(f"wrote {files.html} ({len(text) / 1e6:.1f} MB)")
    if png_dir is not None:
        files.pngs = _write_pngs(data, Path(png_dir), cells, cmodels, chw, say)
    return files


def require_png(what: str) -> None:
    """PNG charts need matplotlib, the ``png`` extra: say so in one line without it."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        from benchwh.errors import MissingExtraError

        raise MissingExtraError("png", what)


def _write_pngs(data, folder: Path, cells, cmodels, chw, say) -> list[Path]:
    """The same charts as PNG files: per model the newest result per hardware and
    configuration, and every series over time (newest-point verdicts marked); the
    compatibility grid."""
    import polars as pl

    from benchwh.regress import SERIES_KEY, build_series, select_metrics
    from benchwh.report import charts

    pts = data.points.with_columns(pl.lit(None, pl.List(pl.Float64)).alias("latency_samples_ms"))
    marks: dict[tuple, list] = {}
    for f in data.latest:
        marks.setdefault((tuple(f.series.key[c] for c in SERIES_KEY), f.series.metric.name), []).append(f)
    out: list[Path] = []
    metrics = select_metrics(list(charts.TITLES))
    for n, model in enumerate(data.models, 1):
        say(f"PNG {n}/{len(data.models)}: {model}")
        rows = pts.filter(pl.col("model_name") == model)
        fig = charts.hardware_figure(rows, model)
        if fig is not None:
            out.append(charts.save_png(fig, folder / f"hardware_{_slug(model)}.png"))
        series = build_series(rows, metrics, data.annotations)
        history = {id(s): marks.get((tuple(s.key[c] for c in SERIES_KEY), s.metric.name), []) for s in series}
        fig = charts.trend_figure(series, history, model)
        if fig is not None:
            out.append(charts.save_png(fig, folder / f"trend_{_slug(model)}.png"))
    cfig = charts.compat_figure(cells, cmodels, chw)
    if cfig is not None:
        out.append(charts.save_png(cfig, folder / "compatibility.png"))
    return out


def visualize(db, model_names: Iterable[str] | None, out_png: Path | str) -> Path:
    """Draw the latest mean latency and throughput per hardware of each of ``model_names``
    (all models if empty) from warehouse ``db`` into one PNG at ``out_png``; returns its path.
    Raises QueryError when none of the models has a completed result."""
    require_png("--visualize-from-db")
    from benchwh.report import charts
    from benchwh.report.data import gather

    names = [m for m in (model_names or [])]
    data = gather(db, names or None)
    if not data.models:
        which = ", ".join(names) if names else "any model"
        raise QueryError(f"no completed results for {which} in {data.location}: run a benchmark "
                         "or `benchwh import` first")
    metrics = [m for m in charts.TITLES if data.points[m].is_not_null().any()]
    fig = charts.new_figure(5.5 * len(metrics), 3.4 * len(data.models))
    axes = fig.subplots(len(data.models), len(metrics), squeeze=False)
    for row, model in zip(axes, data.models):
        rows = data.points.filter(data.points["model_name"] == model)
        for ax, m in zip(row, metrics):
            if not charts.draw_hardware_bars(ax, rows, m, f"{model}: {charts.TITLES[m]}"):
                ax.set_axis_off()
                ax.set_title(f"{model}: no {m}", fontsize=10)
    return charts.save_png(fig, Path(out_png))
