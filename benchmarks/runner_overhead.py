"""How much does benchwh's inference runner add to the latency it measures?

Loads one model once and, for each backend (eager, compile, onnxruntime, openvino), prepares
the backend's call once (``benchwh.runners.inference.prepare_backend``: compiled module, ONNX
Runtime session, OpenVINO request, checked against eager). Then it alternates, in short blocks,
between

* benchwh: ``benchwh.runners.inference.measure_config`` given that prepared call (the code
  ``benchwh run inference`` runs for each configuration: inputs, warm-up, memory probe, timing
  loop, statistics), whose reported median is benchwh's measured latency, and
* bare: the same prepared call in a plain ``time.perf_counter_ns`` loop under
  ``torch.inference_mode()``, with the same warm-up,

so both sides time the same compiled code on the same inputs, with the same torch, ONNX
Runtime and OpenVINO thread count (``--threads``, pinned for the whole process, default 1: on a
shared machine oversubscribed intra-op threads make single calls vary by 10x) and the same
garbage-collector state (``gc.collect()`` before every block, collector on, as in a run). Block
order alternates (ABAB..., then BABA... in the next repeat) so drift of the machine falls on
both sides.

A repeat is ``--blocks`` blocks per side; its overhead is (median of benchwh's block medians /
median of the bare block medians - 1) x 100 (positive: benchwh measures slower). Each backend's
line gives that overhead's min/median/max over ``--repeats`` repeats, the same figure from the
fastest single call of each side (``min_overhead_pct``), and whether the median meets the goal
of 5%. The last line gives ``compile_vs_eager=`` and ``ort_vs_eager=`` (``openvino_vs_eager=``):
eager's median bare latency over the backend's (> 1: the backend is faster).

    python benchmarks/runner_overhead.py --model bert-tiny --batch 1 --seq 128 --threads 1
    python benchmarks/runner_overhead.py --smoke
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

GOAL_PCT = 5.0


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


def bare_synced_loop(call, sync, iterations: int, warmup: int, torch) -> list[float]:
    """The same, waiting for a backend that runs outside torch's streams after each call."""
    samples = []
    with torch.inference_mode():
        for _ in range(warmup):
            call()
        sync()
        for _ in range(iterations):
            t0 = time.perf_counter_ns()
            call()
            sync()
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def available(name: str) -> str | None:
    """None when the backend can run here, else why not."""
    import importlib.util

    lib = {"onnxruntime": "onnxruntime", "openvino": "openvino"}.get(name)
    if lib and importlib.util.find_spec(lib) is None:
        return f"{lib} not installed (pip install 'benchwh[{name}]')"
    return None


def spread(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in (min(values), statistics.median(values), max(values)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="bert-tiny")
    p.add_argument("--hardware", default="cpu")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--block-iterations", type=int, default=20, help="timed calls per block and side")
    p.add_argument("--warmup", type=int, default=3, help="warm-up calls before each block, both sides")
    p.add_argument("--blocks", type=int, default=10, help="blocks per side in one repeat")
    p.add_argument("--repeats", type=int, default=3, help="repeats (min/median/max reported); at least 3")
    p.add_argument("--threads", type=int, default=1,
                   help="intra-op threads for torch, ONNX Runtime and OpenVINO alike (default 1)")
    p.add_argument("--backends", default="eager,compile,onnxruntime,openvino",
                   help="comma-separated; each gets one line")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: 3 repeats x 2 blocks x 3 calls, seq 8 (CI)")
    args = p.parse_args(argv)
    if args.smoke:
        args.repeats, args.blocks, args.block_iterations, args.warmup, args.seq = 3, 2, 3, 1, 8
    if args.repeats < 3:
        p.error("--repeats must be at least 3")
    if min(args.blocks, args.block_iterations) < 1 or args.threads < 1:
        p.error("--blocks, --block-iterations and --threads must be at least 1")

    from benchwh.runners import inference
    from benchwh.runners.common import SweepSpec
    from benchwh.runners.deps import require
    from benchwh.runners.environment import capture
    from benchwh.runners.loading import load, make_inputs, resolve_device, set_threads
    from benchwh.runners.models import resolve_model
    from benchwh.runners.timing import current_rss_bytes

    torch, transformers = require("benchmarks/runner_overhead.py")
    set_threads(args.threads, torch)  # what `benchwh run inference --threads N` does
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
          f"{args.repeats} repeats x {args.blocks} blocks x {args.block_iterations} calls per side, "
          f"threads {torch.get_num_threads()}")

    bare_latency: dict[str, float] = {}
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        why = available(name)
        if why:
            print(f"backend={name} skipped: {why}")
            continue
        sweep = SweepSpec(models=[args.model], hardware=args.hardware, batch_sizes=[args.batch],
                          seq_lens=[args.seq], iterations=args.block_iterations, warmup=args.warmup,
                          backend=name, threads=args.threads)
        prepared = inference.prepare_backend(lm, inputs, device, "fp32", name, torch)
        call = prepared[0]
        overheads, all_ours, all_bare, bare_blocks = [], [], [], []
        for rep in range(args.repeats):
            ours_blocks, bare_rep = [], []
            for blk in range(2 * args.blocks):
                side = "benchwh" if (blk + rep) % 2 == 0 else "bare"
                gc.collect()
                if side == "benchwh":
                    r = inference.measure_config(lm, device, args.batch, seq, "fp32", sweep, run, torch,
                                                 baseline, prepared=prepared)
                    if r.status != "completed":
                        print(f"backend={name} benchwh run failed: {r.error}", file=sys.stderr)
                        return 1
                    ours_blocks.append(r.latency_ms_p50)  # benchwh's own statistic
                    all_ours.extend(r.latency_samples_ms)
                else:
                    if call.sync is not None:
                        s = bare_synced_loop(call.call, call.sync, args.block_iterations, args.warmup, torch)
                    else:
                        s = bare_backend_loop(call.call, args.block_iterations, args.warmup, torch)
                    bare_rep.append(statistics.median(s))
                    all_bare.extend(s)
            overheads.append((statistics.median(ours_blocks) / statistics.median(bare_rep) - 1) * 100)
            bare_blocks.extend(bare_rep)
        bare_latency[name] = statistics.median(bare_blocks)
        med = statistics.median(overheads)
        print(f"backend={name} benchwh_p50_ms={statistics.median(all_ours):.4f} "
              f"bare_p50_ms={statistics.median(all_bare):.4f} "
              f"overhead_pct_min/median/max={spread(overheads)} "
              f"min_overhead_pct={(min(all_ours) / min(all_bare) - 1) * 100:.2f} "
              f"goal<={GOAL_PCT:g}:{'met' if med <= GOAL_PCT else 'NOT met'}")
        del prepared, call
        gc.collect()
    ratio = {}
    for name, label in (("compile", "compile_vs_eager"), ("onnxruntime", "ort_vs_eager"), ("openvino", "openvino_vs_eager")):
        if "eager" in bare_latency and name in bare_latency:
            ratio[label] = f"{bare_latency['eager'] / bare_latency[name]:.3f}"  # > 1: faster than eager
    print(" ".join(f"{k}={v}" for k, v in ratio.items()) or "no ratio: eager and another backend are needed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
