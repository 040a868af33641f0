"""How well `benchwh changes` finds change points, against Apache Otava on the same values.

    python benchmarks/changes_accuracy.py [--series 20] [--points 100] [--seed 7]
                                          [--speed-series 10000] [--smoke]

1. Generates seeded series with known change points, ``--series`` of each pattern:
   ``noise`` (noise only), ``step`` (one step of 5-60% either way), ``fix`` (a regression of
   10-50% then its fix), ``steps`` (3-4 steps of 8-30% back to back, 10-20 points apart) and
   ``outliers`` (noise with 2-4 lone outliers of +30..+100% or -25..-45%, at least 3 points
   apart). Every series has its own run-to-run noise of 3-5%; each point is the mean of 10 raw
   samples with 2% within-run noise around its run's level.
2. Loads them through the recorder API (``benchwh.runners.recorder.Recorder``): one nightly
   run per point, recording that night's result of every series, into a new warehouse made
   by the real migrations.
3. Runs ``benchwh changes --metric latency_ms_mean --format json`` (its defaults: p <= 0.001,
   changes of 2% or more) and, in the same run, Otava's e-divisive with its defaults
   (``otava.analysis.compute_change_points(values)``: window 50, p <= 0.001) on the same
   values (the recorded ``latency_ms_mean`` of each point, read back from the warehouse).
4. Scores both: a detection within 3 points of a true change counts once (each true change
   matched at most once, nearest first); anything else is a false alarm. Prints per pattern
   and overall precision, recall, F1 and false alarms.
5. Speed: ``--speed-series`` series x ``--points`` points (steps at random places) analysed
   by the same code ``benchwh changes`` runs after its SQL read (``benchwh.regress.changes
   .analyse``), with Otava timed on a sample of them and scaled.

The last line is ``changes_f1=… otava_f1=… false_alarms=… otava_false_alarms=…``. Goal: F1 >=
Otava's and no more false alarms, overall and on the noise-only and outlier series; speed under
30 s for 10,000 x 100. ``--smoke``: a tiny size for CI. Needs ``pip install apache-otava==0.8.0``
(extra ``otava``; ``--no-deps`` keeps this environment's numpy and scipy, which its analysis
module works with).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

PATTERNS = ("noise", "step", "fix", "steps", "outliers")
START = datetime(2025, 1, 1, 2, 0, 0)
TOLERANCE = 3
SAMPLES, WITHIN = 10, 0.02


def generate(pattern: str, n: int, rng) -> tuple[list[float], list[int], list[int]]:
    """(true level per point, true change indices, outlier indices) of one series."""
    import numpy as np

    level = np.full(n, 10.0 * float(rng.uniform(0.5, 2.0)))
    changes: list[int] = []
    outliers: list[int] = []
    if pattern == "step":
        k = int(rng.integers(max(5, n // 5), n - max(5, n // 5)))
        size = float(rng.uniform(0.05, 0.60))  # slower by it, or faster by the same ratio
        level[k:] *= (1 + size) if rng.random() < 0.5 else 1 / (1 + size)
        changes = [k]
    elif pattern == "fix":
        k = int(rng.integers(max(5, n // 5), max(6, n // 2)))
        k2 = min(n - 5, k + int(rng.integers(8, 25)))
        level[k:k2] *= 1 + float(rng.uniform(0.10, 0.50))
        changes = [k, k2]
    elif pattern == "steps":
        k = int(rng.integers(8, 15))
        while k < n - 8 and len(changes) < 4:
            level[k:] *= 1 + float(rng.uniform(0.08, 0.30)) * (1 if rng.random() < 0.5 else -1)
            changes.append(k)
            k += int(rng.integers(10, 21))
    elif pattern == "outliers":
        want = int(rng.integers(2, 5))
        while len(outliers) < want:
            i = int(rng.integers(2, n - 2))
            if all(abs(i - j) >= 3 for j in outliers):
                outliers.append(i)
    return level.tolist(), changes, sorted(outliers)


def build(n_series: int, points: int, seed: int):
    """Every series' true changes and the per-night records (level, samples) to load."""
    import numpy as np

    rng = np.random.default_rng(seed)
    series = []
    for pattern in PATTERNS:
        for i in range(n_series):
            level, changes, outliers = generate(pattern, points, rng)
            noise = float(rng.uniform(0.03, 0.05))
            run_level = np.asarray(level) * (1 + noise * rng.standard_normal(points))
            for j in outliers:
                run_level[j] *= 1 + (float(rng.uniform(0.3, 1.0)) if rng.random() < 0.7
                                     else -float(rng.uniform(0.25, 0.45)))
            samples = run_level[:, None] * (1 + WITHIN * rng.standard_normal((points, SAMPLES)))
            series.append({"model": f"acc/{pattern}/{i:03d}", "pattern": pattern, "changes": changes,
                           "samples": samples})
    return series


