"""How much does benchwh's inference runner add to the latency it measures?

Loads one model once, then alternates, round by round, between

* benchwh: ``benchwh.runners.inference.measure_config`` (the code ``benchwh run inference``
  runs for each configuration: inputs, warm-up, memory probe, timing loop, statistics), and
* bare: a plain ``torch`` loop timing ``model(**inputs)`` with ``time.perf_counter_ns`` under
  ``torch.inference_mode()`` on the same model and the same (identically seeded) inputs,

and compares their mean latencies round by round, for each backend (eager, compile,
onnxruntime, openvino): the bare side of a non-eager backend is its own prepared call
(compiled module, ONNX Runtime session, OpenVINO request) in the same plain loop. The order
flips every round so slow drift of the machine falls on both sides. One line per backend ends
``overhead_pct=<value>``: the median over rounds of (benchwh mean / bare mean - 1) x 100
(positive: benchwh measures slower). The last line gives ``compile_vs_eager=`` and
``ort_vs_eager=`` (``openvino_vs_eager=``): eager's bare mean over the backend's (> 1: the
backend is faster). On a shared machine pass ``--threads 1``: oversubscribed intra-op threads
make single calls vary by 10x.

    python benchmarks/runner_overhead.py --model bert-tiny --batch 1 --seq 128 --rounds 10 --threads 1
    python benchmarks/runner_overhead.py --smoke
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def bare_backend_loop(call, iterations: int, warmup: int, torch) -> list[float]:
    """The backend's own call (as prepared once) in a plain perf_counter loop."""
    samples = []
    with torch.inference_mode():
        for _ in range(warmup):
            call()
        for _ in range(iterations):
            t0 = time.perf_counter_ns()
            call()
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def available(name: str) -> str | None:
    """None when the backend can run here, else why not."""
    import importlib.util

    lib = {"onnxruntime": "onnxruntime", "openvino": "openvino"}.get(name)
    if lib and importlib.util.find_spec(lib) is None:
        return f"{lib} not installed (pip install 'benchwh[{name}]')"
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="bert-tiny")
    p.add_argument("--hardware", default="cpu")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--iterations", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    p.add_argument("--backends", default="eager,compile,onnxruntime,openvino",
                   help="comma-separated; each gets one line (a non-eager backend is prepared per benchwh round)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: 2 rounds x 5 iterations, seq 8 (CI)")
    args = p.parse_args(argv)
    if args.smoke:
        args.rounds, args.iterations, args.warmup, args.seq = 2, 5, 1, 8

    from benchwh.runners import inference
    from benchwh.runners.common import SweepSpec
    from benchwh.runners.deps import require
    from benchwh.runners.environment import capture
    from benchwh.runners.loading import load, make_inputs, resolve_device
    from benchwh.runners.models import resolve_model
    from benchwh.runners.timing import current_rss_bytes

    torch, transformers = require("benchmarks/runner_overhead.py")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.hardware, torch)
    if device.hardware_type != "cpu":
        print("note: the bare loop times with the wall clock; on an accelerator compare with care",
              file=sys.stderr)
    spec = resolve_model(args.model)
    baseline = current_rss_bytes()
    lm = load(spec, device, "fp32", torch, transformers)
    seq = args.seq if spec.uses_seq() else None
    inputs, shape = make_inputs(lm, args.batch, seq, device, torch, lm.dtype)
    run = capture("benchmarks.runner_overhead", torch=torch)
    print(f"{spec.model_name} {device.hardware_type} ({device.device_name}) {shape} fp32, "
          f"{args.rounds} rounds x {args.iterations} iterations, torch threads {torch.get_num_threads()}")

    bare_means: dict[str, float] = {}
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        why = available(name)
        if why:
            print(f"backend={name} skipped: {why}")
            continue
        sweep = SweepSpec(models=[args.model], hardware=args.hardware, batch_sizes=[args.batch],
                          seq_lens=[args.seq], iterations=args.iterations, warmup=args.warmup, backend=name)
        prepared, _ = inference.prepare_backend(lm, inputs, device, "fp32", name, torch)
        ours: list[float] = []
        bare: list[float] = []
        ratios: list[float] = []
        for rnd in range(args.rounds):
            order = ("benchwh", "bare") if rnd % 2 == 0 else ("bare", "benchwh")
            means = {}
            for side in order:
                if side == "benchwh":
                    r = inference.measure_config(lm, device, args.batch, seq, "fp32", sweep, run, torch, baseline)
                    if r.status != "completed":
                        print(f"backend={name} benchwh run failed: {r.error}", file=sys.stderr)
                        return 1
                    ours.extend(r.latency_samples_ms)
                    means[side] = r.latency_ms_mean
                else:
                    s = bare_backend_loop(prepared.call, args.iterations, args.warmup, torch)
                    bare.extend(s)
                    means[side] = statistics.fmean(s)
            ratios.append((means["benchwh"] / means["bare"] - 1) * 100)
        bare_means[name] = statistics.fmean(bare)
        print(f"backend={name} benchwh_mean_ms={statistics.fmean(ours):.4f} bare_mean_ms={bare_means[name]:.4f} "
              f"benchwh_p50_ms={statistics.median(ours):.4f} bare_p50_ms={statistics.median(bare):.4f} "
              f"overhead_pct={statistics.median(ratios):.2f} (median of {len(ratios)} rounds; goal <= 5)")
    ratio = {}
    for name, label in (("compile", "compile_vs_eager"), ("onnxruntime", "ort_vs_eager"), ("openvino", "openvino_vs_eager")):
        if "eager" in bare_means and name in bare_means:
            ratio[label] = f"{bare_means['eager'] / bare_means[name]:.3f}"  # > 1: faster than eager
    print(" ".join(f"{k}={v}" for k, v in ratio.items()) or "no ratio: eager and another backend are needed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
