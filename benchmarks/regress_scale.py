"""`benchwh regressions` and `benchwh changes` on a large history, against hand-written baselines.

    python benchmarks/regress_scale.py [--series 10000] [--runs 50] [--repeat 3] [--smoke]

1. Builds a warehouse with the real migrations and fills it in bulk inside DuckDB (one
   ``INSERT ... SELECT`` per table from ``range(N)``; no records, no Python per row): ``--runs``
   nightly runs, each measuring every one of ``--series`` series once (models x hardware x
   batch x sequence length; 20 raw latency samples per result, +-2% noise, items/s and memory).
   Every 50th series is 25% slower at the last run (a regression the gate must find); every
   50th series, offset by 25, steps +20% at the middle run (a change point for `changes`).
2. Times, interleaved, ``--repeat`` times each (min / median / max of wall seconds, peak RSS of
   the process):
   - ``baseline``: what one would write by hand for the same gate: DuckDB picks the two newest
     points of every series with their samples, one vectorised ``scipy.stats.mannwhitneyu``
     call per sample-size group, verdicts with the 5% threshold and p < 0.002, in-process;
   - ``regressions``: ``benchwh regressions --metric latency_ms_mean --json`` (its defaults);
   - ``changes``: ``benchwh changes --metric latency_ms_mean --json`` (its defaults).
   Both commands run as subprocesses, as a user runs them; the regressions found by
   ``baseline`` and ``regressions`` are compared.

Last line: ``regressions_s=… regressions_rss_mib=… baseline_s=… changes_s=… changes_rss_mib=…
regressions_found=… baseline_found=… changes_found=…`` (medians). Goals for 10,000 x 50:
regressions <= 5 s and <= 512 MiB, changes <= 30 s. ``--smoke``: 200 series x 10 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = [(b, s) for b in (1, 2, 4, 8, 16) for s in (32, 64, 128, 256)]
HARDWARE = ("cpu", "cuda")


def build(db: Path, n_series: int, runs: int) -> None:
    import duckdb

    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    migrate(resolve(str(db)))
    per_model = len(CONFIGS) * len(HARDWARE)
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN")
        # s: series number, f: run (night) number
        con.execute(f"""CREATE TEMP TABLE g AS
            SELECT s, f, 'scale/model-' || lpad((s // {per_model})::VARCHAR, 5, '0') AS model_name,
                   ({list(HARDWARE)})[1 + (s // {len(CONFIGS)}) % {len(HARDWARE)}] AS hardware_type,
                   ({[b for b, _ in CONFIGS]})[1 + s % {len(CONFIGS)}] AS batch_size,
                   ({[q for _, q in CONFIGS]})[1 + s % {len(CONFIGS)}] AS sequence_length,
                   (1.0 + (hash(s) % 1000) / 100.0)
                     * CASE WHEN s % 50 = 0 AND f = {runs - 1} THEN 1.25 ELSE 1.0 END
                     * CASE WHEN s % 50 = 25 AND f >= {runs // 2} THEN 1.20 ELSE 1.0 END AS level,
                   TIMESTAMP '2025-01-01 02:00:00' + to_days(f::INTEGER) + to_seconds((s % 3600)::BIGINT) AS measured_at
            FROM range({n_series}) a(s), range({runs}) b(f)""")
        con.execute("""CREATE TEMP TABLE gs AS SELECT *,
                   list_transform(range(20), x -> level * (0.98 + (hash(s * 1000003 + f * 101 + x) % 4001) / 100000.0)) AS samples
            FROM g""")
        con.execute("""INSERT INTO runs (run_id, origin, started_at, git_commit, host, inserted_at)
            SELECT DISTINCT md5('run' || f), 'nightly', TIMESTAMP '2025-01-01 02:00:00' + to_days(f::INTEGER),
                   substr(md5('commit' || f), 1, 12), 'bench', TIMESTAMP '2025-06-01' FROM g""")
        con.execute("""INSERT INTO models (model_id, model_name, inserted_at)
            SELECT DISTINCT md5('model' || model_name), model_name, TIMESTAMP '2025-06-01' FROM g""")
        con.execute("""INSERT INTO hardware (hardware_id, hardware_type, inserted_at)
            SELECT DISTINCT md5('hw' || hardware_type), hardware_type, TIMESTAMP '2025-06-01' FROM g""")
        con.execute("""INSERT INTO results (result_id, run_id, model_id, hardware_id, mode, batch_size,
                sequence_length, precision, status, latency_ms_mean, latency_samples_ms,
                throughput_items_per_s, memory_peak_mb, iterations, is_simulated, measured_at, inserted_at)
            SELECT md5('result' || s || '/' || f), md5('run' || f), md5('model' || model_name),
                   md5('hw' || hardware_type), 'inference', batch_size, sequence_length, 'fp32', 'completed',
                   list_avg(samples), samples, 1000.0 * batch_size / list_avg(samples), 300.0 + batch_size,
                   20, false, measured_at, TIMESTAMP '2025-06-01'
            FROM gs""")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def baseline(db: Path) -> int:
    """The hand-written gate (run in its own process: ``--baseline DB``); returns regressions."""
    import duckdb
    import numpy as np
    from scipy.stats import mannwhitneyu

    con = duckdb.connect(str(db), read_only=True)
    try:
        tbl = con.execute("""
            SELECT r.model_id, r.hardware_id, r.batch_size, r.sequence_length, r.latency_ms_mean,
                   r.latency_samples_ms, row_number() OVER w AS rank
            FROM results r WHERE r.status = 'completed' AND r.latency_ms_mean IS NOT NULL
            WINDOW w AS (PARTITION BY r.model_id, r.hardware_id, r.mode, r.batch_size, r.sequence_length,
                         r.precision, r.is_simulated ORDER BY r.measured_at DESC)
            QUALIFY rank <= 2
            ORDER BY r.model_id, r.hardware_id, r.batch_size, r.sequence_length, rank""").fetch_arrow_table()
    finally:
        con.close()
    import polars as pl

    f = pl.from_arrow(tbl)
    cur, prev = f.filter(pl.col("rank") == 1), f.filter(pl.col("rank") == 2)
    keys = ["model_id", "hardware_id", "batch_size", "sequence_length"]
    pair = cur.join(prev, on=keys, suffix="_b")
    x = np.array(pair["latency_samples_ms"].to_list(), dtype=float)
    y = np.array(pair["latency_samples_ms_b"].to_list(), dtype=float)
    p = mannwhitneyu(x, y, alternative="two-sided", axis=1).pvalue
    change = (pair["latency_ms_mean"].to_numpy() / pair["latency_ms_mean_b"].to_numpy() - 1) * 100
    return int(np.sum((p < 0.002) & (change > 5)))


def timed(args: list[str], exe: str | None = None) -> tuple[float, int, str]:
    """Run ``exe ARGS[:-1]`` (default: benchwh) with stdout to the file ``ARGS[-1]``: wall
    seconds, peak RSS of the process (MiB), its stdout."""
    exe = exe or str(Path(sys.executable).with_name("benchwh"))
    t0 = time.perf_counter()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # child: stdout to a file, then exec the command
        fd = os.open(args[-1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        err = os.open(args[-1] + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(err, 2)
        os.execv(exe, [exe, *args[:-1]])  # never returns
    _, status, usage = os.wait4(pid, 0)
    dt = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args[:-1])} exited {os.waitstatus_to_exitcode(status)}: "
                 + Path(args[-1] + ".err").read_text().strip()[-2000:])
    return dt, usage.ru_maxrss // 1024, Path(args[-1]).read_text()


def summary(name: str, xs: list[float], rss: list[int] | None = None) -> str:
    s = f"{name:<12} min {min(xs):7.2f} s  median {statistics.median(xs):7.2f} s  max {max(xs):7.2f} s"
    if rss:
        s += f"  peak RSS {max(rss)} MiB"
    return s


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    ap.add_argument("--baseline", metavar="DB", help=argparse.SUPPRESS)  # the baseline's own process
    args = ap.parse_args(argv)
    if args.baseline:
        print(json.dumps({"found": baseline(Path(args.baseline))}))
        return
    if args.smoke:
        args.series, args.runs, args.repeat = 200, 10, 1

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "scale.duckdb"
        t0 = time.perf_counter()
        build(db, args.series, args.runs)
        print(f"built {args.series:,} series x {args.runs} runs ({args.series * args.runs:,} results) "
              f"in {time.perf_counter() - t0:.1f} s")
        out = str(Path(tmp) / "out.json")
        times: dict[str, list[float]] = {"baseline": [], "regressions": [], "changes": []}
        rss: dict[str, list[int]] = {"baseline": [], "regressions": [], "changes": []}
        found: dict[str, int] = {}
        for rep in range(args.repeat):
            dt, mib, text = timed([__file__, "--baseline", str(db), out], exe=sys.executable)
            times["baseline"].append(dt)
            rss["baseline"].append(mib)
            found["baseline"] = json.loads(text)["found"]
            dt, mib, text = timed(["regressions", "--db", str(db), "--metric", "latency_ms_mean", "--json", out])
            times["regressions"].append(dt)
            rss["regressions"].append(mib)
            found["regressions"] = json.loads(text)["counts"]["regression"]
            dt, mib, text = timed(["changes", "--db", str(db), "--metric", "latency_ms_mean", "--json", out])
            times["changes"].append(dt)
            rss["changes"].append(mib)
            found["changes"] = len(json.loads(text))
            print(f"  repeat {rep + 1}: baseline {times['baseline'][-1]:.2f} s, regressions "
                  f"{times['regressions'][-1]:.2f} s, changes {times['changes'][-1]:.2f} s", flush=True)
    for name in times:
        print(summary(name, times[name], rss[name]))
    print(f"found: baseline {found['baseline']} regressions, benchwh regressions {found['regressions']}, "
          f"benchwh changes {found['changes']} change points (expected {len(range(0, args.series, 50))} "
          f"regressions and {len(range(25, args.series, 50))} mid-history steps)")
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"regressions_s={med['regressions']:.2f} regressions_rss_mib={max(rss['regressions'])} "
          f"baseline_s={med['baseline']:.2f} changes_s={med['changes']:.2f} "
          f"changes_rss_mib={max(rss['changes'])} regressions_found={found['regressions']} "
          f"baseline_found={found['baseline']} changes_found={found['changes']}")


if __name__ == "__main__":
    main()
