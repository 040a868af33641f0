"""HTML pieces of ``benchwh serve``: every value from the warehouse goes through ``esc``."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any, Iterable
from urllib.parse import urlencode

NAV = (("/", "Overview"), ("/runs", "Runs"), ("/compare", "Compare"), ("/matrix", "Compatibility"),
       ("/sql", "SQL"))


def esc(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return escape(f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}")
    if isinstance(value, datetime):
        return escape(value.isoformat(sep=" ", timespec="seconds"))
    return escape(str(value))


def href(path: str, **params: Any) -> str:
    q = {k: v for k, v in params.items() if v not in (None, "")}
    return escape(path + ("?" + urlencode(q) if q else ""))


def page(title: str, body: str, *, location: str, head: str = "", scripts: Iterable[str] = ()) -> str:
    nav = " ".join(f'<a href="{p}">{escape(t)}</a>' for p, t in NAV)
    tags = "".join(f'<script src="{escape(s)}"></script>' for s in scripts)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · benchwh</title>"
            '<link rel="stylesheet" href="/static/report.css"><link rel="stylesheet" href="/static/serve.css">'
            f"{head}</head><body><nav class=\"top\">{nav}</nav>"
            f"<p class=\"meta\">warehouse <code>{escape(location)}</code></p>{body}{tags}</body></html>\n")


def table(rows: list[dict[str, Any]], columns: list[str], *, links: dict[str, Any] | None = None,
          cls: str = "", row_attrs=None) -> str:
    """A table of ``rows``; ``links[col](row)`` gives an href for that cell."""
    if not rows:
        return '<p class="empty">nothing to show</p>'
    links = links or {}
    out = [f'<table class="{escape(cls)}"><thead><tr>' + "".join(f"<th>{escape(c)}</th>" for c in columns)
           + "</tr></thead><tbody>"]
    for r in rows:
        attrs = row_attrs(r) if row_attrs else ""
        tds = []
        for c in columns:
            v = r.get(c)
            num = isinstance(v, (int, float)) and not isinstance(v, bool)
            text = esc(v)
            if c in links and v is not None:
                text = f'<a href="{links[c](r)}">{text}</a>'
            tds.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        out.append(f"<tr{attrs}>{''.join(tds)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v:+.1f}%"
