"""The report page: one self-contained, interactive HTML file.

Everything is inline: CSS, plotly.js (from the plotly package) and the data (encoded once by
``benchwh.report.payload``); nothing is fetched, so the file opens anywhere without a
network. The page decodes the data, then draws a model's charts only when its section
scrolls into view or a filter changes, so a warehouse of 10,000 series stays one quick page.
Every text from the warehouse reaches the page as data (JSON) and is inserted as text.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from importlib import resources
from typing import Any

from benchwh.regress import IMPROVEMENT, REGRESSION, SERIES_KEY
from benchwh.report.charts import config_label

def plotly_js() -> str:
    """plotly.js as shipped inside the plotly Python package (no network). Found without
    importing the package (its import costs more than reading the file)."""
    from importlib.util import find_spec
    from pathlib import Path

    from benchwh.errors import BenchwhError

    spec = find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise BenchwhError("the report needs the plotly package (pip install 'plotly>=6,<8')")
    path = Path(list(spec.submodule_search_locations)[0]) / "package_data" / "plotly.min.js"
    return path.read_text(encoding="utf-8")


def _epoch_s(t: datetime) -> float:
    from datetime import timezone

    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()


def _dict_ids(series, nullable: bool = True):
    """(ids as uint32, dictionary) of a Polars string/int series; id 0 is None."""
    import numpy as np
    import polars as pl

    uniq = series.drop_nulls().unique().sort()
    values = [None, *uniq.to_list()]
    lookup = pl.DataFrame({"v": uniq, "i": pl.arange(1, uniq.len() + 1, eager=True).cast(pl.UInt32)})
    ids = (pl.DataFrame({"v": series}).join(lookup, on="v", how="left", maintain_order="left")["i"]
           .fill_null(0).to_numpy().astype(np.uint32))
    return ids, values


def build_payload(data, settings) -> str:
    """The page's data (``benchwh.report.payload`` text) for ``data`` (a ReportData)."""
    import numpy as np
    import polars as pl

    from benchwh.report.data import CHART_METRICS
    from benchwh.report.payload import encode

    pts, keys = data.points, data.keys
    nk = keys.height
    metrics = [m for m in CHART_METRICS if pts.height and pts[m[0]].is_not_null().any()]
    key_rows = keys.to_dicts()
    cfg_labels = [config_label(r) for r in key_rows]
    kcols: dict[str, list] = {}
    dicts: dict[str, list] = {}
    for name, col in (("model", "model_name"), ("hw", "hardware_type"), ("device", "device_name"),
                      ("prec", "precision")):
        ids, values = _dict_ids(keys[col].cast(pl.String))
        kcols[name], dicts[name] = ids.tolist(), values
    ids, values = _dict_ids(pl.Series(cfg_labels, dtype=pl.String))
    kcols["cfg"], dicts["cfg"] = ids.tolist(), values
    kcols["sim"] = [1 if r["is_simulated"] else 0 for r in key_rows]
    # Configuration order inside a model: mode, scenario, batch, sequence, ..., then hardware.
    sort_cols = ("mode", "scenario", "batch_size", "sequence_length", "input_shape", "precision",
                 "hardware_type", "device_name", "is_simulated")
    ranked = sorted(range(nk), key=lambda k: tuple(
        (key_rows[k][c] is not None, key_rows[k][c] if key_rows[k][c] is not None else 0) for c in sort_cols))
    rank = [0] * nk
    for pos, k in enumerate(ranked):
        rank[k] = pos
    kcols["order"] = rank

    counts = np.bincount(pts["key"].to_numpy().astype(np.int64), minlength=nk) if pts.height else np.zeros(nk, int)
    koff = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint32)
    t0 = _epoch_s(pts["measured_at"].min()) if pts.height else 0.0
    tsec = ((pts["measured_at"].dt.epoch("ms").to_numpy() / 1000.0) - t0) if pts.height else np.zeros(0)
    run_ids, dicts["run"] = _dict_ids(pts["run_id"])
    commit_ids, dicts["commit"] = _dict_ids(pts["git_commit"])
    src_ids, dicts["source"] = _dict_ids(pts["source_file"])
    flagged = pts.select(pl.when(pl.col("suspected_placeholder").fill_null(False))
                         .then(pl.col("placeholder_evidence").fill_null("suspected placeholder"))
                         .otherwise(None).cast(pl.String)).to_series()
    placeholder_ids, dicts["placeholder"] = _dict_ids(flagged)
    columns: dict[str, tuple[str, Any]] = {
        "koff": ("u4", koff), "t": ("u4", np.round(tsec).astype(np.uint32)), "run": ("u4", run_ids),
        "commit": ("u4", commit_ids), "src": ("u4", src_ids), "ns": ("u4", pts["n_samples"].to_numpy()),
        # suspected placeholder (the same constant on other days): 0 none, else 1 + its evidence's id
        "ph": ("u4", placeholder_ids),
    }
    for col, *_ in metrics:
        columns[col] = ("f4", pts[col].cast(pl.Float64).fill_null(float("nan")).to_numpy())
    lens = np.zeros(nk, dtype=np.int64)
    for k, arr in data.samples.items():
        lens[k] = len(arr)
    columns["soff"] = ("u4", np.concatenate([[0], np.cumsum(lens)]).astype(np.uint32))
    parts = [np.asarray(data.samples[k], dtype=np.float32) for k in sorted(data.samples)]
    columns["sval"] = ("f4", np.concatenate(parts) if parts else np.zeros(0, np.float32))

    kidx = data.key_index()
    counts_by = {"measured": {}, "simulated": {}}
    changes = []
    for f in data.latest:
        k = kidx[tuple(f.series.key[c] for c in SERIES_KEY)]
        side = "simulated" if f.series.key.get("is_simulated") else "measured"
        counts_by[side][f.verdict] = counts_by[side].get(f.verdict, 0) + 1
        if f.verdict not in (REGRESSION, IMPROVEMENT):
            continue
        j = f.judgement
        stat = f"p={j.p_value:.2g}" if j.p_value is not None else (f"z={j.z:+.2f}" if j.z is not None else "")
        changes.append({
            "k": k, "m": f.series.metric.name, "v": f.verdict,
            "c": None if j.change_pct is None else round(j.change_pct, 3),
            "b": j.baseline, "cur": f.current.value, "run": f.current.run_id,
            "at": _epoch_s(f.current.measured_at) - t0, "how": f"{j.method} {stat}".strip(),
            "why": j.reason or "",
        })
    annotations = []
    for a in data.annotations:
        applies = [k for k, r in enumerate(key_rows)
                   if any(a.matches(r, m[0], None) for m in metrics)]
        if applies:
            annotations.append({"t": _epoch_s(a.effective_at) - t0, "note": a.note or "",
                                "keys": applies, "metric": a.metric})
    cps = [{"k": int(c.key), "m": c.metric, "t": _epoch_s(c.at) - t0, "note": c.note}
           for c in data.change_points]
    newest = None
    if pts.height:
        # The newest measured run (a simulated one only when nothing was measured).
        measured = pts.filter(~pl.col("is_simulated"))
        row = (measured if measured.height else pts).sort(["measured_at", "result_id"]).row(-1, named=True)
        newest = {"run": row["run_id"], "at": row["measured_at"].isoformat(sep=" ", timespec="seconds"),
                  "commit": row["git_commit"], "model": row["model_name"], "simulated": bool(row["is_simulated"])}
    header = {
        "location": data.location, "t0": t0, "results": pts.height, "simulated": data.simulated_results,
        "failed": data.failed_results, "placeholders": int(placeholder_ids.astype(bool).sum()), "newest": newest, "dicts": dicts, "keys": kcols,
        "metrics": [{"col": c, "title": t, "unit": u, "lower": lo} for c, t, u, lo in metrics],
        "verdicts": counts_by, "changes": changes, "annotations": annotations, "changepoints": cps,
        "threshold_pct": settings.threshold_pct,
    }
    return encode(header, columns)


