"""``benchwh serve`` in Debian's Chromium, driven by Playwright (no browser download), on a
live uvicorn server on loopback: the overview lists the corpus's regressions; a model
page's trend hover shows run and commit; the compare page between the corpus's two runs
around the bert-base-uncased jump shows it; a run recorded by another process appears on
the runs page, its progress and stored results move, and it turns stale once the process
is killed. Screenshots go to test-artifacts/serve/. No page may break its CSP."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="benchwh serve needs the serve extra (pip install '.[serve]')")
uvicorn = pytest.importorskip("uvicorn", reason="benchwh serve needs the serve extra (pip install '.[serve]')")

from conftest import CORPUS, run_cli  # noqa: E402
from test_report import TINY, build_report_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "serve"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
COMMITTED = "acme/committed"
JUMP = "bert-base-uncased | cpu | mode=inference batch=1 seq=32 | latency_ms_mean"

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install -y chromium)"),
]

# Playwright predicates are functions: a string expression would need eval, which the CSP refuses.
DONE_AT_LEAST = "([id, n]) => (document.querySelector(`#live-body tr[data-run=\"${id}\"]`)?.dataset.done|0) >= n"

# A benchmark in another process: a plain recorder script (its progress is published by
# the recorder itself), one result per configuration, then it hangs on its last configuration
# until killed.
RUNNER = r"""
import sys, time
from benchwh.runners.recorder import Recorder
db, total = sys.argv[1], int(sys.argv[2])
with Recorder(db, origin="test.live", flush_every=1, total=total, what="inference", say=lambda m: None) as rec:
    print(rec.run.run_id, flush=True)
    for i in range(total - 1):
        time.sleep(0.8)
        rec.result("acme/live", "cpu", batch_size=i + 1, latency_ms_mean=1.0 + i)
    while True:
        time.sleep(1)
