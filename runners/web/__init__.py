"""``benchwh run web``: models measured inside a real browser with onnxruntime-web.

For each model and batch size: the model is built (random weights, as the other runners) and
exported to ONNX with ``torch.onnx``; a local HTTP server on 127.0.0.1 serves the model, a
benchmark page (``page.html`` + ``bench.js``) and onnxruntime-web's files from the npm cache
(installed at build time, never fetched at run time); Playwright drives Debian's Chromium
(``executable_path``; no browser is downloaded). The page creates the session with the one
execution provider asked for (``wasm``, ``webgpu`` or ``webnn``), checks its output for a fixed
input against PyTorch's, then times each awaited run with ``performance.now()`` and hands the
samples back. A backend the browser does not offer is a failed result carrying the browser's
own words; a software WebGPU adapter (SwiftShader) is named as such and flagged simulated.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

from benchwh.records import INFERENCE, STATUS_FAILED, Record, Result, RunInfo
from benchwh.runners.models import RunnerError

ORIGIN = "benchwh.runner.web"
BACKENDS = ("wasm", "webgpu", "webnn")
ORT_WEB_VERSION = "1.30.0"  # the onnxruntime-web release .ci/run and quickstart.sh install
ORT_WEB_ENV = "BENCHWH_ORT_WEB_DIR"  # a folder holding onnxruntime-web's dist files
CHROMIUM_ENV = "BENCHWH_CHROMIUM"
DEFAULT_CACHE = Path.home() / ".cache" / "benchwh" / "web"
INSTALL_HINT = (f"npm install --prefix {DEFAULT_CACHE} --no-save onnxruntime-web@{ORT_WEB_VERSION}")
OPSET = 17
PAGE_DIR = Path(__file__).parent
# Flags every launch gets: no first-run UI, no calls to the network this machine does not have.
BASE_ARGS = ["--no-sandbox", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-quic"]
BACKEND_ARGS = {
    "wasm": ["--disable-gpu"],
    "webgpu": ["--enable-unsafe-webgpu"],
    "webnn": ["--enable-features=WebMachineLearningNeuralNetwork"],
}
SOFTWARE_ADAPTERS = ("swiftshader", "llvmpipe", "software", "lavapipe", "microsoft basic render")


@dataclass
class WebSpec:
    models: list[str]
    backend: str = "wasm"
    browser: str = "chromium"
    batch_sizes: list[int] = field(default_factory=lambda: [1])
    seq_len: int = 16
    iterations: int = 10
    warmup: int = 2
    threads: int = 1  # onnxruntime-web's wasm threads (1: no SharedArrayBuffer needed)
    timeout_s: float = 300.0

    def validate(self) -> None:
        if self.backend not in BACKENDS:
            raise RunnerError(f"--backend {self.backend!r}: use one of {', '.join(BACKENDS)}")
        if self.browser != "chromium":
            raise RunnerError(f"--browser {self.browser!r}: only chromium is supported")
        if not self.models:
            raise RunnerError("give at least one --model")
        if any(b < 1 for b in self.batch_sizes) or self.iterations < 1 or self.warmup < 0 or self.seq_len < 1:
            raise RunnerError("batch sizes, --iterations and --seq-len must be at least 1, --warmup at least 0")


def ort_web_dir() -> Path:
    """onnxruntime-web's ``dist`` folder: ``$BENCHWH_ORT_WEB_DIR``, else the npm cache."""
    env = os.environ.get(ORT_WEB_ENV)
    candidates = [Path(env)] if env else [DEFAULT_CACHE / "node_modules" / "onnxruntime-web" / "dist"]
    for c in candidates:
        if (c / "ort.all.min.js").is_file():
            return c
    raise RunnerError(f"onnxruntime-web not found at {candidates[0]}: install it with `{INSTALL_HINT}` "
                      f"(or point ${ORT_WEB_ENV} at its dist folder)")


def chromium_path() -> str:
    path = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RunnerError(f"no Chromium found: install Debian's `chromium` package or set ${CHROMIUM_ENV}")
    return path


# --- the local server ---------------------------------------------------------------------
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
          ".html": "text/html; charset=utf-8", ".onnx": "application/octet-stream", ".map": "application/json"}


