"""How long `benchwh report` takes, and how big its page is, on the corpus and at scale.

    python benchmarks/report_speed.py [--results 100000] [--repeat 3] [--smoke]

1. Imports the legacy corpus (../shared/legacy_corpus) into a fresh warehouse and times
   ``benchwh report --out`` on it (the whole command, in a subprocess: startup included).
2. Builds a warehouse of ``--results`` results with ``benchmarks/query_speed.py``'s bulk
   builder (50 models, 8 hardware types, 18 configurations per run, 20 raw samples per
   result, every 10th run simulated) and times the same command on it.

Each is run ``--repeat`` times, interleaved; min/median/max wall time are printed with the
command's CPU time (steadier on a shared machine) and the page's size.
Goals: corpus < 3 s; 500,000 results (10,000+ series x 35-50 runs) <= 30 s and <= 15 MB.
The last line is ``report_s_corpus=<median> report_s_100k=<median>`` (the second is the
``--results`` warehouse, whatever its size). ``--smoke``: 2,000 results, one repeat.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCHWH = [sys.executable, "-m", "benchwh.cli.main"]


def cli(*args: str) -> None:
    res = subprocess.run([*BENCHWH, *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"benchwh {' '.join(args)} failed: {res.stderr.strip()}")


def timed_report(db: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command): on a shared machine the CPU time is the
    steadier figure."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    cli("report", "--db", str(db), "--out", str(out))
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "legacy_corpus")
    ap.add_argument("--smoke", action="store_true", help="2,000 results, one repeat")
    a = ap.parse_args(argv)
    if a.smoke:
        a.results, a.repeat = 2_000, 1
    sys.path.insert(0, str(HERE))
    from query_speed import build

    with tempfile.TemporaryDirectory(prefix="report_speed_") as tmp:
        tmp = Path(tmp)
        corpus_db, big_db = tmp / "corpus.duckdb", tmp / "big.duckdb"
        sides = {"big": big_db}
        if a.corpus.is_dir():
            cli("migrate", "--db", str(corpus_db))
            cli("import", str(a.corpus), "--db", str(corpus_db))
            sides = {"corpus": corpus_db, **sides}
        else:
            print(f"legacy corpus not found at {a.corpus}: the corpus part is left out", flush=True)
        t = time.perf_counter()
        build(big_db, a.results)
        print(f"built {a.results:,} results in {time.perf_counter() - t:.1f} s", flush=True)
        times: dict[str, list[float]] = {name: [] for name in sides}
        cpu: dict[str, list[float]] = {name: [] for name in sides}
        sizes: dict[str, int] = {}
        for _ in range(a.repeat):
            for name, db in sides.items():
                out = tmp / f"{name}.html"
                wall, used = timed_report(db, out)
                times[name].append(wall)
                cpu[name].append(used)
                sizes[name] = out.stat().st_size
        for name, label in (("corpus", "corpus"), ("big", f"{a.results:,} results")):
            if name not in sides:
                continue
            ts = times[name]
            print(f"{label:>16}: min {min(ts):6.2f} s  median {statistics.median(ts):6.2f} s  "
                  f"max {max(ts):6.2f} s  (CPU median {statistics.median(cpu[name]):6.2f} s)  "
                  f"page {sizes[name] / 1e6:5.1f} MB", flush=True)
    corpus = f"report_s_corpus={statistics.median(times['corpus']):.2f} " if "corpus" in times else ""
    print(f"{corpus}report_s_100k={statistics.median(times['big']):.2f}")


if __name__ == "__main__":
    main()
