"""The report page: one self-contained HTML file.

Everything is inline: CSS in a <style> element, charts as ``data:image/svg+xml`` images, no
script and no external reference, so the file opens anywhere without a network. Every text
from the warehouse is escaped.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html import escape
from typing import Any

from benchwh.regress import IMPROVEMENT, REGRESSION

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto;
       max-width: 1200px; color: #222; line-height: 1.4; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2rem; }
h3 { margin: 1.2rem 0 .3rem; font-size: 1rem; }
.meta { color: #555; margin: .2rem 0; }
.simnote { background: repeating-linear-gradient(45deg, #fff8e1, #fff8e1 8px, #ffecb3 8px, #ffecb3 16px);
           border: 1px solid #e0b000; padding: .5rem .8rem; border-radius: 4px; }
nav a { margin-right: 1rem; }
figure { margin: .5rem 0 1.2rem; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .85rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.regression { color: #b00020; font-weight: 600; } .improvement { color: #1b7f2a; font-weight: 600; }
.sim { display: inline-block; font-size: .7rem; padding: 0 .3rem; border-radius: 3px; margin-left: .3rem;
       background: repeating-linear-gradient(45deg, #ffe082, #ffe082 3px, #fff3c4 3px, #fff3c4 6px);
       border: 1px solid #c79a00; color: #5d4300; text-transform: uppercase; letter-spacing: .03em; }
td.ok { background: #d8f0dc; } td.bad { background: #f8d7da; } td.unk { background: #eee; }
td.simonly { background-image: repeating-linear-gradient(45deg, transparent, transparent 4px,
             rgba(0,0,0,.12) 4px, rgba(0,0,0,.12) 6px); }
td.matrix { text-align: center; min-width: 4.5rem; }
"""


@dataclass
class Chart:
    """One rendered chart: its anchor, caption and SVG bytes."""

    key: str
    caption: str
    svg: bytes


def _img(chart: Chart) -> str:
    data = base64.b64encode(chart.svg).decode("ascii")
    return (f'<figure id="{escape(chart.key)}"><img class="chart" alt="{escape(chart.caption)}" '
            f'src="data:image/svg+xml;base64,{data}"><figcaption>{escape(chart.caption)}</figcaption></figure>')


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    return escape(str(v))


def _sim_badge(sim: bool) -> str:
    return '<span class="sim">simulated</span>' if sim else ""


def findings_table(findings: list) -> str:
    """Regressions and improvements of each series' latest point."""
    rows = [f for f in findings if f.verdict in (REGRESSION, IMPROVEMENT)]
    if not rows:
        return "<p>No series' latest result is a regression or an improvement against the one before it.</p>"
    out = ["<table><thead><tr><th>series</th><th>baseline</th><th>current</th><th>change</th>"
           "<th>p / z</th><th>verdict</th><th>measured</th></tr></thead><tbody>"]
    for f in rows:
        j, s = f.judgement, f.series
        stat = f"p={j.p_value:.2g}" if j.p_value is not None else (f"z={j.z:+.2f}" if j.z is not None else "–")
        label = s.label.replace(" [simulated]", "")
        out.append(
            f"<tr><td>{escape(label)}{_sim_badge(bool(s.key.get('is_simulated')))}</td>"
            f'<td class="num">{_fmt(j.baseline)}</td><td class="num">{_fmt(f.current.value)}</td>'
            f'<td class="num">{j.change_pct:+.1f}%</td><td>{stat} ({escape(j.method)})</td>'
            f'<td class="{f.verdict}">{f.verdict}</td><td>{escape(f.current.measured_at.isoformat(sep=" ", timespec="seconds"))}</td></tr>'
        )
    out.append("</tbody></table>")
    return "\n".join(out)


def compat_table(cells: dict[tuple[str, str], dict], models: list[str], hardware: list[str]) -> str:
    """Model x hardware: measured fact first; a cell with only a simulated fact is hatched
    and badged."""
    if not cells:
        return "<p>No compatibility facts in this warehouse.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in hardware)
    out = [f"<table><thead><tr><th>model</th>{head}</tr></thead><tbody>"]
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
            tds.append(f'<td class="matrix {cls}{" simonly" if c["simulated"] else ""}"{title}>'
                       f'{word}{_sim_badge(c["simulated"])}</td>')
        out.append(f"<tr><td>{escape(m)}</td>{''.join(tds)}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def page(data, hardware_charts: list[Chart], trend_charts: list[Chart], compat_html: str,
         compat_chart: Chart | None) -> str:
    """The whole HTML document for ``data`` (a ReportData) and its rendered charts."""
    res = data.results
    n, sim = res.height, data.simulated_results
    span = ""
    if n:
        span = (f"; measured {res['measured_at'].min():%Y-%m-%d %H:%M} to "
                f"{res['measured_at'].max():%Y-%m-%d %H:%M}")
    hw = sorted(set(res["hardware_type"].to_list())) if n else []
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>benchwh report</title>", f"<style>{CSS}</style></head><body>",
        "<header><h1>benchwh report</h1>",
        f'<p class="meta">warehouse <code>{escape(data.location)}</code>: {n:,} completed results '
        f"({sim:,} simulated), {data.failed_results:,} failed attempts, {len(data.models)} models, "
        f"{len(getattr(data, 'benchmarks', []))} generic benchmarks, "
        f"hardware {escape(', '.join(hw)) or '–'}{span}.</p>",
        f'<p class="simnote">Simulated data (not measured on the named hardware): {sim:,} of {n:,} results. '
        "Shown hatched and faded in bar charts, dashed in trends, and marked "
        '<span class="sim">simulated</span> in tables. It is never pooled with measured data.</p>',
        '<nav><a href="#changes">latest changes</a><a href="#hardware">hardware comparison</a>'
        '<a href="#trends">trends</a><a href="#compatibility">compatibility</a></nav></header>',
        '<section id="changes"><h2>Latest changes</h2>',
        "<p class=\"meta\">Each series' latest result against the one before it (Mann-Whitney U on raw "
        "samples where they allow it, else the threshold). Latency and memory: lower is better; "
        "throughput: higher is better.</p>",
        findings_table(data.latest), "</section>",
        '<section id="hardware"><h2>Hardware comparison per model</h2>',
        *([_img(c) for c in hardware_charts] or ["<p>No completed results with latency or throughput.</p>"]),
        "</section>", '<section id="trends"><h2>Trends</h2>',
        '<p class="meta">Series with two or more points. Red crosses: regressions against the previous '
        "point; green triangles: improvements; dotted lines: annotated expected changes.</p>",
        *([_img(c) for c in trend_charts] or ["<p>No series has two points yet.</p>"]),
        "</section>", '<section id="compatibility"><h2>Compatibility matrix</h2>',
        compat_html, _img(compat_chart) if compat_chart else "", "</section>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
