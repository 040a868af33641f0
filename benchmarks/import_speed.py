"""How fast `benchwh import` brings legacy JSON files in, against the ways one could do without.

    python benchmarks/import_speed.py [--files 20000] [--jobs N] [--baseline-files 2000]
    python benchmarks/import_speed.py --rss-check [--rss-gb 1.0]
    python benchmarks/import_speed.py --big-ledger 1000000 [--files 1000]

1. Writes ``--files`` legacy-shaped files (``benchwh.testing.write_tree``: the F6, F8, F10 and
   F12 shapes in turn, ``json.dump(indent=2)`` as the legacy scripts wrote them) to a temporary
   folder.
2. Times, on the same files (already in the page cache), ``--repeats`` times interleaved (the
   order rotating each repeat):
   - ``json.load`` alone: open and parse every file, nothing else (the floor for any importer);
   - walk + hash: walk the folder, read and sha256 every file (the floor for a re-import);
   - the legacy way, ``json.load`` + ``executemany``: each file parsed, its results flattened
     to rows (model, hardware, batch size, latency ms, throughput, memory MiB, time) and
     inserted into a DuckDB file with one ``executemany`` per file. It runs at a few hundred
     files/s, so it is timed on ``--baseline-files`` files taken evenly across the shapes;
   - a plain bulk loader doing the same work as benchwh in one process (``time_bulk``: read,
     hash, the ledger semi-join, benchwh's own converters so the same rows and ids, one
     transaction of rows and ledger rows per 10,000 files, deduplicated by anti-join);
   - ``benchwh import``: ``benchwh.importing.run_import(db, [folder])`` into a fresh warehouse
     (made by the real migrations) in a child process, which reports the call's time and its
     peak RSS (``ru_maxrss``; the conversion workers' peak apart), then imports the same folder
     again (every file known: the re-import).
3. The last line is ``vs_parse=... vs_bulk=... vs_executemany=... reimport_vs_walkhash=...
   rss_mib=...``: benchwh files/s over each baseline's (medians), the re-import's files/s over
   walk + hash, and the peak RSS. Goals: vs_parse >= 0.5 (with ``--jobs`` = cores), vs_bulk >=
   0.8, reimport_vs_walkhash >= 1.0, vs_executemany >= 20.

``--big-ledger N`` instead times a ``--files`` import (default 1,000 in this mode) into a warehouse
that already holds N files (N results and N ledger rows, bulk-inserted) against the same import
into an empty one, interleaved, each into a fresh copy of its warehouse; last line
``big_vs_empty=...`` (median seconds into the big one over the empty one; goal <= 1.2).

``--rss-check`` instead writes about ``--rss-gb`` GB of bigger F6-shaped files (hundreds of
configurations with 20 latency samples each, ~1 MB a file), imports them in a child process and
fails (exit 1) unless the importing process's peak RSS stays under 1 GiB per GB of JSON, and each
worker's too. It is not part of CI: on a 2-core machine it takes several minutes (writing the
files, then the import itself; the output prints both times).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

GIB = 1 << 30
FLAT = ("CREATE TABLE flat (model VARCHAR, hardware VARCHAR, batch_size INTEGER, latency_ms DOUBLE, "
        "throughput DOUBLE, memory_mb DOUBLE, measured_at TIMESTAMP)")


def json_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


# --- baselines -------------------------------------------------------------------------------
def time_parse(files: list[Path]) -> float:
    """json.load of every file; files/s."""
    t = time.perf_counter()
    for p in files:
        with open(p) as f:
            json.load(f)
    return len(files) / (time.perf_counter() - t)


def _ts(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def flat_rows(doc: dict) -> list[tuple]:
    """One row per result of a generated F6/F8/F10/F12 document, as a hand-written legacy loader
    would flatten it (the shapes of ``benchwh.testing``)."""
    rows = []
    if "benchmarks" in doc:  # F6: seconds, config keys batch_<b>_seq_<s>
        for models in doc["benchmarks"].values():
            for model, per_hw in models.items():
                for hw, entry in per_hw.items():
                    for key, r in entry.get("benchmark_results", {}).items():
                        rows.append((model, hw, int(key.split("_")[1]), r["avg_latency"] * 1000.0,
                                     r.get("throughput"), None, _ts(entry.get("timestamp"))))
    elif "batch_results" in doc:  # F8
        for b, r in doc["batch_results"].items():
            rows.append((doc["model"], doc["hardware"], int(b), r.get("avg_latency_ms"),
                         r.get("throughput_items_per_second"), r.get("memory_mb"), _ts(r.get("timestamp"))))
    elif "batch_sizes" in doc:  # F10
        for b, r in doc["batch_sizes"].items():
            rows.append((doc["model_path"], doc["hardware_key"], int(b), r.get("latency_ms"),
                         r.get("throughput"), r.get("memory_usage_mb"), _ts(doc.get("timestamp"))))
    elif "metrics" in doc:  # F12
        m = doc["metrics"]
        rows.append((doc["model_name"], doc["platform"], None, m.get("inference_time_ms"),
                     m.get("throughput_items_per_second"), m.get("memory_mb"), _ts(doc.get("timestamp"))))
    return rows


def time_executemany(files: list[Path], db: Path) -> tuple[float, int]:
    """json.load + one executemany INSERT per file into a flat DuckDB table; (files/s, rows)."""
    import duckdb

    con = duckdb.connect(str(db))
    con.execute(FLAT)
    n = 0
    t = time.perf_counter()
    for p in files:
        with open(p) as f:
            rows = flat_rows(json.load(f))
        if rows:
            con.executemany("INSERT INTO flat VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            n += len(rows)
    rate = len(files) / (time.perf_counter() - t)
    con.close()
    return rate, n


def spread(files: list[Path], k: int) -> list[Path]:
    """``k`` files taken evenly across the sorted list (so every shape is in the sample)."""
    if k >= len(files):
        return files
    step = len(files) / k
    return [files[int(i * step)] for i in range(k)]


def time_walk_hash(root: Path) -> float:
    """Walk the folder, read and sha256 every ``*.json`` file: the floor for a re-import that
    must look at every file's content; files/s."""
    import hashlib

    t = time.perf_counter()
    n = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if name.endswith(".json"):
                with open(os.path.join(folder, name), "rb") as f:
                    hashlib.sha256(f.read()).hexdigest()
                n += 1
    return n / (time.perf_counter() - t)