def load(db: str, series: list[dict], points: int) -> float:
    """Record every night through the recorder API; returns seconds taken."""
    from benchwh.records import RunInfo
    from benchwh.runners.recorder import Recorder
    from benchwh.runners.stats import result_fields

    t0 = time.perf_counter()
    for k in range(points):
        t = START + timedelta(days=k)
        run = RunInfo(origin="nightly-accuracy", started_at=t, git_commit=f"{k:040x}", host="bench")
        with Recorder(db=db, origin="nightly-accuracy", run=run, say=lambda _: None,
                      flush_every=len(series) + 1) as rec:
            for s in series:
                rec.result(model_name=s["model"], hardware_type="cpu", batch_size=1, measured_at=t,
                           **result_fields(s["samples"][k].tolist(), items_per_call=1))
    return time.perf_counter() - t0


def recorded_values(db: str) -> dict[str, list[float]]:
    """Each series' recorded latency_ms_mean in time order, read back from the warehouse."""
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(db, read_only=True) as con:
        rows = con.execute(
            "SELECT m.model_name, list(r.latency_ms_mean ORDER BY r.measured_at) FROM results r "
            "JOIN models m USING (model_id) GROUP BY 1").fetchall()
    return dict(rows)


def score(found: list[int], true: list[int]) -> tuple[int, int, int]:
    """(true positives, false alarms, missed): each true change matched once, nearest first."""
    pairs = sorted((abs(f - t), fi, ti) for fi, f in enumerate(found) for ti, t in enumerate(true)
                   if abs(f - t) <= TOLERANCE)
    used_f, used_t = set(), set()
    for _, fi, ti in pairs:
        if fi not in used_f and ti not in used_t:
            used_f.add(fi)
            used_t.add(ti)
    return len(used_t), len(found) - len(used_f), len(true) - len(used_t)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def run_benchwh(db: str) -> tuple[dict[str, list[int]], float]:
    exe = str(Path(sys.executable).with_name("benchwh"))
    t0 = time.perf_counter()
    res = subprocess.run([exe, "changes", "--db", db, "--metric", "latency_ms_mean", "--format", "json"],
                         capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"benchwh changes failed: {res.stderr.strip()}")
    out: dict[str, list[int]] = {}
    for c in json.loads(res.stdout):
        day = (datetime.fromisoformat(c["measured_at"]) - START).days
        out.setdefault(c["model_name"], []).append(day)
    return out, dt


def run_otava(values: dict[str, list[float]]) -> tuple[dict[str, list[int]], float]:
    from otava.analysis import compute_change_points

    t0 = time.perf_counter()
    out = {m: [int(c.index) for c in compute_change_points(list(v))[0]] for m, v in values.items()}
    return out, time.perf_counter() - t0


