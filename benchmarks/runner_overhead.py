"""How much does benchwh's inference runner add to the latency it measures?

Loads one model once, then alternates, round by round, between

* benchwh: ``benchwh.runners.inference.measure_config`` (the code ``benchwh run inference``
  runs for each configuration: inputs, warm-up, memory probe, timing loop, statistics), and
* bare: a plain ``torch`` loop timing ``model(**inputs)`` with ``time.perf_counter_ns`` under
  ``torch.inference_mode()`` on the same model and the same (identically seeded) inputs,

and compares their mean latencies round by round. The order flips every round so slow drift
of the machine falls on both sides. The last line is ``overhead_pct=<value>``: the median over
rounds of (benchwh mean / bare mean - 1) x 100 (positive: benchwh measures slower). The median
over rounds keeps one round hit by a burst of other load from deciding the figure; the
all-samples means and medians are printed too. On a shared machine pass ``--threads 1``:
oversubscribed intra-op threads make single calls vary by 10x.

    python benchmarks/runner_overhead.py --model bert-tiny --batch 1 --seq 128 --rounds 10
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def bare_loop(model, inputs, iterations: int, warmup: int, torch) -> list[float]:
    samples = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(**inputs)
        for _ in range(iterations):
            t0 = time.perf_counter_ns()
            model(**inputs)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


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
    p.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = p.parse_args(argv)
    if args.smoke:
        args.seq, args.iterations, args.warmup, args.rounds, args.threads = 8, 3, 1, 2, 1

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
    sweep = SweepSpec(models=[args.model], hardware=args.hardware, batch_sizes=[args.batch],
                      seq_lens=[args.seq], iterations=args.iterations, warmup=args.warmup)
    seq = args.seq if spec.uses_seq() else None
    inputs, shape = make_inputs(lm, args.batch, seq, device, torch, lm.dtype)
    run = capture("benchmarks.runner_overhead", torch=torch)

    ours: list[float] = []
    bare: list[float] = []
    ratios: list[float] = []
    print(f"{spec.model_name} {device.hardware_type} ({device.device_name}) {shape} fp32, "
          f"{args.rounds} rounds x {args.iterations} iterations, torch threads {torch.get_num_threads()}")
    for rnd in range(args.rounds):
        order = ("benchwh", "bare") if rnd % 2 == 0 else ("bare", "benchwh")
        means = {}
        for side in order:
            if side == "benchwh":
                r = inference.measure_config(lm, device, args.batch, seq, "fp32", sweep, run, torch, baseline)
                if r.status != "completed":
                    print(f"benchwh run failed: {r.error}", file=sys.stderr)
                    return 1
                ours.extend(r.latency_samples_ms)
                means[side] = r.latency_ms_mean
            else:
                s = bare_loop(lm.model, inputs, args.iterations, args.warmup, torch)
                bare.extend(s)
                means[side] = statistics.fmean(s)
        ratios.append((means["benchwh"] / means["bare"] - 1) * 100)
        print(f"round {rnd + 1}: benchwh mean {means['benchwh']:.4f} ms, bare mean {means['bare']:.4f} ms "
              f"({ratios[-1]:+.2f}%)")
    m_ours, m_bare = statistics.fmean(ours), statistics.fmean(bare)
    print(f"all samples: benchwh mean {m_ours:.4f} ms, p50 {statistics.median(ours):.4f} ms; "
          f"bare mean {m_bare:.4f} ms, p50 {statistics.median(bare):.4f} ms "
          f"(means {(m_ours / m_bare - 1) * 100:+.2f}%, p50s {(statistics.median(ours) / statistics.median(bare) - 1) * 100:+.2f}%)")
    print(f"overhead_pct={statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