class _Server:
    """Serves ``/`` (the page), ``/bench.js``, ``/ort/<file>`` and ``/model/<file>`` from
    fixed folders on 127.0.0.1; anything else is a 404. Cross-origin isolated (COOP/COEP) so
    that wasm threads are possible."""

    def __init__(self, ort_dir: Path, model_dir: Path):
        routes = {"ort": ort_dir, "model": model_dir}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0]
                if path in ("/", "/index.html"):
                    target = PAGE_DIR / "page.html"
                elif path == "/bench.js":
                    target = PAGE_DIR / "bench.js"
                else:
                    parts = path.strip("/").split("/")
                    folder = routes.get(parts[0]) if len(parts) == 2 else None
                    name = parts[-1]
                    target = folder / name if folder and name and "/" not in name and not name.startswith(".") else None
                if target is None or not target.is_file():
                    self.send_error(404)
                    return
                body = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", _TYPES.get(target.suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cross-Origin-Opener-Policy", "same-origin")
                self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the model side -----------------------------------------------------------------------
def _export(lm, inputs: dict, path: Path, torch) -> tuple[list, list[str]]:
    """Export ``lm`` for these inputs (static shapes) to ``path``; returns PyTorch's own
    outputs for the same inputs (the parity reference) and the input names."""
    from benchwh.runners.backends import flat_module

    module, args, names = flat_module(lm.model, inputs, torch)
    with torch.no_grad():
        reference = list(module(*args))
        torch.onnx.export(module, args, str(path), input_names=names, opset_version=OPSET, dynamo=False)
    return reference, names


def _page_inputs(inputs: dict, names: list[str], torch) -> dict[str, Any]:
    feeds = {}
    for n in names:
        t = inputs[n].detach().cpu()
        kind = {torch.int64: "int64", torch.int32: "int32", torch.bool: "bool"}.get(t.dtype, "float32")
        feeds[n] = {"type": kind, "dims": list(t.shape), "data": t.flatten().tolist()}
    return feeds


def _software(adapter: dict | None) -> str | None:
    """The software renderer a WebGPU adapter is, or None for a hardware adapter."""
    if not adapter:
        return None
    text = " ".join(str(adapter.get(k, "")) for k in ("vendor", "architecture", "device", "description")).lower()
    hit = next((s for s in SOFTWARE_ADAPTERS if s in text), None)
    if hit is None and adapter.get("is_fallback_adapter"):
        hit = "fallback adapter"
    return hit


def _adapter_name(adapter: dict) -> str:
    parts = [adapter.get("description") or "", adapter.get("vendor") or "", adapter.get("architecture") or "",
             adapter.get("device") or ""]
    return " ".join(p for p in parts if p).strip() or "unnamed WebGPU adapter"


def page_result(page: dict, *, run: RunInfo, model, backend: str, batch: int, seq: int | None,
                reference: list, browser: str, measured_at, torch, warmup: int,
                input_shape: str | None) -> Result:
    """One Result from what the page returned: samples and statistics when it ran and its
    output matched PyTorch's, else a failed row with the browser's (or the parity check's)
    words. Reads ``page``; writes nothing."""
    import numpy as np

    from benchwh.runners.backends import parity
    from benchwh.runners.common import base_metrics
    from benchwh.runners.stats import per_second, result_fields

    metrics = base_metrics(model, {
        "backend": f"onnxruntime-web/{backend}", "browser": browser, "user_agent": page.get("user_agent"),
        "execution_provider": page.get("execution_provider"), "ort_web_version": page.get("ort_version"),
        "wasm_threads": page.get("wasm_threads"), "timing": "performance.now() around each awaited session.run",
        "exporter": "torch.onnx (TorchScript)", "opset": OPSET,
    })
    adapter = page.get("adapter")
    device_name = browser
    sim_reason = None
    if adapter is not None:
        metrics["webgpu_adapter"] = adapter
        device_name = _adapter_name(adapter)
        soft = _software(adapter)
        metrics["software_adapter"] = soft is not None
        if soft:
            device_name = f"{device_name} (software: {soft})"
            sim_reason = f"WebGPU ran on a software adapter ({soft}), not on a GPU"
    common = dict(run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
                  hardware_type=backend, device_name=device_name, mode=INFERENCE, scenario="forward",
                  batch_size=batch, sequence_length=seq, input_shape=input_shape, precision="fp32",
                  measured_at=measured_at, is_simulated=sim_reason is not None, simulation_reason=sim_reason)
    if page.get("error"):
        return Result(status=STATUS_FAILED, error=page["error"], metrics=metrics, **common)
    got = [np.asarray(o["data"], dtype=np.float32).reshape(o["dims"]) for o in page.get("outputs", [])]
    check = parity(reference, got, "fp32", torch)
    metrics["parity"] = check
    if not check["passed"]:
        why = check.get("reason") or f"relative difference {check['relative']:.3g} over {check['tolerance']}"
        return Result(status=STATUS_FAILED, error=f"output differs from PyTorch's: {why}",
                      load_time_ms=page.get("load_ms"), metrics=metrics, **common)
    samples = [float(x) for x in page["samples_ms"]]
    fields = result_fields(samples)
    return Result(**fields, throughput_items_per_s=per_second(batch, fields["latency_ms_mean"]),
                  load_time_ms=page.get("load_ms"), warmup_iterations=warmup, metrics=metrics, **common)


