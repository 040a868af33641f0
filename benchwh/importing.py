"""``benchwh import``: legacy JSON files -> records -> warehouse, idempotently and in bulk.

Reads the files under the given paths (``*.json``, recursive), the warehouse's import ledger;
writes results, compatibility facts, test outcomes, runs/models/hardware and one ledger row per
new file. Each batch is one transaction holding its files' rows *and* their ledger rows, so a
killed import leaves every file either fully in or fully out, and a rerun picks up exactly where
it stopped.

How the work is split: this process reads each file and hashes it (content already in the
ledger, or seen earlier in this run, is a duplicate and is never parsed); worker processes
(``jobs``) parse, identify and convert chunks of files and hand back Arrow columns; this process
writes them batch by batch, in file order, so the outcome does not depend on ``jobs``. Memory is
bounded: a bounded number of chunks in flight, one batch pending and a capped DuckDB cache,
never the whole import (``benchmarks/import_speed.py --rss-check`` measures it).
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections import Counter, defaultdict, deque
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from benchwh.errors import BenchwhError
from benchwh.legacy_import.convert import DUPLICATE, IMPORTED, QUARANTINED, SKIPPED, convert_bytes
from benchwh.records import CompatFact, Result, TestOutcome

# One batch = one transaction. DuckDB's cost per row falls with the rows per commit (measured
# here: ~11 us/result row at 3,500 rows, ~6 at 35,000); the records bound keeps memory small.
BATCH_FILES = int(os.environ.get("BENCHWH_IMPORT_BATCH_FILES", "10000"))
BATCH_RECORDS = int(os.environ.get("BENCHWH_IMPORT_BATCH_RECORDS", "100000"))
JOBS_ENV = "BENCHWH_IMPORT_JOBS"
# A chunk is one task of a worker: enough files that handing it over costs little next to
# converting it, few enough bytes that a worker's memory stays small.
CHUNK_FILES = 200
CHUNK_BYTES = 4 << 20
# Chunks handed to the workers and not yet written: enough that they keep converting while
# this process writes a batch; the bytes read but not yet written bound the memory it takes.
AHEAD_PER_JOB = 16
IN_FLIGHT_BYTES = 64 << 20
POOL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves
GC_THRESHOLD = (20_000, 20, 20)  # for the import's allocations (Python's default: 700, 10, 10)
IMPORT_MEMORY_LIMIT = "256MB"  # DuckDB's, while importing (see _duckdb_settings)


@dataclass(slots=True)
class SourceFile:
    path: str  # absolute
    rel_path: str  # relative to the import root, '/' separated


def discover(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Files to import: each file as given, each folder's ``*.json`` recursively (symlinked
    folders are not followed), sorted by path relative to the folder."""
    found: list[SourceFile] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            raise BenchwhError(f"{raw}: no such file or folder")
        p = p.resolve()
        if p.is_file():
            found.append(SourceFile(str(p), p.name))
            continue
        files: list[SourceFile] = []
        _walk(str(p), "", files)
        files.sort(key=lambda f: f.rel_path)
        found.extend(files)
    return found


def _walk(folder: str, rel: str, out: list[SourceFile]) -> None:
    """Append the ``*.json`` files under ``folder`` (``rel``: its path from the import root, with
    a trailing '/'): what ``os.walk`` lists, without its per-folder ``lstat``."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # an unreadable folder is skipped, as os.walk does
    for e in entries:
        try:
            is_dir = e.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not e.is_symlink():
                _walk(e.path, f"{rel}{e.name}/", out)
        elif e.name.lower().endswith(".json"):
            out.append(SourceFile(e.path, rel + e.name))


@dataclass
class FormatSummary:
    files: int = 0
    results: int = 0
    compat: int = 0
    tests: int = 0
    skipped: int = 0
    quarantined: int = 0
    duplicate: int = 0


@dataclass
class ImportReport:
    files: list[dict] = field(default_factory=list)
    by_format: dict[str, FormatSummary] = field(default_factory=lambda: defaultdict(FormatSummary))
    added: Counter = field(default_factory=Counter)  # rows added per table
    dry_run: bool = False

    @property
    def quarantined(self) -> int:
        return sum(1 for f in self.files if f["status"] == QUARANTINED)

    def to_json(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "files": self.files,
            "summary": {k: vars(v) for k, v in sorted(self.by_format.items())},
            "added": dict(self.added),
        }


@dataclass(slots=True)
class FileDone:
    """One file's outcome without its records (those travel as columns)."""

    rel_path: str
    sha256: str
    size: int
    status: str
    format: str | None = None
    parser_version: int | None = None
    reason: str | None = None
    converted: tuple[int, int, int] = (0, 0, 0)  # results, compat facts, tests its content held
    records: int = 0  # every record its content held (runs and models included)
    ledger_id: str | None = None


