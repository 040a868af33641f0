"""The report page in Debian's Chromium, driven by Playwright (no browser download): it opens
offline, hovering a point shows its value and run, the simulated toggle shows and hides the
simulated series, a filter narrows the charts, and every configuration of bert-base-uncased
in the corpus is reachable. Screenshots are kept under test-artifacts/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_report import OTHER, TINY, build_report_warehouse

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    sync = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install '.[dev]')")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    from conftest import run_cli

    base = tmp_path_factory.mktemp("browser")
    db = str(base / "wh.duckdb")
    build_report_warehouse(base / "legacy", db, run_cli)
    page = base / "report.html"
    res = run_cli("report", "--db", db, "--out", str(page))
    assert res.code == 0, res.stderr
    return page


class Opened:
    """A page of the report with every request and console problem recorded; anything not
    from the file itself is refused (the page must not need a network)."""

    def __init__(self, browser, path: Path, width: int = 1400):
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "assert") and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:", "blob:", "about:")):
                return r.continue_()
            self.requests.append(url)
            return r.abort()

        self.page.route("**/*", route)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.benchwhReport && window.benchwhReport.ready", timeout=60_000)

    def section(self, model: str):
        return self.page.locator(f'section.model[data-model="{model}"]')

    def rendered(self, model: str) -> int:
        return int(self.section(model).get_attribute("data-rendered") or 0)

    def show(self, model: str) -> None:
        """Scroll a model's section into view and wait until its charts are drawn."""
        before = self.rendered(model)
        self.section(model).scroll_into_view_if_needed()
        if before == 0:
            self.page.wait_for_function(
                f"Number(document.querySelector('section.model[data-model=\"{model}\"]').dataset.rendered || 0) > 0")

    def after(self, model: str, action) -> None:
        """Run ``action`` (a filter change) and wait until the model's charts are redrawn."""
        before = self.rendered(model)
        action()
        self.page.wait_for_function(
            f"Number(document.querySelector('section.model[data-model=\"{model}\"]').dataset.rendered || 0) > {before}")

    def traces(self, model: str, chart: str = "trend") -> list[str]:
        return self.section(model).locator(f".{chart}").evaluate("gd => (gd.data || []).map(t => t.name)")

    def shot(self, name: str, locator=None) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        (locator or self.page).screenshot(path=str(path), **({} if locator else {"full_page": True}))
        return path


def test_opens_offline_with_a_summary(browser, small_report):
    o = Opened(browser, small_report)
    try:
        assert "ready" in o.page.inner_text("#progress")
        summary = o.page.inner_text("#summary")
        assert "regressions" in summary and "newest measured run" in summary and "series" in summary
        o.show(TINY)
        assert o.page.locator(f'section.model[data-model="{TINY}"] .trend .main-svg').count() > 0
        o.shot("report_top.png")
        assert not o.requests, o.requests
        assert not o.problems, o.problems
    finally:
        o.page.close()


def test_hover_shows_value_and_run(browser, small_report):
    o = Opened(browser, small_report)
    try:
        o.show(TINY)
        trend = o.section(TINY).locator(".trend")
        first = trend.evaluate("gd => ({y: gd.data[0].y[0], run: gd.data[0].customdata[0][0], name: gd.data[0].name})")
        point = trend.locator(".scatterlayer .trace").first.locator(".points path").first
        point.hover(force=True)
        hover = o.page.locator(".hoverlayer .hovertext").first
        hover.wait_for(timeout=10_000)
        text = hover.text_content()
        assert first["run"] in text, text
        assert f"{first['y']:.4g}".rstrip("0").rstrip(".") in text, (first, text)
        assert "samples:" in text and "commit:" in text and "file:" in text and "ms" in text
        o.shot("report_hover.png", o.section(TINY))
    finally:
        o.page.close()


def test_simulated_toggle_shows_and_hides_simulated_series(browser, small_report):
    o = Opened(browser, small_report)
    try:
        o.show(TINY)
        sim = lambda: [n for n in o.traces(TINY) if "(simulated)" in n]  # noqa: E731
        assert sim() == []
        assert o.page.locator("tr.simrow").first.is_hidden()
        o.after(TINY, lambda: o.page.check("#f-sim"))
        assert sim() and all("webgpu" in n for n in sim()), o.traces(TINY)
        o.shot("report_simulated.png", o.section(TINY))
        o.after(TINY, lambda: o.page.uncheck("#f-sim"))
        assert sim() == []
    finally:
        o.page.close()


