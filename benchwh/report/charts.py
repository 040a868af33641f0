"""The report's charts, drawn with matplotlib's object API (no pyplot state, Agg canvas).

Simulated data is always told apart: hatched bars, dashed lines, "(simulated)" in labels and
hatched cells in the compatibility grid. Each ``*_figure`` function returns a Figure, or None
when there is nothing to draw; ``svg_bytes``/``save_png`` render one.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

from benchwh.regress import IMPROVEMENT, REGRESSION, Finding, Series

HATCH = "///"
TITLES = {"latency_ms_mean": "mean latency (ms, lower is better)",
          "throughput_items_per_s": "throughput (items/s, higher is better)"}


def new_figure(width: float, height: float):
    from matplotlib.figure import Figure

    # "tight": one layout pass when saved; "constrained" solved it again per draw and was half
    # of `report --png` on the corpus (17.5 s -> 14.5 s; labels and legends laid out alike).
    fig = Figure(figsize=(width, height), dpi=100, layout="tight")
    return fig


def _color(hardware_type: str) -> Any:
    """One colour per hardware type, the same in every chart."""
    from matplotlib import colormaps

    from benchwh.normalize import HARDWARE_TYPES

    order = list(HARDWARE_TYPES)
    # Unknown types get a stable colour from their name (hash() changes between processes).
    i = order.index(hardware_type) if hardware_type in order else len(order) + zlib.crc32(hardware_type.encode()) % 5
    return colormaps["tab10"](i % 10)


def config_label(row: dict[str, Any]) -> str:
    """Short text for a configuration: ``b8 s128 fp16`` (mode and scenario when not plain;
    a generic benchmark's parameters first: ``n=1000``)."""
    parts = []
    if row.get("benchmark_params"):
        import json

        parts.append(",".join(f"{k}={v}" for k, v in json.loads(row["benchmark_params"]).items()))
    if row.get("mode") not in (None, "inference"):
        parts.append(str(row["mode"]))
    if row.get("scenario"):
        parts.append(str(row["scenario"]))
    if row.get("batch_size") is not None:
        parts.append(f"b{row['batch_size']}")
    if row.get("sequence_length") is not None:
        parts.append(f"s{row['sequence_length']}")
    if row.get("input_shape"):
        parts.append(str(row["input_shape"]))
    if row.get("precision"):
        parts.append(str(row["precision"]))
    return " ".join(parts) or "default"


def hardware_label(hw: str, device: str | None, simulated: bool) -> str:
    return hw + (f" {device}" if device and device != hw else "") + (" (simulated)" if simulated else "")


def _latest_by_hardware(rows, metric: str):
    """Latest value of ``metric`` per (config, hardware, device, simulated) from one model's
    flat rows (a Polars frame). Returns (configs, hardware variants, {(config, variant): v})."""
    import polars as pl

    df = rows.filter(pl.col(metric).is_not_null())
    if df.height == 0:
        return [], [], {}
    df = df.sort(["measured_at", "result_id"])
    values: dict[tuple[str, tuple], float] = {}
    coverage: dict[str, set] = {}
    order: dict[str, tuple] = {}
    for r in df.iter_rows(named=True):
        cfg = config_label(r)
        var = (r["hardware_type"], r["device_name"], bool(r["is_simulated"]))
        values[(cfg, var)] = r[metric]  # later rows overwrite: the latest wins
        coverage.setdefault(cfg, set()).add(var)
        order[cfg] = tuple(-1 if r[c] is None else r[c] for c in ("batch_size", "sequence_length"))
    # Configurations measured on the most hardware first (those are the comparisons), then
    # by batch size and sequence length.
    # Every configuration, by batch size and sequence length: none is left out.
    configs = sorted(coverage, key=lambda c: (order[c], c))
    variants = sorted({v for c in configs for v in coverage[c]}, key=lambda v: (v[2], v[0], v[1] or ""))
    return configs, variants, values


def draw_hardware_bars(ax, rows, metric: str, title: str | None = None) -> bool:
    """Grouped bars on ``ax``: configurations on x, one bar per hardware variant. False
    (nothing drawn) when no row has ``metric``."""
    configs, variants, values = _latest_by_hardware(rows, metric)
    if not configs:
        return False
    # Bars of one configuration sit side by side, centred on its tick, whatever the number
    # of hardware variants that configuration has.
    present = {c: [v for v in variants if (c, v) in values] for c in configs}
    width = 0.8 / max(len(vs) for vs in present.values())
    shown = []
    for var in variants:
        xs, ys = [], []
        for i, c in enumerate(configs):
            if var in present[c]:
                k, n = present[c].index(var), len(present[c])
                xs.append(i + (k - (n - 1) / 2) * width)
                ys.append(values[(c, var)])
        hw, dev, sim = var
        ax.bar(xs, ys, width=width * 0.95, color=_color(hw), alpha=0.45 if sim else 0.9,
               hatch=HATCH if sim else None, edgecolor="black" if sim else "none", linewidth=0.6,
               label=hardware_label(hw, dev, sim))
        shown.extend(ys)
    tilt = len(configs) > 3 or max(len(c) for c in configs) > 12
    ax.set_xticks(range(len(configs)), configs, rotation=35 if tilt else 0, ha="right" if tilt else "center",
                  fontsize=8 if len(configs) > 12 else 9)
    positive = [v for v in shown if v > 0]
    if positive and max(positive) / min(positive) > 20:
        ax.set_yscale("log")
    ax.set_title(title or TITLES.get(metric, metric), fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return True


def hardware_figure(rows, model: str):
    """One model's latest latency and throughput per hardware, side by side."""
    metrics = [m for m in TITLES if m in rows.columns and rows[m].is_not_null().any()]
    if not metrics:
        return None
    configs = len({config_label(r) for r in rows.iter_rows(named=True)})
    # Wide enough for every configuration's bars and label: one panel per row when many.
    width = max(5.5, 0.45 * configs + 3)
    per_row = 1 if width > 9 else len(metrics)
    fig = new_figure(width * per_row, 3.8 * (len(metrics) // per_row))
    axes = fig.subplots(len(metrics) // per_row, per_row, squeeze=False).ravel()
    for ax, m in zip(axes, metrics):
        draw_hardware_bars(ax, rows, m)
    fig.suptitle(f"{model}: latest result per hardware", fontsize=11)
    return fig


def _pick_lines(series: list[Series], history: dict[int, list[Finding]]) -> list[Series]:
    """Every series with 2+ points, in configuration order."""
    return sorted((s for s in series if len(s.points) >= 2), key=lambda s: s.label)


def draw_trend(ax, series: list[Series], history: dict[int, list[Finding]], annotations=()) -> bool:
    """Lines over time, regressions marked with red crosses, improvements with green
    triangles, annotated expected changes as dotted vertical lines."""
    lines = _pick_lines(series, history)
    if not lines:
        return False
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    from matplotlib import colormaps

    palette = colormaps["tab10"]
    marked_r = marked_i = False
    for n, s in enumerate(lines):
        k = s.key
        xs = [p.measured_at for p in s.points]
        ys = [p.value for p in s.points]
        sim = bool(k.get("is_simulated"))
        label = hardware_label(k["hardware_type"], k.get("device_name"), sim) + " " + config_label(k)
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.2, linestyle="--" if sim else "-",
                color=palette(n % 10), alpha=0.6 if sim else 1.0, label=label)
        for f in history.get(id(s), []):
            if f.verdict == REGRESSION:
                ax.scatter([f.current.measured_at], [f.current.value], marker="X", s=110, color="#d62728",
                           zorder=5, edgecolor="black", linewidth=0.5, label=None if marked_r else "regression")
                marked_r = True
            elif f.verdict == IMPROVEMENT:
                ax.scatter([f.current.measured_at], [f.current.value], marker="^", s=70, color="#2ca02c",
                           zorder=5, edgecolor="black", linewidth=0.5, label=None if marked_i else "improvement")
                marked_i = True
    resets = sorted({t for s in lines for t in s.resets})
    for i, t in enumerate(resets):
        ax.axvline(t, color="grey", linestyle=":", linewidth=1.2, label=None if i else "expected change (annotated)")
    loc = AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
    positive = [p.value for s in lines for p in s.points if p.value > 0]
    if positive and max(positive) / min(positive) > 20:
        ax.set_yscale("log")
    metric = lines[0].metric.name
    ax.set_title(TITLES.get(metric, metric), fontsize=10)
    ax.grid(alpha=0.3)
    # Below the plot: a trend's lines fill the whole area, a legend inside would hide them.
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2 if len(lines) < 20 else 3,
              frameon=False)
    return True


def trend_figure(series: list[Series], history: dict[int, list[Finding]], model: str):
    """One model's trends, one panel per charted metric with a series of 2+ points."""
    by_metric = {m: [s for s in series if s.metric.name == m and len(s.points) >= 2] for m in TITLES}
    panels = [m for m, ss in by_metric.items() if ss]
    if not panels:
        return None
    lines = max(len(by_metric[m]) for m in panels)
    # The legend below grows with the lines: the figure grows with it.
    fig = new_figure(6.5 * len(panels), 4.2 + 0.13 * lines)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, m in zip(axes, panels):
        draw_trend(ax, by_metric[m], history)
    fig.suptitle(f"{model}: trend over time", fontsize=11)
    return fig


def compat_figure(cells: dict[tuple[str, str], dict], models: list[str], hardware: list[str]):
    """Grid of model x hardware: green ran, red failed, grey unknown; hatched = only a
    simulated fact. ``cells`` maps (model, hardware) to {"compatible": bool|None,
    "simulated": bool}."""
    if not cells:
        return None
    from matplotlib.patches import Rectangle

    longest = max(len(m) for m in models)
    fig = new_figure(max(4.5, 0.07 * longest + 0.9 * len(hardware)), 1.2 + 0.28 * len(models))
    ax = fig.subplots()
    colours = {True: "#2ca02c", False: "#d62728", None: "#bbbbbb"}
    for i, m in enumerate(models):
        for j, h in enumerate(hardware):
            c = cells.get((m, h))
            if c is None:
                continue
            ax.add_patch(Rectangle((j, i), 0.95, 0.9, facecolor=colours[c["compatible"]],
                                   alpha=0.45 if c["simulated"] else 0.9,
                                   hatch=HATCH if c["simulated"] else None, edgecolor="black", linewidth=0.4))
    ax.set_xlim(0, len(hardware))
    ax.set_ylim(len(models), 0)
    ax.set_xticks([j + 0.47 for j in range(len(hardware))], hardware, fontsize=8)
    ax.set_yticks([i + 0.45 for i in range(len(models))], models, fontsize=7)
    ax.xaxis.tick_top()
    ax.set_title("compatibility\ngreen ran, red failed, grey unknown; hatched: simulated only", fontsize=8)
    return fig


def svg_bytes(fig) -> bytes:
    """The figure as a standalone SVG document (text kept as text: smaller, searchable)."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "benchwh"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def save_png(fig, path: Path, dpi: int = 110) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi, metadata={"Software": None})
    return path


def render(fig, png_path: Path | None = None, svg: bool = True) -> bytes | None:
    """Write ``fig`` as PNG (if ``png_path``) and return it as SVG (if ``svg``). The layout
    is computed on the first render and then kept, so the second render skips it (layout is
    most of the drawing time)."""
    if png_path is not None:
        save_png(fig, png_path)
        fig.set_layout_engine("none")
    return svg_bytes(fig) if svg else None