def time_bulk(root: Path, db: Path, per_batch: int = 10_000) -> tuple[float, int]:
    """A plain bulk loader doing benchwh's work in one process without its machinery: walk,
    read, sha256, skip content the ledger has (one semi-join per batch), parse and convert with
    benchwh's own converters (so the same rows and the same ids), then one transaction per
    ``per_batch`` files holding their rows (deduplicated against the tables by an anti-join)
    and their ledger rows. Into a fresh warehouse; (files/s, results added)."""
    import hashlib

    from benchwh.legacy_import.convert import IMPORTED, SKIPPED, convert_bytes
    from benchwh.warehouse.bulk import ledgered_among
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import Batch, LedgerRow, append

    if db.exists():
        db.unlink()
    migrate(resolve(str(db)))
    paths = [(str(p), str(p.relative_to(root))) for p in json_files(root)]
    added = 0
    t = time.perf_counter()
    with open_warehouse(str(db)) as con:
        for i in range(0, len(paths), per_batch):
            part = []
            for path, rel in paths[i:i + per_batch]:
                with open(path, "rb") as f:
                    data = f.read()
                part.append((path, rel, data, hashlib.sha256(data).hexdigest()))
            known = ledgered_among(con, [d for *_, d in part], (IMPORTED, SKIPPED))
            batch, when = Batch(), datetime.now()
            for path, rel, data, digest in part:
                if digest in known:
                    continue
                known.add(digest)
                out = convert_bytes(data, rel, None, sha256=digest, time_path=path)
                for rec in out.records:
                    batch.add(rec)
                batch.ledger(LedgerRow(file_sha256=digest, path=rel, size_bytes=len(data), format=out.format,
                                       parser_version=out.parser_version, status=out.status, results=0, compat=0,
                                       tests=0, reason=out.reason, imported_at=when))
            added += append(con, batch).inserted.get("results", 0)
    return len(paths) / (time.perf_counter() - t), added


