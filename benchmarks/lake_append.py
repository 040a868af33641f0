"""Appends per second into DuckLake on PostgreSQL with 1, 2 and 4 concurrent writers, and into
a single DuckDB file with one writer, through the one writer every benchwh path uses.

    python benchmarks/lake_append.py [--appends 20] [--rows 10]

An *append* is one ``benchwh.warehouse.write.write_records`` call: open the warehouse, insert
``--rows`` new results (with their run/model/hardware rows) in one transaction, commit (on the
lake: the conflict retry and the duplicate-id settling included), close. That is what a
recorder flush does on every machine of a fleet.

Each writer is its own process (standing in for a machine). It opens the warehouse once
before the clock starts (so the DuckDB extensions are loaded), waits for a start file, then
makes ``--appends`` appends of results no other writer has. The rate is all writers' appends
divided by the time from the start file to the last writer's end. Every configuration gets a
fresh warehouse made by the real migrations; each rate is checked afterwards against the
rows the warehouse holds.

PostgreSQL: a private cluster is started on 127.0.0.1 with the test helpers (``tests/pg.py``:
initdb and pg_ctl from Debian's postgresql package) and stopped at the end.

The last line is ``writers_1=<appends/s> writers_2=<appends/s> writers_4=<appends/s>
duckdb_file=<appends/s>``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, sys, time
from datetime import datetime, timedelta
from benchwh.records import Result, RunInfo
from benchwh.warehouse.location import resolve
from benchwh.warehouse.open import open_warehouse
from benchwh.warehouse.write import write_records

db, data, tag, appends, rows, go = sys.argv[1:7]
appends, rows = int(appends), int(rows)
loc = resolve(db, data or None)
with open_warehouse(loc):
    pass  # warm: extensions loaded, catalog reachable
run = RunInfo(origin="lake_append", started_at=datetime(2026, 3, 1), run_key=tag, host=tag)
batches = [[Result(run=run, model_name=f"model-{(k * rows + i) % 20}", hardware_type="cpu",
                   batch_size=1 + i % 8, latency_ms_mean=1.0 + i,
                   measured_at=datetime(2026, 3, 1) + timedelta(seconds=k * rows + i))
            for i in range(rows)] for k in range(appends)]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
inserted = sum(write_records(loc, b)["results"] for b in batches)
print("inserted", inserted, flush=True)
"""


def run_writers(db: str, data: str | None, writers: int, appends: int, rows: int, work: Path) -> float:
    """Start ``writers`` processes, release them together; appends per second overall."""
    go = work / f"go-{writers}-{time.monotonic_ns()}"
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, db, data or "", f"w{writers}-{k}",
                               str(appends), str(rows), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for k in range(writers)]
    for p in procs:  # every writer warm before the clock starts
        line = p.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"writer failed to start: {line} {p.stderr.read()[-2000:]}")
    t0 = time.perf_counter()
    go.touch()
    inserted = 0
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"writer failed: {err[-3000:]}")
        inserted += int(out.split()[-1])
    elapsed = time.perf_counter() - t0
    if inserted != writers * appends * rows:
        raise RuntimeError(f"{writers} writers reported {inserted} results, expected {writers * appends * rows}")
    return writers * appends / elapsed


def count_results(db: str, data: str | None) -> tuple[int, int]:
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(resolve(db, data), read_only=True) as con:
        return con.execute("SELECT count(*), count(DISTINCT result_id) FROM results").fetchone()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--appends", type=int, default=20, help="appends per writer")
    ap.add_argument("--rows", type=int, default=10, help="results per append")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.appends, args.rows = 2, 2

    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    work = Path(tempfile.mkdtemp(prefix="benchwh-lake-append-"))
    cluster = None
    try:
        sys.path.insert(0, str(REPO / "tests"))
        import pg

        reason = pg.why_unavailable()
        if reason:
            print(f"cannot start PostgreSQL: {reason}", file=sys.stderr)
            return 2
        cluster = pg.start_cluster()

        rates: dict[str, float] = {}
        for writers in (1,) if args.smoke else (1, 2, 4):
            db = "ducklake:postgres:" + cluster.conninfo(cluster.create_database())
            data = str(work / f"lake-{writers}")
            migrate(resolve(db, data))
            rate = run_writers(db, data, writers, args.appends, args.rows, work)
            n = count_results(db, data)
            assert n == (writers * args.appends * args.rows,) * 2, n
            rates[f"writers_{writers}"] = rate
            print(f"ducklake/postgres, {writers} writer(s): {rate:.1f} appends/s "
                  f"({rate * args.rows:.0f} results/s; {n[0]} results, all distinct)")
        db = str(work / "one.duckdb")
        migrate(resolve(db))
        rate = run_writers(db, None, 1, args.appends, args.rows, work)
        n = count_results(db, None)
        assert n == (args.appends * args.rows,) * 2, n
        rates["duckdb_file"] = rate
        print(f"duckdb file, 1 writer: {rate:.1f} appends/s ({rate * args.rows:.0f} results/s)")
        print(json.dumps({"appends_per_writer": args.appends, "rows_per_append": args.rows,
                          "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}))
        print(" ".join(f"{k}={rates[k]:.1f}" if k in rates else f"{k}=n/a"
                       for k in ("writers_1", "writers_2", "writers_4", "duckdb_file")))
    finally:
        if cluster is not None:
            from benchwh.warehouse import lake

            lake.release()
            pg.stop_cluster(cluster)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