def launch_args(backend: str) -> list[str]:
    return BASE_ARGS + BACKEND_ARGS[backend]


def run_web(spec: WebSpec, run: RunInfo, say=lambda _m: None) -> Iterator[Result]:
    """Measure every model x batch size of ``spec`` in the browser; yields one Result each."""
    from playwright.sync_api import sync_playwright

    from benchwh.runners.deps import require
    from benchwh.runners.environment import utc_now
    from benchwh.runners.loading import Device, load, make_inputs
    from benchwh.runners.models import resolve_model

    torch, transformers = require("benchwh run web")
    ort_dir = ort_web_dir()
    cpu = Device("cpu", torch.device("cpu"), None)
    with tempfile.TemporaryDirectory(prefix="benchwh-web-") as tmp, _Server(ort_dir, Path(tmp)) as server, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=launch_args(spec.backend))
        try:
            browser_name = f"Chromium {browser.version}"
            run.environment.setdefault("browser", browser_name)
            page = browser.new_page()
            page.set_default_timeout(spec.timeout_s * 1000)
            page.goto(server.url)
            for name in spec.models:
                model = resolve_model(name)
                lm = load(model, cpu, "fp32", torch, transformers)
                for batch in spec.batch_sizes:
                    seq = spec.seq_len if model.uses_seq() else None
                    inputs, shape = make_inputs(lm, batch, seq, cpu, torch, lm.dtype)
                    fname = f"m{len(os.listdir(tmp))}.onnx"
                    reference, names = _export(lm, inputs, Path(tmp) / fname, torch)
                    measured_at = utc_now()
                    cfg = {"backend": spec.backend, "model_url": f"/model/{fname}", "wasm_paths": "/ort/",
                           "threads": spec.threads, "inputs": _page_inputs(inputs, names, torch),
                           "warmup": spec.warmup, "iterations": spec.iterations}
                    got = page.evaluate("cfg => window.benchwhRun(cfg)", cfg)
                    res = page_result(got, run=run, model=model, backend=spec.backend, batch=batch, seq=seq,
                                      reference=reference, browser=browser_name, measured_at=measured_at,
                                      torch=torch, warmup=spec.warmup, input_shape=shape)
                    say(f"{model.key} {spec.backend} batch {batch}: "
                        + (f"{res.latency_ms_mean:.3f} ms" if res.status != STATUS_FAILED else f"failed: {res.error}"))
                    yield res
        finally:
            browser.close()


def record_web(spec: WebSpec, dest, say=lambda _m: None, on_progress=None) -> list[Record]:
    """``benchwh run web``: check the request, open a run, measure, record every result."""
    from benchwh.runners.deps import require
    from benchwh.runners.session import _recorder

    dest.check()
    spec.validate()
    from benchwh.runners.models import resolve_model

    for m in spec.models:
        resolve_model(m)
    ort_web_dir()
    chromium_path()
    torch, _ = require("benchwh run web")
    env = {"backend": f"onnxruntime-web/{spec.backend}", "ort_web_version": ORT_WEB_VERSION}
    meta = {"runner": "web", "sweep": dataclasses.asdict(spec)}
    with _recorder(ORIGIN, dest, torch, meta, say, env, total=len(spec.models) * len(spec.batch_sizes),
                   what="web", on_progress=on_progress) as rec:
        for result in run_web(spec, rec.run, say):
            rec.add(result)
    return rec.records
