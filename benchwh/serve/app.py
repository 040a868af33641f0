"""The ASGI app of ``benchwh serve``.

Safe by default: the CLI binds 127.0.0.1 and refuses a non-loopback host without a token;
with a token every request must carry it (``Authorization: Bearer``, ``X-Benchwh-Token``,
``?token=`` or the cookie a ``?token=`` sets). Every answer has a Content-Security-Policy
that allows only this server's own scripts; every warehouse value is HTML-escaped; the only
SQL a visitor can send goes through ``benchwh.warehouse.sqlguard`` with a row and time limit.
Endpoints are plain functions, which Starlette runs in its thread pool.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Callable

from benchwh.errors import BenchwhError, LocationError, LockedError, QueryError, RevisionError
from benchwh.serve.cached import Background, Cache, Gate, warehouse_stamp
from benchwh.serve.html import esc, href, page, pct, table

CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
TOKEN_COOKIE = "benchwh_token"
ENV_TOKEN = "BENCHWH_SERVE_TOKEN"
RUN_CHOICES = 200  # runs offered in the compare page's pickers (newest first)


@dataclass
class Config:
    db: Any  # a Location
    token: str | None = None
    stale_after_s: float = 60.0
    sql_row_limit: int = 1000
    sql_timeout_s: float = 5.0
    lock_timeout_s: float = 5.0  # how long a request waits for a writer before answering 503
    poll_ms: int = 1000
    stream_s: float = 60.0  # one server-sent-events answer lasts this long (the browser reconnects)
    # The overview's judged series are computed off the request path (benchwh.serve.cached);
    # a request waits this long for them before showing the page without them (it reloads).
    findings_wait_s: float = 1.0
    # A model page waits this long for that read of every model before reading its model alone
    # (one model's read is seconds at a million results where every model's is tens of them,
    # so by default it does not wait: the read of every model serves the pages after it).
    model_wait_s: float = 0.0
    # Host headers accepted (None: any). The CLI sets the loopback names when it binds
    # loopback without a token, so a page on another site cannot reach the app through a
    # DNS name rebound to 127.0.0.1.
    allowed_hosts: tuple[str, ...] | None = None


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _static(name: str) -> tuple[bytes, str]:
    """(bytes, media type) of a static asset: the report's script and style, plotly.js from
    the plotly package, and this app's own script and style."""
    if name == "plotly.min.js":
        from benchwh.report.html import plotly_js

        return plotly_js().encode("utf-8"), "text/javascript"
    pkg = {"report.js": "benchwh.report", "report.css": "benchwh.report",
           "serve.js": "benchwh.serve", "serve.css": "benchwh.serve"}.get(name)
    if pkg is None:
        raise KeyError(name)
    data = (resources.files(pkg) / name).read_bytes()
    return data, "text/javascript" if name.endswith(".js") else "text/css"


