"""What does a result cost on disk? Warehouse bytes against the JSON bytes they came from.

Two corpora, each imported with ``benchwh import`` (``benchwh.importing.run_import``) into a
fresh warehouse made by the real migrations:

* ``--small-files`` one-result files (F8 ``direct_benchmark`` shape, one batch size each; 100k
  by default), and
* ``--f6-gb`` GB of F6 runner files of ~1 MB each (512 configurations x 20 samples; as
  ``benchmarks/import_speed.py --rss-check`` writes them).

For each it prints the JSON bytes, the warehouse file's bytes after the import (DuckDB
checkpoints when the import closes it) and after a rewrite into a fresh file (``COPY FROM
DATABASE``: what the same rows take without the free blocks many small commits leave), the
ratio of each to the JSON bytes, bytes per result, and what takes the bytes: each table, and
each column of ``results`` and ``runs``, stored alone in a fresh DuckDB file (its compressed
size there, minus an empty file's). Each side is measured once per repeat (``--repeats``; sizes
do not vary between repeats, so one is the default). The last line:
``small_ratio=<warehouse/JSON> f6_ratio=<warehouse/JSON> small_bytes_per_result=<n>
f6_bytes_per_result=<n>``. Goal: both ratios <= 0.15.

    python benchmarks/storage.py --small-files 100000 --f6-gb 1.0
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BREAKDOWN_MIN_RESULTS = 20_000


def write_small(root: Path, n: int) -> int:
    """``n`` one-result F8 files over 20 models and 4 hardware types; returns their bytes."""
    from benchwh.testing import f8_direct

    total = 0
    hws = ("cpu", "cuda", "rocm", "mps")
    for i in range(n):
        name, doc = f8_direct(i, model=f"org/model-{i % 20}", hardware=hws[(i // 20) % 4], batch_sizes=(1,))
        p = root / f"{i // 1000:04d}" / f"{i:07d}_{name}"
        p.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(doc, indent=2)
        p.write_text(text)
        total += len(text.encode())
    return total


def write_f6(root: Path, gb: float) -> int:
    sys.path.insert(0, str(HERE))
    from import_speed import write_big_f6

    return write_big_f6(root, gb)[1]


def file_bytes(path: Path) -> int:
    wal = path.with_name(path.name + ".wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def compacted_bytes(db: Path, work: Path) -> int:
    import duckdb

    out = work / "compact.duckdb"
    out.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
        con.execute(f"ATTACH '{out}' AS dst")
        con.execute("COPY FROM DATABASE src TO dst")
        con.execute("DETACH dst")
    finally:
        con.close()
    n = file_bytes(out)
    out.unlink()
    return n


def alone_bytes(con, work: Path, select: str, empty: int = 0) -> int:
    """Bytes ``select``'s rows take stored alone in a fresh DuckDB file, minus ``empty``."""
    out = work / "alone.duckdb"
    out.unlink(missing_ok=True)
    con.execute(f"ATTACH '{out}' AS dst")
    try:
        con.execute(f"CREATE TABLE dst.t AS {select}")
    finally:
        con.execute("DETACH dst")
    n = file_bytes(out)
    out.unlink()
    return max(0, n - empty)


def breakdown(db: Path, work: Path, results: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
    con.execute("USE src")
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1").fetchall()]
        cols = {t: [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
            "ORDER BY column_index", [t]).fetchall()] for t in ("results", "runs")}
        empty = alone_bytes(con, work, "SELECT 1 AS x WHERE false")
        per_table = {t: alone_bytes(con, work, f"SELECT * FROM src.{t}", empty) for t in tables}
        total = sum(per_table.values()) or 1
        print("  by table (stored alone): " + ", ".join(
            f"{t} {b / 1e6:.2f} MB ({100 * b / total:.0f}%)"
            for t, b in sorted(per_table.items(), key=lambda kv: -kv[1]) if b))
        for t, names in cols.items():
            sizes = {c: alone_bytes(con, work, f'SELECT "{c}" FROM src.{t}', empty) for c in names}
            top = sorted(sizes.items(), key=lambda kv: -kv[1])[:8]
            print(f"  {t} columns, largest (bytes per result): " + ", ".join(
                f"{c} {b / max(1, results):.1f}" for c, b in top if b))
    finally:
        con.close()


def measure(name: str, src: Path, json_bytes: int, work: Path, jobs: int | None) -> tuple[float, float]:
    from benchwh.importing import run_import
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.open import open_warehouse

    db = work / f"{name}.duckdb"
    db.unlink(missing_ok=True)
    migrate(resolve(str(db)))
    empty = file_bytes(db)
    t0 = time.perf_counter()
    rep = run_import(str(db), [src], jobs=jobs)
    took = time.perf_counter() - t0
    with open_warehouse(str(db), read_only=True) as con:
        results = con.execute("SELECT count(*) FROM results").fetchone()[0]
    wh = file_bytes(db)
    compact = compacted_bytes(db, work)
    print(f"{name}: {len(rep.files):,} files, {json_bytes / 1e6:.1f} MB of JSON -> {results:,} results "
          f"(import {took:.0f} s)")
    print(f"  warehouse after import {wh / 1e6:.2f} MB ({wh / json_bytes:.3f} of the JSON; empty warehouse "
          f"{empty / 1e6:.2f} MB); rewritten fresh {compact / 1e6:.2f} MB ({compact / json_bytes:.3f}); "
          f"{wh / max(1, results):.0f} bytes per result ({compact / max(1, results):.0f} rewritten)")
    if results >= BREAKDOWN_MIN_RESULTS:
        breakdown(db, work, results)
    else:
        print(f"  (no breakdown below {BREAKDOWN_MIN_RESULTS:,} results: DuckDB allocates 256 KiB blocks)")
    return wh / json_bytes, wh / max(1, results)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small-files", type=int, default=100_000)
    ap.add_argument("--f6-gb", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (a check that the benchmark runs)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.small_files, args.f6_gb = 200, 0.003
    work = args.workdir or Path(tempfile.mkdtemp(prefix="benchwh-storage-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"{os.cpu_count()} CPUs; sizes are deterministic for these inputs (no repeats needed)")
        small = work / "small"
        shutil.rmtree(small, ignore_errors=True)
        small_ratio, small_per = measure("one-result files", small, write_small(small, args.small_files), work,
                                         args.jobs)
        shutil.rmtree(small, ignore_errors=True)
        big = work / "f6"
        shutil.rmtree(big, ignore_errors=True)
        f6_ratio, f6_per = measure("F6 files", big, write_f6(big, args.f6_gb), work, args.jobs)
        print(f"goal <= 0.15: one-result files {'met' if small_ratio <= 0.15 else 'NOT met'}, "
              f"F6 files {'met' if f6_ratio <= 0.15 else 'NOT met'}")
        print(f"small_ratio={small_ratio:.3f} f6_ratio={f6_ratio:.3f} small_bytes_per_result={small_per:.0f} "
              f"f6_bytes_per_result={f6_per:.0f}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
