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
import os
from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from benchwh.errors import BenchwhError
from benchwh.import_workers import (
    CHUNK_FILES, GC_THRESHOLD, POOL_MIN_FILES, SourceFile, converted, default_jobs, read_chunks, start_pool,
)
from benchwh.legacy_import.convert import DUPLICATE, IMPORTED, QUARANTINED, SKIPPED

# One batch = one transaction. DuckDB's cost per row falls with the rows per commit (measured
# here: ~11 us/result row at 3,500 rows, ~6 at 35,000); the records bound keeps memory small.
BATCH_FILES = int(os.environ.get("BENCHWH_IMPORT_BATCH_FILES", "10000"))
BATCH_RECORDS = int(os.environ.get("BENCHWH_IMPORT_BATCH_RECORDS", "100000"))


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
    """Counts per format and rows added; per file, ``files`` (every file's entry, in order), or,
    when ``sink`` is given, each entry handed to ``sink`` as it is decided and only the
    quarantined ones kept (``quarantined_files``), so memory does not grow with the import."""

    files: list[dict] = field(default_factory=list)
    by_format: dict[str, FormatSummary] = field(default_factory=lambda: defaultdict(FormatSummary))
    added: Counter = field(default_factory=Counter)  # rows added per table
    dry_run: bool = False
    sink: Callable[[dict], None] | None = None
    quarantined_files: list[dict] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return len(self.quarantined_files)

    def file_done(self, entry: dict) -> None:
        if entry["status"] == QUARANTINED:
            self.quarantined_files.append(entry)
        if self.sink is not None:
            self.sink(entry)
        else:
            self.files.append(entry)

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
    sink: Callable[[dict], None] | None = None,
) -> ImportReport:
    """Import every JSON file under ``paths`` into the warehouse ``db``.

    ``sink``: called with each file's report entry, in file order, as it is decided (the report
    then keeps only counts and the quarantined entries; see ``ImportReport``).

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
    report = ImportReport(dry_run=dry_run, sink=sink)
    pool = start_pool(jobs) if jobs > 1 else None
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
    from benchwh.warehouse.bulk import import_settings, ledgered_among
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import Batch, LedgerRow, append_in_transaction, commit

    threads = (os.cpu_count() or 1) - jobs if pool is not None else None
    with open_warehouse(db) as con, import_settings(con, threads):
        # The ledger stays in DuckDB: this import's digests (hashed in the workers) are joined
        # against it once; only the matches come back, so memory follows the import, not the
        # warehouse. Files found there are not read again.
        digests = _hash_all(files, pool, jobs)
        known = ledgered_among(con, [d for d, _ in digests if d is not None], (IMPORTED, SKIPPED))
        prehashed = {sf.path: ds for sf, ds in zip(files, digests) if ds[0] in known}
        del digests
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
        with closing(converted(read_chunks(files, known, max_files, prehashed), forced, pool, jobs)) as done_chunks:
            for chunk, (metas, chunk_tables) in done_chunks:
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


def _hash_all(files: list[SourceFile], pool, jobs: int) -> list[tuple[str | None, int]]:
    """``(sha256, size)`` of every file, in order: in the workers' processes when there are."""
    from benchwh.import_workers import hash_files

    paths = [sf.path for sf in files]
    if pool is None:
        return hash_files(paths)
    step = max(1, min(CHUNK_FILES, -(-len(paths) // (4 * jobs))))
    out: list[tuple[str | None, int]] = []
    for part in pool.map(hash_files, [paths[i:i + step] for i in range(0, len(paths), step)]):
        out.extend(part)
    return out


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
    report.file_done({"path": o.rel_path, "status": status, "format": o.format, "results": added[0],
                      "compat": added[1], "tests": added[2],
                      "converted": {"results": r, "compat": c, "tests": t}, "reason": o.reason})