def create_app(config: Config):
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    from benchwh.warehouse.open import open_warehouse

    loc = config.db
    cache = Cache(256)
    statics: dict[str, tuple[bytes, str]] = {}

    def compute_findings():
        """Everything the report's data layer reads, for every model, with every series'
        newest point judged as `benchwh regressions` does; change points left out (the
        overview draws no trends; a model page computes its own from this)."""
        from benchwh.regress import Settings
        from benchwh.report.data import gather

        with gate.shared():
            return gather(loc, None, Settings(), timeout_s=config.lock_timeout_s, change_points=lambda _d: [])

    gate = Gate()
    findings = Background(compute_findings, config.findings_wait_s)
    first = warehouse_stamp(loc)
    if first is not None:  # judged before the first visitor asks
        findings.start(first)

    @contextmanager
    def connect(timeout_s: float | None = None, alone: bool = False):
        """A read-only connection for one request; ``alone``: no other connection of this
        process is open meanwhile (the guarded SQL, which locks the instance's settings)."""
        with (gate.exclusive() if alone else gate.shared()), open_warehouse(
                loc, read_only=True, timeout_s=config.lock_timeout_s if timeout_s is None else timeout_s) as con:
            yield con

    def html_page(title: str, body: str, status: int = 200, scripts=()) -> HTMLResponse:
        return HTMLResponse(page(title, body, location=str(loc), scripts=scripts), status_code=status)

    def guarded(fn: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """Turn the warehouse's one-line errors into pages: busy/migrating -> 503, bad
        input (unknown name, bad date) -> 400."""
        def endpoint(request: Request) -> Response:
            try:
                return fn(request)
            except (LockedError, RevisionError, LocationError) as e:
                return html_page("warehouse unavailable", f'<h1>Warehouse unavailable</h1><p class="error">{esc(e)}</p>'
                                 "<p>Reload in a moment: the warehouse is reopened for every request.</p>", 503)
            except QueryError as e:
                return html_page("bad request", f'<h1>Bad request</h1><p class="error">{esc(e)}</p>', 400)
        endpoint.__name__ = fn.__name__
        return endpoint

    def stamped(fn: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """Answer a page from the cache while the warehouse's stamp is unchanged (its query
        string is part of the key); only complete pages (200) are kept."""
        def endpoint(request: Request) -> Response:
            key = (fn.__name__, tuple(sorted(request.query_params.multi_items())), warehouse_stamp(loc))
            hit = cache.get(key)
            if hit is not None:
                return HTMLResponse(hit)
            resp = fn(request)
            if resp.status_code == 200 and isinstance(resp, HTMLResponse):
                cache.put(key, resp.body.decode("utf-8"))
            return resp
        endpoint.__name__ = fn.__name__
        return endpoint

    def arg(request: Request, name: str) -> str | None:
        v = request.query_params.get(name)
        return v.strip() if v and v.strip() else None

    def since_arg(request: Request) -> date | None:
        v = arg(request, "since")
        if v is None:
            return None
        try:
            return date.fromisoformat(v)
        except ValueError:
            raise QueryError(f"since={v!r}: give a date as YYYY-MM-DD") from None

    # --- overview ---------------------------------------------------------------------
    def overview(request: Request) -> Response:
        from benchwh.regress import IMPROVEMENT, REGRESSION
        from benchwh.warehouse import serve_read
        from benchwh.warehouse.queries import resolved

        since = since_arg(request)
        model, hardware = arg(request, "model"), arg(request, "hardware")
        stamp = warehouse_stamp(loc)
        key = ("overview", str(since), model, hardware, stamp)
        hit = cache.get(key)
        if hit is not None:
            return HTMLResponse(hit)
        def tables():
            with connect() as con:
                names = {"model": model, "hardware": hardware}
                if model or hardware:
                    _, names = resolved(con, model=model, hardware=hardware)
                return (names, serve_read.counts(con), serve_read.coverage(con).to_dicts(),
                        serve_read.newest_results(con, 30).to_dicts())

        # Kept apart from the page, which is not kept while the judgement is being computed.
        names, totals, cover, newest = cache.get_or_make(("overview-tables", model, hardware, stamp), tables)
        model, hardware = names["model"], names["hardware"]
        everything, fresh, started = findings.get(stamp)
        judged = everything.latest if everything is not None else None
        order = {REGRESSION: 0, IMPROVEMENT: 1}
        changes = sorted((f for f in judged or () if f.verdict in order
                          and (model is None or f.series.key["model_name"] == model)
                          and (hardware is None or f.series.key["hardware_type"] == hardware)
                          and (since is None or f.current.measured_at.date() >= since)),
                         key=lambda f: (order[f.verdict], f.series.label))
        pending = "" if fresh else (
            f'<p class="pending" id="changes-pending">{"Shown: the judgement of the warehouse before its latest writes; " if judged is not None else ""}'
            f"every series' newest result is being judged for the current data (started {time.time() - started:.0f} s ago); "
            "this page reloads itself until it is done.</p>")
        rows = [{"verdict": f.verdict, "model": f.series.key["model_name"], "series": f.series.label,
                 "baseline": f.judgement.baseline, "current": f.current.value,
                 "change": pct(f.judgement.change_pct), "method": f.judgement.method,
                 "p": f.judgement.p_value, "baseline run": f.baseline_point.run_id if f.baseline_point else None,
                 "run": f.current.run_id, "measured": f.current.measured_at} for f in changes]
        nreg = sum(1 for f in changes if f.verdict == REGRESSION)
        cards = "".join(f'<div class="card{c}"><div class="n">{esc(n)}</div><div class="l">{esc(label)}</div></div>'
                        for n, label, c in (
                            (nreg, "regressions", " reg"), (len(changes) - nreg, "improvements", " imp"),
                            (totals["results"], "results", ""), (totals["runs"], "runs", ""), (totals["models"], "models", ""),
                            (totals["hardware"], "hardware types", ""), (totals["newest"], "newest measurement", "")))
        form = (f'<form class="filters" method="get" action="/"><label>changes since<input name="since" type="date" '
                f'value="{esc(since) if since else ""}"></label><label>model<input name="model" value="{esc(model or "")}">'
                f'</label><label>hardware<input name="hardware" value="{esc(hardware or "")}"></label>'
                '<button type="submit">apply</button></form>')
        model_link = {"model": lambda r: href("/model", name=r["model"]),
                      "model_name": lambda r: href("/model", name=r["model_name"]),
                      "run": lambda r: href("/compare", a=r["baseline run"], b=r["run"]),
                      "run_id": lambda r: href("/runs", run=r["run_id"])}
        body = (f"<h1>Overview</h1>{form}<div class=\"summary\">{cards}</div>"
                f"<section id=\"changes\"><h2>Regressions and improvements{(' since ' + esc(since)) if since else ''}</h2>{pending}"
                "<p class=\"meta\">Each series' newest result against the one before it, as <code>benchwh regressions</code> "
                "judges it. The run links open the comparison of the two runs.</p>"
                + table(rows, ["verdict", "model", "series", "baseline", "current", "change", "method", "p", "run", "measured"],
                        links=model_link, cls="changes", row_attrs=lambda r: f' class="{esc(r["verdict"])}"')
                + "</section><section id=\"coverage\"><h2>Coverage</h2><p class=\"meta\">Completed results per model and hardware.</p>"
                + table(cover, ["model_name", "hardware_type", "measured", "simulated", "newest"], links=model_link)
                + "</section><section id=\"latest\"><h2>Latest results</h2>"
                + table(newest, ["measured_at", "model_name", "hardware_type", "batch_size", "sequence_length", "precision",
                                 "status", "latency_ms_mean", "throughput_items_per_s", "memory_peak_mb", "is_simulated", "run_id"],
                        links=model_link)
                + "</section>")
        if not fresh:  # not cached: reloads (a meta refresh: no script) until the judgement is in
            return HTMLResponse(page("overview", body, location=str(loc), head='<meta http-equiv="refresh" content="3">'))
        text = page("overview", body, location=str(loc))
        cache.put(key, text)
        return HTMLResponse(text)

    # --- model: the report's own page and script, for one model -------------------------
    viewed: dict[str, None] = {}  # model pages asked for, remade in the background after a write
    rewarm = {"stamp": None}

    def warm_viewed(stamp) -> None:
        """After a write, remake the model pages visitors have opened, off the request path
        (a visitor asking for one meanwhile waits for that one, never for the others)."""
        if stamp is None or rewarm["stamp"] == stamp:
            return
        rewarm["stamp"] = stamp

        def work():
            for name in list(viewed):
                if warehouse_stamp(loc) != stamp:
                    return  # written again: the next request starts over
                try:
                    cache.get_or_make(("model", name, stamp), lambda: render_model(name))
                except Exception:  # noqa: BLE001 - a request for it shows the error itself
                    continue

        threading.Thread(target=work, daemon=True, name="benchwh-serve-warm").start()

    def model_page(request: Request) -> Response:
        name = arg(request, "name")
        if name is None:
            raise QueryError("which model? open /model?name=MODEL (the overview links every model)")
        stamp = warehouse_stamp(loc)
        text = cache.get_or_make(("model", name, stamp), lambda: render_model(name))
        viewed[name] = None
        warm_viewed(stamp)
        return HTMLResponse(text)

    def render_model(name: str) -> str:
        from benchwh.regress import Settings
        from benchwh.report import compat_cells
        from benchwh.report import html as rhtml
        from benchwh.report.data import for_model, gather
        from benchwh.warehouse.queries import resolved
        from benchwh.warehouse.report_read import failed_count

        # The read of every model, once done for this stamp, is the cheapest source; until it
        # is, this model is read alone (``model_wait_s``).
        everything = findings.wait(warehouse_stamp(loc), config.model_wait_s)
        if everything is not None:  # the overview's read of every model, judged: slice this one
            with connect() as con:
                _, names = resolved(con, model=name)
                failed = failed_count(con, [names["model"]])
            data = for_model(everything, names["model"], failed)
        else:
            with gate.shared():
                _, names = resolved(loc, model=name)
                data = gather(loc, [names["model"]], Settings(), timeout_s=config.lock_timeout_s)
        model = names["model"]
        payload = rhtml.build_payload(data, Settings())
        cells, cm, chw = compat_cells(data.compat)
        body = (f"<h1>{esc(model)}</h1>"
                '<p id="progress" class="progress" role="status">loading the data…</p>'
                '<div id="summary" class="summary"></div><div id="controls" class="controls"></div>'
                '<section id="changes"><h2>Latest changes</h2><div id="changes-body"></div></section>'
                '<section id="models"><h2>Hardware comparison, trends and distributions</h2><p class="meta">Hover a point '
                'for its value, samples, run, commit and file; drag to zoom; click a legend entry to hide it. '
                'Box = raw latency samples, diamond = the stored mean.</p><div id="model-list"></div></section>'
                f'<section id="compatibility"><h2>Compatibility</h2>{rhtml.compat_table(cells, cm, chw)}</section>'
                f'<script type="application/octet-stream" id="payload">{payload}</script>')
        return page(model, body, location=str(loc), scripts=("/static/plotly.min.js", "/static/report.js"))

    # --- compare two runs ---------------------------------------------------------------
    def compare(request: Request) -> Response:
        from benchwh.regress import (
            IMPROVEMENT, REGRESSION, Baseline, Series, Settings, build_series, judge_many, select_metrics,
        )
        from benchwh.warehouse import serve_read

        a, b = arg(request, "a"), arg(request, "b")
        ca, cb = arg(request, "ca"), arg(request, "cb")
        if (a or b) and (ca or cb):
            raise QueryError("compare two runs (a=, b=) or two commits (ca=, cb=), not both")
        with connect() as con:
            ids = serve_read.run_ids(con, limit=RUN_CHOICES)

            def pick(v: str | None, which: str) -> str | None:
                if v is None:
                    return None
                hits = serve_read.runs_matching(con, v)
                if len(hits) != 1:
                    raise QueryError(f"{which}={v!r}: {len(hits)} runs match; give more characters of the run id")
                return hits[0]

            def pick_commit(v: str | None, which: str) -> tuple[str, list[str]] | None:
                if v is None:
                    return None
                hits = serve_read.commits_matching(con, v)
                if len(hits) != 1:
                    raise QueryError(f"{which}={v!r}: {len(hits)} commits of stored runs match; give more characters")
                return next(iter(hits.items()))

            if ca or cb:
                sa, sb = pick_commit(ca, "ca"), pick_commit(cb, "cb")
                side_a = (f"commit {sa[0]}", set(sa[1])) if sa else None
                side_b = (f"commit {sb[0]}", set(sb[1])) if sb else None
            else:
                a, b = pick(a, "a"), pick(b, "b")
                side_a = (f"run {a}", {a}) if a else None
                side_b = (f"run {b}", {b}) if b else None
            frame = serve_read.runs_frame(con, sorted(side_a[1] | side_b[1])) if side_a and side_b else None
        # The newest runs to choose from (a compared older run is listed too); any run id or
        # prefix works in the URL.
        opts = lambda cur: "".join(f'<option value="{esc(r)}"{" selected" if r == cur else ""}>{esc(r)}</option>'
                                   for r in ([cur] if cur and cur not in ids else []) + ids)
        form = (f'<form class="filters" method="get" action="/compare"><label>baseline run<select name="a">'
                f'<option value=""></option>{opts(a)}</select></label><label>current run<select name="b">'
                f'<option value=""></option>{opts(b)}</select></label><button type="submit">compare</button></form>'
                f'<form class="filters" method="get" action="/compare"><label>baseline commit<input name="ca" '
                f'value="{esc(ca or "")}"></label><label>current commit<input name="cb" value="{esc(cb or "")}"></label>'
                '<button type="submit">compare commits</button></form>')
        if not (side_a and side_b):
            return html_page("compare", f"<h1>Compare two runs or two commits</h1>{form}"
                             "<p>Pick a baseline and a current run, or give two commits.</p>")
        items, only = [], {0: 0, 1: 0}
        for s in build_series(frame, select_metrics(None)):
            # Each side's newest point of the series (a commit may have several runs).
            pa = [p for p in s.points if p.run_id in side_a[1]]
            pb = [p for p in s.points if p.run_id in side_b[1]]
            if pa and pb:
                items.append((Series(key=s.key, metric=s.metric, points=[pa[-1], pb[-1]]), 1, Baseline("previous")))
            else:
                only[0 if pa else 1] += 1
        findings = judge_many(items, Settings())
        rank = {REGRESSION: 0, IMPROVEMENT: 1}
        findings.sort(key=lambda f: (rank.get(f.verdict, 2), -abs(f.judgement.change_pct or 0)))
        rows = [{"verdict": f.verdict, "series": f.series.label, "baseline": f.judgement.baseline,
                 "current": f.current.value, "change": pct(f.judgement.change_pct), "method": f.judgement.method,
                 "p": f.judgement.p_value, "why": f.judgement.reason} for f in findings]
        nreg = sum(1 for f in findings if f.verdict == REGRESSION)
        nimp = sum(1 for f in findings if f.verdict == IMPROVEMENT)
        body = (f"<h1>Compare</h1>{form}<p class=\"meta\">baseline <code>{esc(side_a[0])}</code> → current "
                f"<code>{esc(side_b[0])}</code>: {len(findings)} series in both, {nreg} regressions, {nimp} improvements; "
                f"{only[0]} series only in the baseline, {only[1]} only in the current side. Mann-Whitney U on raw samples where both sides have "
                f"enough of them, else the {Settings().threshold_pct:g}% threshold.</p>"
                + table(rows, ["verdict", "series", "baseline", "current", "change", "method", "p", "why"], cls="compare",
                        row_attrs=lambda r: f' class="{esc(r["verdict"])}"'))
        return html_page("compare", body)

    # --- compatibility matrix -------------------------------------------------------------
    def matrix(request: Request) -> Response:
        from benchwh.report import compat_cells
        from benchwh.report.html import compat_table
        from benchwh.warehouse.read import latest_compat_frame

        with connect() as con:
            cells, cm, chw = compat_cells(latest_compat_frame(con))
        return html_page("compatibility", f"<h1>Compatibility matrix</h1>{compat_table(cells, cm, chw)}")

    # --- runs and live progress -------------------------------------------------------------
    def runs(request: Request) -> Response:
        from benchwh.warehouse.serve_read import newest_runs

        try:
            limit = int(arg(request, "limit") or 100)
        except ValueError:
            raise QueryError("limit: give a number of runs") from None
        if limit < 1:
            raise QueryError("limit: give a number of runs (1 or more)")
        with connect() as con:
            rows = newest_runs(con, limit).to_dicts()
        live = (f'<section id="live" data-poll-ms="{int(config.poll_ms)}"><h2>In progress</h2>'
                '<p class="meta">Published by running benchmarks beside the warehouse; updates without reload '
                '(server-sent events, else polling). '
                f'A run not heard from for {config.stale_after_s:g} s whose process is gone is shown stale.</p>'
                '<table class="live"><thead><tr><th>run</th><th>what</th><th>state</th><th>progress</th><th>last configuration</th>'
                '<th>ETA</th><th>results stored</th><th>updated</th><th>process</th><th>error</th></tr></thead>'
                '<tbody id="live-body"></tbody></table><p id="live-note" class="meta"></p></section>')
        body = (f"<h1>Runs</h1>{live}<section><h2>Runs in the warehouse</h2>"
                + table(rows, ["run_id", "source", "started_at", "git_commit", "host", "results", "compatibility_facts",
                               "simulated", "models", "hardware_types", "last_measured_at"])
                + "</section>")
        return html_page("runs", body, scripts=("/static/serve.js",))

    def progress_doc() -> dict[str, Any]:
        """Every published progress with the results each run has stored so far."""
        from benchwh.progress import progress_dir, read_all
        from benchwh.warehouse import serve_read

        docs = read_all(progress_dir(loc), config.stale_after_s)
        note = None
        ids = [d["run_id"] for d in docs if d.get("run_id")]
        counts: dict[str, int] = {}
        if ids:
            try:
                with connect(timeout_s=0.5) as con:
                    counts = serve_read.results_per_run(con, ids)
            except (LockedError, RevisionError, LocationError) as e:
                note = f"warehouse busy: {e}"
        for d in docs:
            d["results"] = counts.get(d.get("run_id"), 0) if note is None else None
        return {"runs": docs, "warehouse_note": note}

    def api_progress(request: Request) -> Response:
        return JSONResponse(progress_doc(), headers={"Cache-Control": "no-store"})

    async def api_progress_stream(request: Request) -> Response:
        """The same document as server-sent events, every ``poll_ms`` while it changes, for
        ``stream_s`` seconds (then the browser's EventSource reconnects by itself)."""
        import asyncio
        import json

        from starlette.concurrency import run_in_threadpool
        from starlette.responses import StreamingResponse

        async def events():
            last, end = None, time.monotonic() + config.stream_s
            yield f"retry: {int(config.poll_ms)}\n\n"
            while time.monotonic() < end and not await request.is_disconnected():
                text = json.dumps(await run_in_threadpool(progress_doc), default=str)
                if text != last:
                    yield f"data: {text}\n\n"
                    last = text
                await asyncio.sleep(config.poll_ms / 1000)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # --- guarded SQL ---------------------------------------------------------------------
    def sql_page(request: Request) -> Response:
        from benchwh.warehouse.serve_read import guarded_sql

        q = request.query_params.get("q") or ""
        form = (f'<form method="get" action="/sql"><textarea name="q" rows="6">{esc(q) if q else ""}</textarea>'
                '<button type="submit">run</button></form>'
                f'<p class="meta">One read-only SELECT, checked as <code>benchwh query sql</code> checks it; at most '
                f'{config.sql_row_limit} rows and {config.sql_timeout_s:g} s.</p>')
        if not q.strip():
            return html_page("SQL", f"<h1>SQL</h1>{form}")
        try:
            with connect(alone=True) as con:
                frame, cut = guarded_sql(con, q, is_lake=loc.is_lake, limit=config.sql_row_limit,
                                         timeout_s=config.sql_timeout_s)
        except QueryError as e:
            return html_page("SQL", f'<h1>SQL</h1>{form}<p class="error" id="sql-error">{esc(e)}</p>', 400)
        note = f"<p class=\"meta\">first {config.sql_row_limit} rows shown (row limit)</p>" if cut else ""
        return html_page("SQL", f"<h1>SQL</h1>{form}{note}" + table(frame.to_dicts(), frame.columns, cls="sql"))

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in statics:
            try:
                statics[name] = _static(name)
            except KeyError:
                return PlainTextResponse("not found", 404)
        data, media = statics[name]
        return Response(data, media_type=media, headers={"Cache-Control": "max-age=3600"})

    def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    class Guard:
        """Token check and security headers on every response (pure ASGI)."""

        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] != "http":
                return await self.app(scope, receive, send)
            request = Request(scope)
            set_cookie = False
            if config.allowed_hosts is not None:
                host = (request.headers.get("host") or "").lower()
                name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
                if name not in config.allowed_hosts:
                    resp = PlainTextResponse(f"unexpected Host header {host!r}: open the app by its bound address", 400)
                    return await self._secured(resp)(scope, receive, send)
            if config.token:
                given = [request.headers.get("x-benchwh-token"), request.cookies.get(TOKEN_COOKIE)]
                auth = request.headers.get("authorization") or ""
                if auth.lower().startswith("bearer "):
                    given.append(auth[7:].strip())
                q = request.query_params.get("token")
                ok = any(g and hmac.compare_digest(g.encode(), config.token.encode()) for g in given)
                if not ok and q and hmac.compare_digest(q.encode(), config.token.encode()):
                    ok = set_cookie = True
                if not ok:
                    resp = PlainTextResponse("token required: send it as 'Authorization: Bearer TOKEN', "
                                             "X-Benchwh-Token or ?token=", 401)
                    return await self._secured(resp)(scope, receive, send)

            async def send_secured(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers += [(k.encode(), v.encode()) for k, v in self.headers().items()]
                    if set_cookie:
                        headers.append((b"set-cookie", f"{TOKEN_COOKIE}={config.token}; HttpOnly; SameSite=Strict; Path=/".encode()))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_secured)

        @staticmethod
        def headers() -> dict[str, str]:
            return {"content-security-policy": CSP, "x-content-type-options": "nosniff",
                    "referrer-policy": "no-referrer", "x-frame-options": "DENY"}

        def _secured(self, resp):
            resp.headers.update(self.headers())
            return resp

    routes = [
        Route("/", guarded(overview)), Route("/model", guarded(model_page)), Route("/compare", guarded(stamped(compare))),
        Route("/matrix", guarded(stamped(matrix))), Route("/runs", guarded(stamped(runs))), Route("/sql", guarded(sql_page)),
        Route("/api/progress", api_progress), Route("/api/progress/stream", api_progress_stream), Route("/static/{name}", static), Route("/healthz", health),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard)])
    app.state.cache = cache  # what is kept between requests (its keys end with the stamp)
    return app


def serve(config: Config, host: str = "127.0.0.1", port: int = 8765, log: bool = True) -> None:
    """Run the app with uvicorn. Refuses a non-loopback host without a token."""
    if not is_loopback(host) and not config.token:
        raise QueryError(f"--host {host} is reachable from other machines: pass --token (or set "
                         f"{ENV_TOKEN}) so every request must carry it")
    try:
        import uvicorn
    except ImportError:
        from benchwh.errors import MissingExtraError

        raise MissingExtraError("serve", "benchwh serve") from None
    uvicorn.run(create_app(config), host=host, port=port, log_level="info" if log else "warning",
                access_log=log)
