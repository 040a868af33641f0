"""What does recording one result cost, at the start of a run and at its end?

Records ``--results`` results with ``--output`` into a fresh DuckDB warehouse, alternating, repeat
by repeat, between

* before: the recorder as it was until the journal came (kept here as ``record_before``): every
  result written to the warehouse in its own transaction and the ``--output`` file rewritten
  whole (and fsynced) after every result, so its cost grows with the results so far, and
* now: ``benchwh.runners.recorder.Recorder`` with its defaults (each result one fsynced journal
  line; the warehouse written in batches),

timing every ``rec.result`` call. The old path is quadratic, so running it for all results
would take many minutes: it is timed over the first ``--before-window`` results and over the
last ones (on a warehouse and file already holding ``results - before_window`` results, as they
would after that many), and its total is their mean times ``--results`` (exact for a cost
linear in the results so far). The new path runs all ``--results``; its first and last
``--window`` results are compared. Then a recording process is
killed with SIGKILL at a random result and the warehouse is drained: every result whose
``rec.result`` call had returned must be there.

The last line: ``speedup=<before total / now total> now_last_vs_first=<now last window / first
window> before_ms=<per result> now_ms=<per result> lost_after_kill=<n>`` (medians over repeats).

    python benchmarks/recorder_speed.py --results 2000 --window 200 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 3, 1)


def make_result(run, i: int):
    from benchwh.records import Result

    samples = [1.0 + (i * 7 + k) % 13 / 10 for k in range(20)]
    return Result(run=run, model_name=f"model-{i % 5}", hardware_type="cpu", batch_size=1 + i % 8,
                  sequence_length=128, precision="fp32", latency_ms_mean=statistics.fmean(samples),
                  latency_samples_ms=samples, throughput_items_per_s=1000.0 / samples[0],
                  measured_at=T0 + timedelta(seconds=i))


def new_warehouse(folder: Path):
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    folder.mkdir(parents=True, exist_ok=True)
    loc = resolve(str(folder / "w.duckdb"))
    migrate(loc)
    return loc


def record_before(loc, output: Path, run, first: int, n: int, prefill: int) -> list[float]:
    """The old recorder's per-result path (flush_every=1): one warehouse transaction per result
    and the whole output file rewritten after each. ``prefill`` results are there already."""
    from benchwh.interchange import write_file
    from benchwh.records import RunMeta
    from benchwh.warehouse.spool import write_or_spool
    from benchwh.warehouse.write import write_records

    records = [make_result(run, i) for i in range(prefill)]
    write_records(loc, [RunMeta(run)] + records)
    write_file(output, [RunMeta(run)] + records)
    times = []
    for i in range(first, first + n):
        t0 = time.perf_counter()
        rec = make_result(run, i)
        records.append(rec)
        write_file(output, [RunMeta(run)] + records)
        write_or_spool(loc, [rec])
        times.append(time.perf_counter() - t0)
    return times


def record_now(loc, output: Path, run, n: int) -> list[float]:
    from benchwh.runners.recorder import Recorder

    times = []
    with Recorder(str(loc.path), output=output, run=run) as rec:
        for i in range(n):
            t0 = time.perf_counter()
            rec.add(make_result(run, i))
            times.append(time.perf_counter() - t0)
    return times


CHILD = textwrap.dedent("""
    import sys
    from benchwh.runners.recorder import Recorder
    with Recorder(sys.argv[1], output=sys.argv[2]) as rec:
        for i in range(10 ** 6):
            r = rec.result(model_name="m", hardware_type="cpu", batch_size=i + 1, latency_ms_mean=1.0)
            print(r.result_id, flush=True)  # only after rec.result returned
""")


def kill_check(folder: Path, at: int) -> int:
    """Results returned by rec.result but missing after SIGKILL at result ``at`` and a drain."""
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.spool import ingest

    loc = new_warehouse(folder)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(loc.path), str(folder / "k.json")],
                            stdout=subprocess.PIPE, text=True)
    returned = []
    while len(returned) < at:
        line = proc.stdout.readline()
        if not line:
            break
        returned.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    ingest(loc)
    with open_warehouse(loc, read_only=True) as con:
        there = {r[0] for r in con.execute("SELECT result_id FROM results").fetchall()}
    return len(set(returned) - there)


def stats(xs: list[float]) -> str:
    return f"min {min(xs):.3f} median {statistics.median(xs):.3f} max {max(xs):.3f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", type=int, default=2000)
    p.add_argument("--window", type=int, default=200)
    p.add_argument("--before-window", type=int, default=50)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = p.parse_args(argv)
    if args.smoke:
        args.results, args.window, args.before_window, args.repeats = 30, 10, 5, 1
    n, w = args.results, min(args.window, args.results // 2)
    bw = min(args.before_window, args.results // 2)

    from benchwh.runners.environment import capture

    run = capture("benchmarks.recorder_speed")
    rng = random.Random(args.seed)
    print(f"{n} results with --output, old path timed over windows of {bw}; {args.repeats} repeats "
          f"(per-result times in ms)")
    before_ms, now_ms, speedups, now_drift, lost = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bw-recorder-") as tmp:
        for rep in range(args.repeats):
            order = ("before", "now") if rep % 2 == 0 else ("now", "before")
            got = {}
            for side in order:
                d = Path(tmp) / f"{rep}-{side}"
                if side == "before":
                    first = record_before(new_warehouse(d / "a"), d / "a.json", run, 0, bw, 0)
                    last = record_before(new_warehouse(d / "b"), d / "b.json", run, n - bw, bw, n - bw)
                    got[side] = (statistics.fmean(first) * 1e3, statistics.fmean(last) * 1e3,
                                 n * (statistics.fmean(first) + statistics.fmean(last)) / 2)
                else:
                    t = record_now(new_warehouse(d), d / "out.json", run, n)
                    got[side] = (statistics.fmean(t[:w]) * 1e3, statistics.fmean(t[-w:]) * 1e3, sum(t))
            b, c = got["before"], got["now"]
            before_ms.append(b[2] / n * 1e3)
            now_ms.append(c[2] / n * 1e3)
            speedups.append(b[2] / c[2])
            now_drift.append(c[1] / c[0])
            print(f"repeat {rep + 1} ({' then '.join(order)}): before first {b[0]:.2f} last {b[1]:.2f} "
                  f"total ~{b[2]:.1f} s | now first {c[0]:.3f} last {c[1]:.3f} total {c[2]:.2f} s | "
                  f"speedup {speedups[-1]:.1f}x, now last/first {now_drift[-1]:.2f}")
            at = rng.randrange(3, max(4, min(n, 200)))
            lost.append(kill_check(Path(tmp) / f"{rep}-kill", at))
            print(f"  SIGKILL after {at} returned results: {lost[-1]} lost")
    print(f"before ms/result: {stats(before_ms)}")
    print(f"now ms/result:    {stats(now_ms)}")
    print(f"speedup:          {stats(speedups)}")
    print(f"now last/first:   {stats(now_drift)}")
    print(f"speedup={statistics.median(speedups):.1f} now_last_vs_first={statistics.median(now_drift):.2f} "
          f"before_ms={statistics.median(before_ms):.2f} now_ms={statistics.median(now_ms):.3f} "
          f"lost_after_kill={sum(lost)}")
    return 0 if sum(lost) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
