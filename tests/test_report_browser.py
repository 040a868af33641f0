"""The report page in headless Chromium: it renders its charts, logs no console error and
fetches nothing from the network. The full-page screenshot is kept under test-artifacts/.

Chromium is driven through the DevTools protocol over ``--remote-debugging-pipe`` (fd 3
carries commands in, fd 4 answers out, NUL-separated JSON), so only Debian's ``chromium`` and
the standard library are needed. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from test_report import build_report_warehouse

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)"),
]


class PipeBrowser:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, user_data_dir: Path, timeout_s: float = 60.0):
        self.timeout_s = timeout_s
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        # Park the child's ends above any fd the test process holds, so placing them at 3
        # and 4 in the child cannot overwrite one with the other.
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 100)
        hi_w = fcntl.fcntl(out_w, fcntl.F_DUPFD, 100)
        for fd in (cmd_r, out_w):
            os.close(fd)

        def child_fds() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.log = user_data_dir.with_name(user_data_dir.name + ".stderr.txt")
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [CHROMIUM, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                preexec_fn=child_fds, pass_fds=(3, 4), close_fds=True,
            )
        os.close(hi_r)
        os.close(hi_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._out_r], [], [], left)
            if ready:
                chunk = os.read(self._out_r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the pipe: {self.stderr_tail()}")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its answer; events read meanwhile are kept."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method: str, session: str | None = None) -> dict:
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        deadline = time.monotonic() + self.timeout_s
        while True:
            m = self._read_message(deadline)
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    def stderr_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._out_r):
            try:
                os.close(fd)
            except OSError:
                pass


def _problems(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions, failed loads and any non-local request."""
    out = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append(f"console.{p['type']}: {p.get('args')}")
        elif method == "Runtime.exceptionThrown":
            out.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append(f"log error: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not url.startswith(("file:", "data:", "about:")):
                out.append(f"network request: {url}")
        elif method == "Network.loadingFailed":
            out.append(f"failed load: {p.get('errorText')}")
    return out


def test_report_renders_in_headless_chromium(tmp_path):
    from PIL import Image

    from conftest import run_cli

    db = str(tmp_path / "wh.duckdb")
    build_report_warehouse(tmp_path / "legacy", db, run_cli)
    page = tmp_path / "report.html"
    res = run_cli("report", "--db", db, "--out", str(page))
    assert res.code == 0, res.stderr

    browser = PipeBrowser(tmp_path / "chromium-profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
        browser.send("Page.navigate", {"url": page.as_uri()}, session)
        browser.wait_event("Page.loadEventFired", session)
        images = browser.send("Runtime.evaluate", {
            "expression": "Promise.all(Array.from(document.images).map(i => i.decode().then(() => i)))"
                          ".then(imgs => imgs.map(i => { const r = i.getBoundingClientRect();"
                          " return {alt: i.alt, w: i.naturalWidth, h: i.naturalHeight,"
                          " x: r.left + scrollX, y: r.top + scrollY, cw: r.width, ch: r.height}; }))",
            "awaitPromise": True, "returnByValue": True,
        }, session)["result"]["value"]
        size = browser.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        }, session)
        problems = _problems(browser.events)
    finally:
        browser.close()

    png = base64.b64decode(shot["data"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report_chromium.png").write_bytes(png)

    assert not problems, problems
    assert len(images) == 5, images  # 2 hardware comparisons, 2 trends, 1 compatibility grid
    for im in images:
        assert im["w"] > 200 and im["h"] > 100 and im["cw"] > 200, im  # decoded and laid out
    with Image.open(io.BytesIO(png)) as full:
        full = full.convert("RGB")
        lo, hi = full.convert("L").getextrema()
        assert hi - lo > 100, "blank screenshot"
        for im in images:
            # Each chart's area of the screenshot holds a drawing, not an empty box.
            box = full.crop((int(im["x"]), int(im["y"]), int(im["x"] + im["cw"]), int(im["y"] + im["ch"])))
            colours = box.getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 20, (im["alt"], len(colours or []))
