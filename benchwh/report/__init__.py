"""Reports: one self-contained HTML page and the same charts as PNG files.

``write_report(db, out_html, png_dir)`` is ``benchwh report``; ``visualize(db, model_names,
out_png)`` draws the hardware comparison of some models into one PNG (what the runners'
``--visualize-from-db`` calls). Charts use matplotlib's Agg canvas, imported inside functions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from benchwh.errors import QueryError
from benchwh.regress import Settings

__all__ = ["ReportFiles", "visualize", "write_report"]


@dataclass
class ReportFiles:
    html: Path | None = None
    pngs: list[Path] = field(default_factory=list)
    models: int = 0
    charts: int = 0


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
                 timeout_s: float | None = None) -> ReportFiles:
    """Read warehouse ``db`` and write the HTML page to ``out_html`` (if given) and every
    chart as ``png_dir/<chart>.png`` (if given). Returns what was written."""
    from benchwh.report import charts, html
    from benchwh.report.data import gather

    data = gather(db, models, settings, timeout_s)
    files = ReportFiles(models=len(data.models))
    figures: list[tuple[str, str, str, object]] = []  # (section, key, caption, figure)
    for model in data.models:
        rows = data.results.filter(data.results["model_name"] == model)
        fig = charts.hardware_figure(rows, model)
        if fig is not None:
            figures.append(("hardware", f"hardware_{_slug(model)}",
                            f"{model}: latest mean latency and throughput per hardware and configuration", fig))
        model_series = [s for s in data.series if s.key["model_name"] == model]
        fig = charts.trend_figure(model_series, data.history, model)
        if fig is not None:
            figures.append(("trends", f"trend_{_slug(model)}",
                            f"{model}: results over time, regressions marked", fig))
    for name in data.benchmarks:  # generic benchmarks: one chart pair per benchmark name
        import polars as pl

        rows = data.results.filter(pl.col("model_name").is_null() & (pl.col("benchmark") == name))
        # names differing only in punctuation must not share a chart key
        tag = f"{_slug(name)}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        fig = charts.hardware_figure(rows, name)
        if fig is not None:
            figures.append(("hardware", f"benchmark_hardware_{tag}",
                            f"{name}: latest result per hardware and parameters", fig))
        bench_series = [s for s in data.series if s.key["model_name"] is None and s.key["benchmark"] == name]
        fig = charts.trend_figure(bench_series, data.history, name)
        if fig is not None:
            figures.append(("trends", f"benchmark_trend_{tag}",
                            f"{name}: results over time, regressions marked", fig))
    cells, cmodels, chw = compat_cells(data.compat)
    cfig = charts.compat_figure(cells, cmodels, chw)
    if cfig is not None:
        figures.append(("compat", "compatibility", "compatibility of each model on each hardware", cfig))
    files.charts = len(figures)
    rendered: dict[str, html.Chart] = {}
    for _, key, cap, fig in figures:
        png = Path(png_dir) / f"{key}.png" if png_dir is not None else None
        svg = charts.render(fig, png, svg=out_html is not None)
        if png is not None:
            files.pngs.append(png)
        if svg is not None:
            rendered[key] = html.Chart(key, cap, svg)
    if out_html is not None:
        pick = lambda sec: [rendered[k] for s, k, _, _ in figures if s == sec]  # noqa: E731
        compat = pick("compat")
        text = html.page(data, pick("hardware"), pick("trends"),
                         html.compat_table(cells, cmodels, chw), compat[0] if compat else None)
        files.html = Path(out_html)
        files.html.parent.mkdir(parents=True, exist_ok=True)
        files.html.write_text(text, encoding="utf-8")
    return files


def visualize(db, model_names: Iterable[str] | None, out_png: Path | str) -> Path:
    """Draw the latest mean latency and throughput per hardware of each of ``model_names``
    (all models if empty) from warehouse ``db`` into one PNG at ``out_png``; returns its path.
    Raises QueryError when none of the models has a completed result."""
    from benchwh.report import charts
    from benchwh.report.data import gather

    names = [m for m in (model_names or [])]
    data = gather(db, names or None)
    if not data.models:
        which = ", ".join(names) if names else "any model"
        raise QueryError(f"no completed results for {which} in {data.location}: run a benchmark "
                         "or `benchwh import` first")
    metrics = [m for m in charts.TITLES if data.results[m].is_not_null().any()]
    fig = charts.new_figure(5.5 * len(metrics), 3.4 * len(data.models))
    axes = fig.subplots(len(data.models), len(metrics), squeeze=False)
    for row, model in zip(axes, data.models):
        rows = data.results.filter(data.results["model_name"] == model)
        for ax, m in zip(row, metrics):
            if not charts.draw_hardware_bars(ax, rows, m, f"{model}: {charts.TITLES[m]}"):
                ax.set_axis_off()
                ax.set_title(f"{model}: no {m}", fontsize=10)
    return charts.save_png(fig, Path(out_png))