def _counts(records) -> tuple[int, int, int]:
    r = c = t = 0
    for rec in records:
        if isinstance(rec, Result):
            r += 1
        elif isinstance(rec, CompatFact):
            c += 1
        elif isinstance(rec, TestOutcome):
            t += 1
    return r, c, t


# --- conversion (runs in the workers) ----------------------------------------------------
# An item: (rel_path, absolute path, sha256, size, bytes, None, None) to convert, or
# (rel_path, path, sha256, size, None, status, reason) already decided by the reader.
Item = tuple[str, str, str, int, "bytes | None", "str | None", "str | None"]


def convert_chunk(items: list[Item], forced: str | None) -> tuple[list[tuple], dict[str, Any]]:
    """Convert a chunk of files. Returns, per item, ``(status, format, parser_version, reason,
    (results, compat, tests), records, ledger id)``, and the chunk's rows as Arrow tables
    (``Batch.rows_table``), deduplicated by id within the chunk. Reads nothing but the items."""
    from benchwh.warehouse.write import Batch, LedgerRow

    batch = Batch()
    metas = []
    for rel, path, digest, _size, data, status, reason in items:
        if data is None:
            metas.append((status, None, None, reason, (0, 0, 0), 0, LedgerRow.id_of(digest, rel, status, None)))
            continue
        out = convert_bytes(data, rel, forced, sha256=digest, time_path=path)
        for rec in out.records:
            batch.add(rec)
        metas.append((out.status, out.format, out.parser_version, out.reason, _counts(out.records),
                      len(out.records), LedgerRow.id_of(digest, rel, out.status, out.parser_version)))
    return metas, {name: batch.rows_table(name) for name, rows in batch.rows.items() if rows}


def _read(path: str) -> bytes:
    # os-level reads: about half the cost of Path.read_bytes for the small files imports are made of
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        parts = []
        while True:
            part = os.read(fd, 1 << 20)
            if not part:
                break
            parts.append(part)
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


@dataclass(slots=True)
class Chunk:
    items: list
    size: int = 0
    recheck: bool = False  # one file whose content an earlier, not yet written file also had


def _chunks(files: list[SourceFile], known: set[str], max_files: int) -> Iterator[Chunk]:
    """Read and hash the files in order, grouped into chunks. ``known`` (digests imported or
    skipped, by the ledger or earlier in this run) is read as the caller updates it. A file
    whose content an earlier file of this run had is decided when that file's outcome is
    known: it travels alone (``recheck``)."""
    seen: set[str] = set()
    chunk = Chunk([])
    for sf in files:
        try:
            data = _read(sf.path)
        except OSError as e:
            chunk.items.append((sf.rel_path, sf.path, "", 0, None, QUARANTINED,
                                f"cannot read file: {e.strerror}"))
        else:
            digest = hashlib.sha256(data).hexdigest()
            if digest in known:
                chunk.items.append((sf.rel_path, sf.path, digest, len(data), None, DUPLICATE,
                                    "same content already imported"))
            elif digest in seen:
                if chunk.items:
                    yield chunk
                    chunk = Chunk([])
                yield Chunk([(sf.rel_path, sf.path, digest, len(data), data, None, None)], len(data), True)
                continue
            else:
                seen.add(digest)
                chunk.items.append((sf.rel_path, sf.path, digest, len(data), data, None, None))
                chunk.size += len(data)
        if len(chunk.items) >= max_files or chunk.size >= CHUNK_BYTES:
            yield chunk
            chunk = Chunk([])
    if chunk.items:
        yield chunk


def _worker_start() -> None:
    """In each worker: leave Ctrl-C to the importing process, exit if it dies (a killed
    import must not leave workers waiting for work forever), collect garbage less often."""
    import gc
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the fork copied stays: keep the collector off it. Conversion makes many short-lived
    # containers and no cycles worth chasing every 700 allocations.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="benchwh-parent-watch").start()


