"""Example: a benchmark script that records its results in the benchwh warehouse.

It times Python's ``sorted`` on random lists of a few sizes (no torch needed) and records one
Result per size. The two pieces a script needs:

* ``add_db_options(parser)`` gives it ``--db-path``, ``--no-db-store``, ``--visualize-from-db``
  and ``--results-json``;
* ``opts.recorder(origin=...)`` is a context manager that opens a run (environment captured
  once), takes results, and writes each one in a short transaction (or to the JSON file).

    python -m benchwh.runners.examples.record_example --db-path bench.duckdb --sizes 1000,10000
    python -m benchwh.runners.examples.record_example --no-db-store --results-json out.json
"""

from __future__ import annotations

import argparse
import random
import time

from benchwh.runners.environment import cpu_model, utc_now
from benchwh.runners.options import DbOptions, add_db_options
from benchwh.runners.stats import result_fields

ORIGIN = "benchwh.examples.sort"


def time_sort(size: int, iterations: int, warmup: int) -> list[float]:
    """Latency in ms of each of ``iterations`` calls of ``sorted`` on one random list."""
    data = [random.Random(size).random() for _ in range(size)]
    for _ in range(warmup):
        sorted(data)
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        sorted(data)
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="Comma-separated list lengths.")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    add_db_options(parser)
    args = parser.parse_args(argv)
    opts = DbOptions.from_args(args)

    with opts.recorder(origin=ORIGIN, metadata={"workload": "sorted(list of floats)"}) as rec:
        for size in (int(s) for s in args.sizes.split(",")):
            measured_at = utc_now()
            samples = time_sort(size, args.iterations, args.warmup)
            rec.result(
                model_name="python-sorted", model_family="example", hardware_type="cpu",
                device_name=cpu_model(), mode="inference", batch_size=1, sequence_length=size,
                precision="fp64", warmup_iterations=args.warmup, measured_at=measured_at,
                metrics={"elements": size}, **result_fields(samples, items_per_call=1),
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
