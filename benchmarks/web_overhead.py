"""The web runner's latency against a hand-written page timing the same model in the same browser.

Baseline: the plainest page a person would write: load onnxruntime-web, create the session
(wasm), run the same inputs ``--iterations`` times, ``performance.now()`` around each awaited
``session.run``. Contender: ``benchwh.runners.web.run_web`` on the same model, inputs and
browser. Rounds are interleaved (baseline, contender, baseline, ...) in one browser, after one untimed
round of each, so that both see the same machine, in ABBA order (odd rounds run the contender first) so that a
drift in the machine's load falls on both alike; each prints min/median/max over ``--rounds`` of the
per-round median, and each round's pair gives a ratio. Last line: ``web_overhead=<median of the
paired ratios - 1>`` (goal: within ±5%).

    python benchmarks/web_overhead.py [--model bert-tiny] [--rounds 10] [--iterations 100] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

BARE = """async (cfg) => {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const s = await ort.InferenceSession.create(cfg.url, {executionProviders: ['wasm']});
  const feeds = {};
  for (const [n, t] of Object.entries(cfg.inputs))
    feeds[n] = t.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(t.data, BigInt), t.dims)
                                  : new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
  for (let i = 0; i < cfg.warmup; i++) await s.run(feeds);
  const xs = [];
  for (let i = 0; i < cfg.iterations; i++) { const t0 = performance.now(); await s.run(feeds); xs.push(performance.now() - t0); }
  await s.release();
  return xs;
}"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="bert-tiny")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--iterations", type=int, default=100)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = p.parse_args(argv)
    if args.smoke:
        args.rounds, args.iterations, args.warmup = 1, 3, 1

    from playwright.sync_api import sync_playwright

    from benchwh.records import RunInfo
    from benchwh.runners.deps import require
    from benchwh.runners.loading import Device, load, make_inputs
    from benchwh.runners.models import resolve_model
    from benchwh.runners.web import (
        WebSpec, _export, _page_inputs, _Server, chromium_path, launch_args, ort_web_dir, page_result,
    )

    torch, transformers = require("benchmarks/web_overhead.py")
    model = resolve_model(args.model)
    cpu = Device("cpu", torch.device("cpu"), None)
    lm = load(model, cpu, "fp32", torch, transformers)
    seq = 16 if model.uses_seq() else None
    inputs, shape = make_inputs(lm, args.batch, seq, cpu, torch, lm.dtype)
    base, cont, ratios = [], [], []
    with tempfile.TemporaryDirectory() as tmp, _Server(ort_web_dir(), Path(tmp)) as server, sync_playwright() as pw:
        reference, names = _export(lm, inputs, Path(tmp) / "m.onnx", torch)
        feeds = _page_inputs(inputs, names, torch)
        browser = pw.chromium.launch(executable_path=chromium_path(), args=launch_args("wasm"))
        page = browser.new_page()
        page.goto(server.url)
        spec = WebSpec(models=[args.model], iterations=args.iterations, warmup=args.warmup)
        cfg = {"backend": "wasm", "model_url": "/model/m.onnx", "wasm_paths": "/ort/", "threads": 1,
               "inputs": feeds, "warmup": args.warmup, "iterations": args.iterations}
        # One untimed round of each first: the browser compiles the wasm and JITs the page once.
        page.evaluate(BARE, {"url": "/model/m.onnx", "inputs": feeds, "warmup": 0, "iterations": 1})
        page.evaluate("cfg => window.benchwhRun(cfg)", dict(cfg, warmup=0, iterations=1))
        bare_cfg = {"url": "/model/m.onnx", "inputs": feeds, "warmup": args.warmup, "iterations": args.iterations}

        def bare() -> float:
            return statistics.median(page.evaluate(BARE, bare_cfg))

        def contender() -> float | None:
            got = page.evaluate("cfg => window.benchwhRun(cfg)", cfg)
            res = page_result(got, run=RunInfo(origin="bench"), model=model, backend="wasm", batch=args.batch,
                              seq=seq, reference=reference, browser=f"Chromium {browser.version}",
                              measured_at=None, torch=torch, warmup=spec.warmup, input_shape=shape)
            if res.status != "completed":
                print(f"runner failed: {res.error}", file=sys.stderr)
                return None
            return res.latency_ms_p50

        for i in range(args.rounds):
            # ABBA: odd rounds time the contender first, so drift in the machine's load falls on
            # both sides alike; each round's pair is compared as a ratio (paired, like for like).
            if i % 2:
                c = contender()
                b = bare()
            else:
                b = bare()
                c = contender()
            if c is None:
                return 1
            base.append(b)
            cont.append(c)
            ratios.append(c / b)
            print(f"round {i + 1}: bare page median {b:.3f} ms   benchwh run web median {c:.3f} ms   ratio {c / b:.3f}")
        browser.close()
    for name, xs in (("bare page", base), ("benchwh run web", cont)):
        print(f"{name:>16}: min {min(xs):.3f}  median {statistics.median(xs):.3f}  max {max(xs):.3f} ms")
    print(f"ratio of medians {statistics.median(cont) / statistics.median(base):.4f}; "
          f"paired ratios min {min(ratios):.4f}  median {statistics.median(ratios):.4f}  max {max(ratios):.4f}")
    print(f"web_overhead={statistics.median(ratios) - 1:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