def speed(n_series: int, points: int, seed: int) -> tuple[float, float, float]:
    """(seconds benchwh, seconds Otava scaled from a sample, series analysed) on synthetic
    frames shaped as ``series_points`` returns them."""
    import numpy as np
    import polars as pl
    from otava.analysis import compute_change_points

    from benchwh.regress.changes import analyse
    from benchwh.regress.series import SERIES_KEY

    rng = np.random.default_rng(seed)
    level = np.full((n_series, points), 10.0)
    for i in range(n_series):
        k = int(rng.integers(points // 5, points - points // 5))
        level[i, k:] *= 1 + float(rng.uniform(-0.3, 0.6))
    vals = level * (1 + 0.04 * rng.standard_normal((n_series, points)))
    n = n_series * points
    times = [START + timedelta(days=k) for k in range(points)]
    cols = {c: pl.Series(c, [None] * n, dtype=pl.String) for c in SERIES_KEY}
    cols["model_name"] = pl.Series(np.repeat(np.array([f"speed/{i:05d}" for i in range(n_series)]), points))
    cols["hardware_type"] = pl.Series(["cpu"] * n)
    cols["is_simulated"] = pl.Series([False] * n)
    frame = pl.DataFrame({
        "metric": ["latency_ms_mean"] * n, **cols,
        "result_id": [f"r{i}" for i in range(n)], "run_id": ["run"] * n, "git_commit": [None] * n,
        "measured_at": times * n_series, "value": vals.ravel(), "n_samples": np.full(n, SAMPLES),
        "samples_mean": vals.ravel(), "samples_var": (vals.ravel() * WITHIN) ** 2,
    })
    t0 = time.perf_counter()
    found = sum(len(sc.changes) for sc in analyse(frame))
    ours = time.perf_counter() - t0
    sample = min(n_series, 200)
    t0 = time.perf_counter()
    for i in range(sample):
        compute_change_points(vals[i].tolist())
    theirs = (time.perf_counter() - t0) * n_series / sample
    print(f"  speed: {n_series:,} series x {points} points: benchwh {ours:.2f} s "
          f"({n_series / ours:,.0f} series/s, {found:,} change points); Otava ~{theirs:.1f} s "
          f"(timed on {sample}, scaled)")
    return ours, theirs, n_series


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=20, help="series per pattern")
    ap.add_argument("--points", type=int, default=100, help="points (nightly runs) per series")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--speed-series", type=int, default=10_000)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.series, args.points, args.speed_series = 3, 40, 200
    try:
        import otava.analysis  # noqa: F401
    except ImportError:
        sys.exit("Apache Otava is needed for the comparison: pip install --no-deps apache-otava==0.8.0")

    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    series = build(args.series, args.points, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "accuracy.duckdb")
        migrate(resolve(db))
        load_s = load(db, series, args.points)
        print(f"loaded {len(series)} series x {args.points} nightly runs through the recorder in {load_s:.1f} s")
        values = recorded_values(db)
        ours, ours_s = run_benchwh(db)
        theirs, theirs_s = run_otava(values)
    print(f"benchwh changes {ours_s:.2f} s (whole command), Otava {theirs_s:.2f} s on the same values\n")
    print(f"{'pattern':<10} {'tool':<8} {'true':>5} {'found':>6} {'tp':>4} {'false':>6} "
          f"{'precision':>9} {'recall':>7} {'F1':>6}")
    totals = {"benchwh": [0, 0, 0], "otava": [0, 0, 0]}
    for pattern in PATTERNS:
        for tool, found in (("benchwh", ours), ("otava", theirs)):
            tp = fp = fn = 0
            for s in series:
                if s["pattern"] != pattern:
                    continue
                a, b, c = score(found.get(s["model"], []), s["changes"])
                tp, fp, fn = tp + a, fp + b, fn + c
            for k, v in enumerate((tp, fp, fn)):
                totals[tool][k] += v
            p, r, f = prf(tp, fp, fn)
            print(f"{pattern:<10} {tool:<8} {tp + fn:>5} {tp + fp:>6} {tp:>4} {fp:>6} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
    for tool, (tp, fp, fn) in totals.items():
        p, r, f = prf(tp, fp, fn)
        print(f"{'overall':<10} {tool:<8} {tp + fn:>5} {tp + fp:>6} {tp:>4} {fp:>6} {p:>9.3f} {r:>7.3f} {f:>6.3f}")
    print()
    speed(args.speed_series, args.points if not args.smoke else 40, args.seed)
    f_ours = prf(*totals["benchwh"])[2]
    f_theirs = prf(*totals["otava"])[2]
    print(f"changes_f1={f_ours:.3f} otava_f1={f_theirs:.3f} false_alarms={totals['benchwh'][1]} "
          f"otava_false_alarms={totals['otava'][1]}")


if __name__ == "__main__":
    main()