"""


class Server:
    """uvicorn serving the app on a free loopback port, in a thread of this process."""

    def __init__(self, db: str, **config):
        from benchwh.serve.app import Config, create_app
        from benchwh.warehouse.location import resolve

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cfg = uvicorn.Config(create_app(Config(db=resolve(db), **config)), host="127.0.0.1", port=self.port,
                             log_level="warning", access_log=False)
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install '.[dev]')")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def corpus_server(tmp_path_factory):
    if not CORPUS.is_dir():
        pytest.skip(f"legacy corpus not found at {CORPUS}")
    db = str(tmp_path_factory.mktemp("serve_corpus") / "corpus.duckdb")
    assert run_cli("migrate", "--db", db).code == 0
    res = run_cli("import", str(CORPUS), "--db", db)
    assert res.code == 0, res.stderr
    srv = Server(db)
    yield srv, db
    srv.close()


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve_small")
    db = str(base / "wh.duckdb")
    build_report_warehouse(base / "legacy", db, run_cli)
    from benchwh.runners.recorder import Recorder

    for i in range(2):  # runs that carry a git commit (the Recorder captures this checkout's)
        with Recorder(db, origin="test.commit", say=lambda m: None) as rec:
            rec.result(COMMITTED, "cpu", batch_size=1, latency_ms_mean=2.0 + i)
    srv = Server(db, stale_after_s=1.5, poll_ms=300)
    yield srv, db
    srv.close()


class Opened:
    """A page with its console errors, page errors and CSP violations recorded."""

    def __init__(self, browser, url: str, width: int = 1400):
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "assert") and self.problems.append(f"{m.text} at {m.location}"))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        resp = self.page.goto(url)
        assert resp.status == 200, (url, resp.status)
        assert "script-src 'self'" in resp.headers["content-security-policy"]

    def shot(self, name: str, locator=None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        (locator or self.page).screenshot(path=str(path), **({} if locator else {"full_page": False}))
        assert path.stat().st_size > 1000
        return path

    def close(self) -> None:
        self.page.close()
        assert not self.problems, self.problems


def test_overview_lists_the_corpus_regressions(browser, corpus_server):
    from benchwh.regress import REGRESSION, Settings, find_regressions

    srv, db = corpus_server
    expected = sorted(f.series.label for f in find_regressions(db, Settings()).findings if f.verdict == REGRESSION)
    assert JUMP in expected
    o = Opened(browser, srv.url + "/")
    try:
        rows = o.page.locator("#changes table.changes tbody tr.regression")
        shown = sorted(rows.locator("td:nth-child(3)").all_text_contents())
        assert shown == expected
        cards = o.page.locator(".summary .card.reg .n").text_content()
        assert int(cards) == len(expected)
        o.shot("overview.png")
        # The filter lives in the URL: since the day after the jump, it is gone.
        o.page.goto(srv.url + "/?since=2025-03-06&model=bert-base-uncased")
        later = o.page.locator("#changes tbody tr.regression td:nth-child(3)").all_text_contents()
        assert JUMP not in later
        assert o.page.locator("input[name=since]").input_value() == "2025-03-06"
    finally:
        o.close()


def test_compare_page_shows_the_bert_base_jump(browser, corpus_server):
    from benchwh.regress import Settings, find_regressions

    srv, db = corpus_server
    jump = [f for f in find_regressions(db, Settings(), model="bert-base-uncased").findings if f.series.label == JUMP][0]
    a, b = jump.baseline_point.run_id, jump.current.run_id
    o = Opened(browser, f"{srv.url}/compare?a={a}&b={b}")
    try:
        rows = o.page.locator("table.compare tbody tr")
        found = [rows.nth(i).locator("td").all_text_contents() for i in range(rows.count())]
        found = [r for r in found if r[1] == JUMP]  # (distilbert-base-uncased contains the name)
        assert len(found) == 1, found
        cells = found[0]
        assert cells[0] == "regression" and cells[5] == "mwu" and float(cells[6]) < 0.002
        assert cells[4] == f"{jump.judgement.change_pct:+.1f}%"
        assert float(cells[2]) == pytest.approx(jump.baseline_point.value, rel=1e-3)
        assert float(cells[3]) == pytest.approx(jump.current.value, rel=1e-3)
        assert o.page.locator("select[name=a]").input_value() == a
        o.shot("compare.png")
    finally:
        o.close()


def test_model_page_trend_hover_shows_run_and_commit(browser, small_server):
    from benchwh.warehouse.open import open_warehouse

    srv, db = small_server
    with open_warehouse(db, read_only=True) as con:
        commits = {r[0]: r[1] for r in con.execute(
            "SELECT ru.run_id, ru.git_commit FROM runs ru WHERE ru.origin = 'test.commit'").fetchall()}
    assert len(commits) == 2 and all(commits.values()), commits
    o = Opened(browser, f"{srv.url}/model?name={COMMITTED}")
    try:
        o.page.wait_for_function("() => window.benchwhReport && window.benchwhReport.ready", timeout=60_000)
        section = o.page.locator(f'section.model[data-model="{COMMITTED}"]')
        section.scroll_into_view_if_needed()
        o.page.wait_for_function("m => (document.querySelector(`section.model[data-model=\"${m}\"]`)?.dataset.rendered|0) > 0",
                                 arg=COMMITTED, timeout=30_000)
        trend = section.locator(".trend")
        trend.locator(".scatterlayer .trace").first.locator(".points path").first.hover(force=True)
        hover = o.page.locator(".hoverlayer .hovertext").first
        hover.wait_for(timeout=10_000)
        text = hover.text_content()
        run = [r for r in commits if f"run: {r}" in text]
        assert len(run) == 1, (commits, text)
        assert f"commit: {commits[run[0]]}" in text, text
        o.shot("model_hover.png", section)
    finally:
        o.close()


def test_a_run_in_another_process_shows_progress_then_turns_stale(browser, small_server):
    srv, db = small_server
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, db, "6"], stdout=subprocess.PIPE, text=True)
    o = None
    try:
        run_id = proc.stdout.readline().strip()
        assert run_id, "the runner printed no run id"
        o = Opened(browser, srv.url + "/runs")
        row = o.page.locator(f'#live-body tr[data-run="{run_id}"]')
        row.wait_for(timeout=15_000)
        assert row.get_attribute("data-state") == "running"
        assert o.page.locator("#live").get_attribute("data-transport") == "sse"  # server-sent events
        o.page.wait_for_function(DONE_AT_LEAST, arg=[run_id, 2], timeout=20_000)
        first = int(row.get_attribute("data-done"))
        o.shot("runs_running.png")
        o.page.wait_for_function(DONE_AT_LEAST, arg=[run_id, 5], timeout=20_000)
        assert int(row.get_attribute("data-done")) > first  # it moved without a reload
        cells = row.locator("td").all_text_contents()
        assert cells[2] == "running" and "5 of 6" in cells[3] and cells[4] == "acme/live cpu b5"
        o.page.wait_for_function(
            "id => document.querySelector(`#live-body tr[data-run=\"${id}\"] td:nth-child(7)`)?.textContent === '5'",
            arg=run_id, timeout=10_000)  # its results are in the warehouse, counted there
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        o.page.wait_for_function(
            "id => document.querySelector(`#live-body tr[data-run=\"${id}\"]`)?.dataset.state === 'stale'",
            arg=run_id, timeout=15_000)
        o.shot("runs_stale.png")
        # A reload shows the run among the warehouse's runs too.
        o.page.reload()
        assert o.page.locator("table tbody tr", has_text=run_id).count() >= 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if o is not None:
            o.close()


def test_runs_page_falls_back_to_polling(browser, small_server):
    """Without server-sent events (?transport=poll forces the fallback) the live table still
    moves without a reload: a progress written by this process after the page opened shows."""
    from benchwh.progress import Progress, progress_dir

    srv, db = small_server
    prog = Progress(progress_dir(db), "run-poll-fallback", total=4, what="training").start()
    o = Opened(browser, srv.url + "/runs?transport=poll")
    try:
        row = o.page.locator('#live-body tr[data-run="run-poll-fallback"]')
        row.wait_for(timeout=15_000)
        assert o.page.locator("#live").get_attribute("data-transport") == "poll"
        before = int(o.page.locator("#live").get_attribute("data-updates"))
        prog.step("acme/poll cpu b1")
        prog.step("acme/poll cpu b2")
        o.page.wait_for_function(DONE_AT_LEAST, arg=["run-poll-fallback", 2], timeout=15_000)
        assert int(o.page.locator("#live").get_attribute("data-updates")) > before
        assert row.locator("td").all_text_contents()[4] == "acme/poll cpu b2"
        o.shot("runs_polling.png")
    finally:
        prog.finish()
        o.close()