def compat_table(cells: dict[tuple[str, str], dict], models: list[str], hardware: list[str]) -> str:
    """Model x hardware: measured fact first; a cell with only a simulated fact is hatched,
    badged and hidden with the rest of the simulated data."""
    if not cells:
        return "<p>No compatibility facts in this warehouse.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in hardware)
    out = [f'<table class="compat"><thead><tr><th>model</th>{head}</tr></thead><tbody>']
    words = {True: ("ok", "ran"), False: ("bad", "failed"), None: ("unk", "unknown")}
    for m in models:
        tds = []
        for h in hardware:
            c = cells.get((m, h))
            if c is None:
                tds.append('<td class="matrix"></td>')
                continue
            cls, word = words[c["compatible"]]
            title = f' title="{escape(c["error"])}"' if c.get("error") else ""
            badge = '<span class="sim">simulated</span>' if c["simulated"] else ""
            tds.append(f'<td class="matrix {cls}{" simonly" if c["simulated"] else ""}"{title}>'
                       f'<span class="cell">{word}{badge}</span></td>')
        out.append(f'<tr data-model="{escape(m)}"><td>{escape(m)}</td>{"".join(tds)}</tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def _asset(name: str) -> str:
    return (resources.files("benchwh.report") / name).read_text(encoding="utf-8")


def page(data, payload: str, compat_html: str) -> str:
    """The whole HTML document: summary, filters, one section per model, compatibility."""
    title = "benchwh report"
    # </script> cannot occur in base64 text; the JS assets are ours.
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>", f"<style>{_asset('report.css')}</style></head><body>",
        f'<header><h1>{title}</h1><p class="meta">warehouse <code>{escape(data.location)}</code></p>',
        '<p id="progress" class="progress" role="status">loading the data…</p>',
        '<div id="summary" class="summary"></div></header>',
        '<div id="controls" class="controls"></div>',
        '<section id="changes"><h2>Latest changes</h2><p class="meta">Each series\' newest result '
        "against the one before it, as <code>benchwh regressions</code> judges it (Mann-Whitney U on raw "
        "samples where both results have enough of them, else the threshold). Latency and memory: lower "
        'is better; throughput: higher is better.</p><div id="changes-body"></div></section>',
        '<section id="models"><h2>Models</h2><p class="meta">Per model: every series over time '
        "(hover a point for its value, samples, run, commit and file; drag to zoom, double-click to reset; "
        "click a legend entry to hide it) and the newest result of every configuration and hardware: "
        "box = raw latency samples, diamond = the stored mean.</p><div id=\"model-list\"></div></section>",
        f'<section id="compatibility"><h2>Compatibility matrix</h2>{compat_html}</section>',
        f'<script type="application/octet-stream" id="payload">{payload}</script>',
        f"<script>{plotly_js()}</script>",
        f"<script>{_asset('report.js')}</script>",
        "</body></html>",
    ]) + "\n"


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))