def _pool(jobs: int):
    """A started process pool of ``jobs`` workers, forked from this process once the conversion
    code is imported (the workers inherit it instead of importing it each). Call it before
    opening a warehouse: a fork must not copy an open database's threads."""
    import multiprocessing as mp
    import sys
    from concurrent.futures import ProcessPoolExecutor

    import pyarrow as pa

    from benchwh.legacy_import.registry import importers

    importers()
    pa.array([0])  # pyarrow imports pandas, if installed, on its first conversion (~0.3 s)
    ctx = mp.get_context("fork" if sys.platform == "linux" else "spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_start)
    pool.submit(int).result()  # fork the workers now
    return pool


def _converted(chunks: Iterator[Chunk], forced: str | None, pool, jobs: int) -> Iterator[tuple[Chunk, tuple]]:
    """``(chunk, convert_chunk(chunk))`` in chunk order: here without a pool, else in the pool's
    worker processes, a bounded number of chunks (and bytes) ahead."""
    if pool is None:
        for ch in chunks:
            yield ch, convert_chunk(ch.items, forced)
        return
    from concurrent.futures.process import BrokenProcessPool

    window: deque = deque()
    in_flight = 0
    try:
        for ch in chunks:
            window.append((ch, pool.submit(convert_chunk, ch.items, forced)))
            in_flight += ch.size
            while window and (len(window) >= AHEAD_PER_JOB * jobs or in_flight >= IN_FLIGHT_BYTES):
                done, fut = window.popleft()
                in_flight -= done.size
                yield done, fut.result()
        while window:
            done, fut = window.popleft()
            yield done, fut.result()
    except BrokenProcessPool:
        raise BenchwhError(
            f"a conversion worker process died (out of memory?); the batches written so far are kept: "
            f"rerun the import with fewer workers ({JOBS_ENV}=1 converts in the importing process)") from None


@contextmanager
def _duckdb_settings(con, pool, jobs: int) -> Iterator[None]:
    """DuckDB settings for the import, put back afterwards. Memory: DuckDB keeps the blocks it
    wrote cached up to its limit (80% of RAM by default), so an import's memory would grow with
    the warehouse; capped, it stays bounded (a batch that needs more spills to disk). Threads:
    while workers convert, DuckDB gets the CPUs they leave (at least one); more would only wait
    for theirs, at a cost (measured here: ~2x the CPU per inserted row)."""
    wanted = {"memory_limit": IMPORT_MEMORY_LIMIT}
    if pool is not None:
        wanted["threads"] = str(max(1, (os.cpu_count() or 1) - jobs))
    old = {k: con.execute(f"SELECT current_setting('{k}')").fetchone()[0] for k in wanted}
    for k, v in wanted.items():
        con.execute(f"SET {k} = '{v}'")
    try:
        yield
    finally:
        for k, v in old.items():
            con.execute(f"SET {k} = '{v}'")


def default_jobs() -> int:
    """Worker processes for an import: ``BENCHWH_IMPORT_JOBS``, else one per CPU."""
    raw = os.environ.get(JOBS_ENV)
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise BenchwhError(f"{JOBS_ENV}={raw!r}: expected a number of worker processes") from None
    return os.cpu_count() or 1


# --- writing (this process) ----------------------------------------------------------------
def run_import(
    db,
    paths: Iterable[str | Path],
    forced: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    batch_files: int | None = None,
    batch_records: int | None = None,
    jobs: int | None = None,
) -> ImportReport:
    """Import every JSON file under ``paths`` into the warehouse ``db``.

    ``progress(done, total, rel_path)`` is called after each file. With ``dry_run`` every batch
    is written inside a transaction and rolled back, so the counts are exact and nothing stays.
    ``jobs``: worker processes converting files (default ``default_jobs()``; 1 converts here).
    """
    from benchwh.legacy_import.registry import by_name

    batch_files = batch_files or BATCH_FILES
    batch_records = batch_records or BATCH_RECORDS
    if forced:
        by_name(forced)  # an unknown name is the user's error, not the files'
    files = discover(paths)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if len(files) < POOL_MIN_FILES:
        jobs = 1
    report = ImportReport(dry_run=dry_run)
    pool = _pool(jobs) if jobs > 1 else None
    old_gc = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        _import(db, files, forced, dry_run, progress, batch_files, batch_records, pool, jobs, report)
    finally:
        gc.set_threshold(*old_gc)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return report


def _import(db, files, forced, dry_run, progress, batch_files, batch_records, pool, jobs, report) -> None:
    """``run_import``'s work, once the files are found and the workers started."""
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import Batch, LedgerRow, append_in_transaction, commit

    with open_warehouse(db) as con, _duckdb_settings(con, pool, jobs):
        known = {r[0] for r in con.execute(
            "SELECT DISTINCT file_sha256 FROM import_ledger WHERE status IN (?, ?)", [IMPORTED, SKIPPED]
        ).fetchall()}
        pending: list[FileDone] = []
        tables: list[dict] = []
        n_records = 0

        def flush() -> None:
            nonlocal pending, tables, n_records
            if not pending:
                return
            batch = Batch()
            for chunk_tables in tables:
                for name, tbl in chunk_tables.items():
                    batch.add_rows(name, tbl)
            when = datetime.now()

            def body(c) -> Any:
                stats = append_in_transaction(c, batch, when)
                ledger = Batch()
                for o in pending:
                    if o.status == DUPLICATE:
                        continue
                    per = stats.per_file.get(o.sha256, {}) if o.status == IMPORTED else {}
                    ledger.ledger(LedgerRow(
                        file_sha256=o.sha256, path=o.rel_path, size_bytes=o.size, format=o.format,
                        parser_version=o.parser_version, status=o.status,
                        results=per.get("results", 0), compat=per.get("compatibility", 0),
                        tests=per.get("test_results", 0), reason=o.reason, imported_at=when,
                    ), o.ledger_id)
                stats.add(append_in_transaction(c, ledger, when))
                return stats

            stats = commit(con, body, dry_run=dry_run, what="import")
            report.added.update({k: v for k, v in stats.inserted.items() if v})
            for o in pending:
                per = stats.per_file.get(o.sha256, {}) if o.status == IMPORTED else {}
                _account(report, o, (per.get("results", 0), per.get("compatibility", 0),
                                     per.get("test_results", 0)))
            pending, tables, n_records = [], [], 0

        done = 0
        max_files = max(1, min(CHUNK_FILES, batch_files))
        with closing(_converted(_chunks(files, known, max_files), forced, pool, jobs)) as converted:
            for chunk, (metas, chunk_tables) in converted:
                for item, (status, fmt, version, reason, counts, n, lid) in zip(chunk.items, metas):
                    rel, digest, size = item[0], item[2], item[3]
                    if chunk.recheck and digest in known:
                        # an earlier file of this run with the same content was imported meanwhile
                        o = FileDone(rel, digest, size, DUPLICATE, reason="same content already imported")
                        chunk_tables = {}
                    else:
                        o = FileDone(rel, digest, size, status, fmt, version, reason, counts, n, lid)
                    if o.status in (IMPORTED, SKIPPED):
                        known.add(digest)
                    pending.append(o)
                    n_records += o.records
                    done += 1
                    if progress:
                        progress(done, len(files), rel)
                tables.append(chunk_tables)
                if len(pending) >= batch_files or n_records >= batch_records:
                    flush()
        flush()


def _account(report: ImportReport, o: FileDone, added: tuple[int, int, int]) -> None:
    """Add one written file to the report: ``added`` = (results, compat, tests) rows it added;
    ``converted`` = records its content held (the rest were already in the warehouse)."""
    fmt = o.format or ("(duplicate)" if o.status == DUPLICATE else "(unknown)")
    s = report.by_format[fmt]
    s.files += 1
    status = o.status
    if status == IMPORTED:
        s.results += added[0]
        s.compat += added[1]
        s.tests += added[2]
    elif status == SKIPPED:
        s.skipped += 1
    elif status == QUARANTINED:
        s.quarantined += 1
    elif status == DUPLICATE:
        s.duplicate += 1
    r, c, t = o.converted
    report.files.append({"path": o.rel_path, "status": status, "format": o.format, "results": added[0],
                         "compat": added[1], "tests": added[2],
                         "converted": {"results": r, "compat": c, "tests": t}, "reason": o.reason})