# --- the contender (child process) ------------------------------------------------------------
def child(root: str, db: str, jobs: int | None) -> None:
    """Run in a fresh process: migrate ``db``, time run_import, print one JSON line."""
    import resource

    from benchwh.importing import run_import
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    migrate(resolve(db))
    t = time.perf_counter()
    report = run_import(db, [root], jobs=jobs)
    seconds = time.perf_counter() - t
    status: dict[str, int] = {}
    for f in report.files:
        status[f["status"]] = status.get(f["status"], 0) + 1
    rss, worker_rss = (resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    t = time.perf_counter()
    again = run_import(db, [root], jobs=jobs)  # everything is known now: a re-import
    reimport = time.perf_counter() - t
    print(json.dumps({
        "seconds": seconds, "files": len(report.files), "status": status, "added": dict(report.added),
        "rss_kib": rss, "worker_rss_kib": worker_rss, "reimport_seconds": reimport,
        "reimport_added": dict(again.added),
    }))


def run_child(root: Path, db: Path, jobs: int | None) -> tuple[dict, float]:
    cmd = [sys.executable, __file__, "--child", str(root), str(db)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"benchwh import (child process) failed with exit {out.returncode}:\n{out.stderr[-3000:]}")
    wall = time.perf_counter() - t
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


# --- the RSS check ---------------------------------------------------------------------------
def write_big_f6(root: Path, gb: float) -> tuple[int, int]:
    """F6-shaped files of ~1 MB (512 configurations x 20 samples each) until ``gb`` GB are
    written; (files, bytes)."""
    from benchwh.testing import f6_runner

    target = int(gb * 1e9)
    total = i = 0
    while total < target:
        name, doc = f6_runner(i)
        entry = next(iter(next(iter(doc["benchmarks"].values())).values()))
        hw = next(iter(entry))
        configs = {}
        for b in range(1, 33):
            for s in range(16):
                lat = [0.001 * b * (1 + ((i + b + s + k) % 7) / 10) for k in range(20)]
                avg = sum(lat) / len(lat)
                configs[f"batch_{b}_seq_{32 * (s + 1)}"] = {
                    "status": "completed", "latencies": lat, "avg_latency": avg, "throughput": b / avg,
                    "total_time": sum(lat), "iterations": 20}
        entry[hw]["benchmark_results"] = configs
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(doc, indent=2)
        p.write_text(text)
        total += len(text)
        i += 1
    return i, total


def rss_check(work: Path, gb: float, jobs: int | None) -> int:
    src = work / "big"
    t = time.perf_counter()
    n, size = write_big_f6(src, gb)
    print(f"wrote {n} F6 files, {size / 1e9:.2f} GB of JSON in {time.perf_counter() - t:.0f} s")
    res, wall = run_child(src, work / "big.duckdb", jobs)
    main_gib = res["rss_kib"] * 1024 / GIB
    worker_gib = res["worker_rss_kib"] * 1024 / GIB
    limit = size / 1e9  # GiB allowed: 1 GiB per GB of JSON
    print(f"benchwh import: {res['files']} files, {res['added'].get('results', 0)} results in "
          f"{res['seconds']:.0f} s (process total {wall:.0f} s)")
    print(f"peak RSS: importing process {main_gib:.2f} GiB, largest worker {worker_gib:.2f} GiB "
          f"(limit {limit:.2f} GiB each)")
    ok = main_gib < limit and worker_gib < limit and res["status"] == {"imported": n}
    print("rss_check=" + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


# --- a big warehouse -------------------------------------------------------------------------
def fill_ledger(db: Path, n: int) -> None:
    """Add ``n`` ledger rows (imported files, one result each) to ``db``, as ``n`` earlier
    imports would have left them."""
    import duckdb

    from benchwh.warehouse.tables import ledger_key_sql

    con = duckdb.connect(str(db))
    try:
        con.execute(f"""
            INSERT INTO import_ledger (ledger_id, file_sha256, path, size_bytes, format, parser_version,
                status, results, compat, tests, reason, imported_at, file_key)
            SELECT md5('ledger' || i), sha256('file' || i), 'bench/run_' || i || '/benchmark_results.json',
                   2000 + i % 500, 'f06-hardware-benchmark', 1, 'imported', 1, 0, 0, NULL, TIMESTAMP '2025-01-01',
                   {ledger_key_sql("sha256('file' || i)")}
            FROM range(?) t(i)""", [n])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def big_ledger(work: Path, n: int, files: int, jobs: int | None, repeats: int) -> int:
    """A ``files``-file import into a warehouse holding ``n`` files against one into an empty one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from query_speed import build

    from benchwh.testing import write_tree
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    src = work / "legacy"
    write_tree(src, files)
    t = time.perf_counter()
    templates = {"empty": work / "empty.duckdb", "big": work / "big.duckdb"}
    migrate(resolve(str(templates["empty"])))
    build(templates["big"], n)
    fill_ledger(templates["big"], n)
    print(f"built a warehouse of {n:,} results and {n:,} ledger rows "
          f"({templates['big'].stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s; "
          f"importing {files:,} new files into it and into an empty one, {repeats} repeats, interleaved")
    seconds: dict[str, list[float]] = {"empty": [], "big": []}
    for rep in range(repeats):
        for side in (("empty", "big") if rep % 2 == 0 else ("big", "empty")):
            db = work / "target.duckdb"
            shutil.copyfile(templates[side], db)
            res, _wall = run_child(src, db, jobs)
            assert res["added"].get("results"), res  # the new files' results landed
            seconds[side].append(res["seconds"])
        print(f"repeat {rep + 1}: empty {seconds['empty'][-1]:.2f} s, big {seconds['big'][-1]:.2f} s")
    med = {k: statistics.median(v) for k, v in seconds.items()}
    for k, v in seconds.items():
        print(f"{k:<6} seconds: min {min(v):.2f} median {med[k]:.2f} max {max(v):.2f}")
    ratio = med["big"] / med["empty"]
    print(f"goal: within 20% of the empty warehouse {'met' if ratio <= 1.2 else 'NOT met'}")
    print(f"big_vs_empty={ratio:.2f} big_files={n}")
    return 0


# --- main ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20000, help="legacy-shaped files to generate")
    ap.add_argument("--jobs", type=int, default=None, help="benchwh import worker processes (default: one per CPU)")
    ap.add_argument("--baseline-files", type=int, default=2000,
                    help="files the json.load + executemany baseline is timed on (it is slow)")
    ap.add_argument("--workdir", type=Path, default=None, help="where to write (default: a temporary folder)")
    ap.add_argument("--rss-check", action="store_true", help="check peak RSS on ~1 GB of bigger files instead")
    ap.add_argument("--rss-gb", type=float, default=1.0, help="GB of JSON for --rss-check")
    ap.add_argument("--big-ledger", type=int, default=None, metavar="N",
                    help="time a --files import (default 1,000 here) into a warehouse already holding N files")
    ap.add_argument("--child", nargs=2, metavar=("ROOT", "DB"), help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.files, args.baseline_files, args.rss_gb, args.repeats = 40, 10, 0.002, 1
    if args.child:
        child(args.child[0], args.child[1], args.jobs)
        return 0

    work = args.workdir or Path(tempfile.mkdtemp(prefix="benchwh_import_speed_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.rss_check:
            return rss_check(work, args.rss_gb, args.jobs)
        if args.big_ledger is not None:
            n_files = 1000 if "--files" not in (argv if argv is not None else sys.argv) else args.files
            return big_ledger(work, args.big_ledger, 40 if args.smoke else n_files, args.jobs, args.repeats)
        from benchwh.testing import write_tree

        src = work / "legacy"
        t = time.perf_counter()
        size = write_tree(src, args.files)
        files = json_files(src)
        print(f"wrote {len(files)} files ({size / 1e6:.1f} MB; F6/F8/F10/F12 shapes) in "
              f"{time.perf_counter() - t:.1f} s; {os.cpu_count()} CPUs; {args.repeats} repeats, interleaved "
              f"(files/s as min/median/max; ratios of medians)")
        sample = spread(files, min(len(files), args.baseline_files))
        rates: dict[str, list[float]] = {k: [] for k in ("parse", "walkhash", "executemany", "bulk", "benchwh",
                                                          "reimport")}
        rss = []
        sides = ["parse", "walkhash", "executemany", "bulk", "benchwh"]
        for rep in range(args.repeats):
            k = rep % len(sides)
            for side in sides[k:] + sides[:k]:
                if side == "parse":
                    rates["parse"].append(time_parse(files))
                elif side == "walkhash":
                    rates["walkhash"].append(time_walk_hash(src))
                elif side == "executemany":
                    rates["executemany"].append(time_executemany(sample, work / f"flat{rep}.duckdb")[0])
                elif side == "bulk":
                    rates["bulk"].append(time_bulk(src, work / "bulk.duckdb")[0])
                else:
                    (work / "wh.duckdb").unlink(missing_ok=True)
                    res, wall = run_child(src, work / "wh.duckdb", args.jobs)
                    rates["benchwh"].append(res["files"] / res["seconds"])
                    rates["reimport"].append(res["files"] / res["reimport_seconds"])
                    rss.append(max(res["rss_kib"], res["worker_rss_kib"]) / 1024)
                    assert not res["reimport_added"], res["reimport_added"]
            print(f"repeat {rep + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in rates.items()) + " files/s")
        med = {k: statistics.median(v) for k, v in rates.items()}
        for k, v in rates.items():
            print(f"{k:<12} files/s: min {min(v):9.0f} median {med[k]:9.0f} max {max(v):9.0f}")
        print(f"benchwh import peak RSS (importing process or largest worker): {max(rss):.0f} MiB; "
              f"executemany timed on {len(sample)} of the files")
        print(f"goals: vs_parse >= 0.5 {'met' if med['benchwh'] / med['parse'] >= 0.5 else 'NOT met'}; "
              f"vs_bulk >= 0.8 {'met' if med['benchwh'] / med['bulk'] >= 0.8 else 'NOT met'}; "
              f"reimport_vs_walkhash >= 1.0 {'met' if med['reimport'] / med['walkhash'] >= 1.0 else 'NOT met'}")
        print(f"vs_parse={med['benchwh'] / med['parse']:.2f} vs_bulk={med['benchwh'] / med['bulk']:.2f} "
              f"vs_executemany={med['benchwh'] / med['executemany']:.1f} "
              f"reimport_vs_walkhash={med['reimport'] / med['walkhash']:.2f} rss_mib={max(rss):.0f}")
        return 0
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