def test_filters_narrow_the_charts(browser, small_report):
    o = Opened(browser, small_report)
    try:
        o.show(TINY)
        all_tiny = o.traces(TINY)
        assert o.section(OTHER).is_visible()
        # Model filter: only acme/tiny's section is left.
        o.after(TINY, lambda: o.page.select_option("#f-model", label=TINY))
        assert o.section(OTHER).is_hidden() and o.section(TINY).is_visible()
        assert "1 of 2 models" in o.page.inner_text("#shown")
        # Hardware filter: with cpu off, acme/tiny's measured cpu lines go.
        o.page.check("#f-sim")
        o.page.wait_for_timeout(300)
        with_sim = o.traces(TINY)
        o.after(TINY, lambda: o.page.locator("#f-hw label", has_text="cpu").locator("input").uncheck())
        narrowed = o.traces(TINY)
        assert narrowed and len(narrowed) < len(with_sim) and not [n for n in narrowed if "cpu" in n]
        assert len(all_tiny) > 0
        o.shot("report_filtered.png")
        # The same series on a commit axis.
        trend = o.section(TINY).locator(".trend")
        assert trend.evaluate("gd => gd.layout.xaxis.type") == "date"
        o.after(TINY, lambda: o.page.select_option("#f-axis", "commit"))
        assert trend.evaluate("gd => gd.layout.xaxis.type") == "category"
        assert o.traces(TINY) == narrowed
    finally:
        o.page.close()


def test_every_bert_base_configuration_is_reachable(browser, corpus, tmp_path):
    """Each (configuration, hardware, simulated) series of bert-base-uncased in the corpus
    has a row in its series table and a line in its trend chart."""
    from benchwh.report.html import config_label
    from conftest import run_cli, sql

    db = str(tmp_path / "corpus.duckdb")
    assert run_cli("migrate", "--db", db).code == 0
    assert run_cli("import", str(corpus), "--db", db).code == 0
    page = tmp_path / "report.html"
    assert run_cli("report", "--db", db, "--out", str(page)).code == 0
    rows = sql(db, """SELECT DISTINCT r.mode, r.scenario, r.batch_size, r.sequence_length, r.input_shape,
            r.precision, h.hardware_type, h.device_name, r.is_simulated, r.latency_ms_mean IS NOT NULL
        FROM results r JOIN models m USING (model_id) JOIN hardware h USING (hardware_id)
        WHERE m.model_name = 'bert-base-uncased' AND r.status = 'completed' AND r.measured_at IS NOT NULL""")
    cols = ("mode", "scenario", "batch_size", "sequence_length", "input_shape", "precision")
    want = {(config_label(dict(zip(cols, r[:6]))), r[6], bool(r[8])) for r in rows}
    with_latency = {(config_label(dict(zip(cols, r[:6]))), r[6], bool(r[8])) for r in rows if r[9]}
    assert len(want) > 8  # more than the old report's cap of 8 per panel
    o = Opened(browser, page)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        o.page.screenshot(path=str(ARTIFACTS / "report_corpus_top.png"))  # what one sees first
        o.page.select_option("#f-model", label="bert-base-uncased")
        o.page.check("#f-sim")
        o.show("bert-base-uncased")
        o.page.wait_for_timeout(300)
        sec = o.section("bert-base-uncased")
        sec.locator("details.series summary").click()
        got = set()
        for tr in sec.locator("table.series-table tbody tr").all():
            cells = tr.locator("td").all_text_contents()
            sim = tr.locator(".sim").count() > 0
            got.add((cells[0], cells[1].replace("simulated", "").split(" ")[0], sim))
        assert got == want, (want - got, got - want)
        lines = {n for n in o.traces("bert-base-uncased") if " · " in n}
        assert {f"{c} · {hw}{' (simulated)' if s else ''}" for c, hw, s in with_latency} <= lines
        o.shot("report_bert_base_uncased.png", sec)
        assert not o.problems, o.problems
    finally:
        o.page.close()


MARKUP = '<b>bold</b><a href="https://example.invalid/">link</a>'


def test_stored_text_is_drawn_as_text_in_charts(browser, tmp_path):
    """Plotly reads names, labels and hover values as HTML-like markup: a model, device and run
    whose stored names hold tags are shown as those characters, never as bold text or a link."""
    from benchwh.recorder import Recorder
    from conftest import run_cli

    db = str(tmp_path / "wh.duckdb")
    assert run_cli("migrate", "--db", db).code == 0
    with Recorder(db, origin="test.markup", say=lambda m: None) as rec:
        for i in range(3):
            rec.result("acme/markup", "cpu", batch_size=1, latency_ms_mean=2.0 + i, device_name=MARKUP)
    page = tmp_path / "report.html"
    assert run_cli("report", "--db", db, "--out", str(page)).code == 0
    o = Opened(browser, page)
    try:
        o.show("acme/markup")
        trend = o.section("acme/markup").locator(".trend")
        assert trend.locator("a").count() == 0  # no link drawn from the device's name
        names = " ".join(trend.locator(".legendtext").all_text_contents())
        assert MARKUP in names, names
        trend.locator(".scatterlayer .trace").first.locator(".points path").first.hover(force=True)
        hover = o.page.locator(".hoverlayer .hovertext").first
        hover.wait_for(timeout=10_000)
        assert MARKUP in hover.text_content(), hover.text_content()
        assert o.page.locator(".hoverlayer a").count() == 0
        assert not o.problems, o.problems
    finally:
        o.page.close()
