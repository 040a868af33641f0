"""How long do `benchwh --help` and `benchwh status` take against `python -c "import duckdb"`?

Each repeat runs, interleaved (the order rotates each round), ``--runs`` rounds of: the
baseline ``python -c "import duckdb"``, ``benchwh --help`` and ``benchwh status`` on a small
warehouse, each in a fresh interpreter, wall-clock timed; a repeat's figure per command is its
median round. Prints min/median/max over repeats and the ratio to the baseline; the last line:
``help_vs_duckdb=<ratio> status_vs_duckdb=<ratio>`` (medians over repeats). Goal: <= 1.5.

    python benchmarks/startup.py --runs 7 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = "from benchwh.cli.quick import main; main()"  # the console script's entry point


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return dt


def stats(xs: list[float], unit: float = 1e3) -> str:
    return f"min {min(xs) * unit:.1f} median {statistics.median(xs) * unit:.1f} max {max(xs) * unit:.1f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = p.parse_args(argv)
    if args.smoke:
        args.runs, args.repeats = 1, 1

    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    with tempfile.TemporaryDirectory(prefix="bw-startup-") as tmp:
        db = str(Path(tmp) / "w.duckdb")
        migrate(resolve(db))
        cmds = {
            "import duckdb": [sys.executable, "-c", "import duckdb"],
            "benchwh --help": [sys.executable, "-c", CLI, "--help"],
            "benchwh status": [sys.executable, "-c", CLI, "status", "--db", db],
        }
        names = list(cmds)
        per: dict[str, list[float]] = {n: [] for n in names}
        for rep in range(args.repeats):
            rounds: dict[str, list[float]] = {n: [] for n in names}
            for r in range(args.runs):
                k = (rep * args.runs + r) % len(names)
                for n in names[k:] + names[:k]:
                    rounds[n].append(timed(cmds[n]))
            for n in names:
                per[n].append(statistics.median(rounds[n]))
            print(f"repeat {rep + 1}: " + ", ".join(f"{n} {per[n][-1] * 1e3:.1f} ms" for n in names))
    base = per["import duckdb"]
    ratios = {}
    for n in names:
        line = f"{n:<15} ms: {stats(per[n])}"
        if n != "import duckdb":
            ratios[n] = [a / b for a, b in zip(per[n], base)]
            line += f" | ratio to import duckdb: {stats(ratios[n], 1)}"
        print(line)
    print(f"help_vs_duckdb={statistics.median(ratios['benchwh --help']):.2f} "
          f"status_vs_duckdb={statistics.median(ratios['benchwh status']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
