"""``benchwh import``: legacy JSON files -> records -> warehouse, idempotently and in bulk.

Reads the files under the given paths (``*.json``, recursive), the warehouse's import ledger;
writes results, compatibility facts, test outcomes, runs/models/hardware and one ledger row per
new file. Each batch is one transaction holding its files' rows *and* their ledger rows, so a
killed import leaves every file either fully in or fully out, and a rerun picks up exactly where
it stopped.

How the work is split: worker processes (``jobs``) first hash every file, and the digests are
checked against the ledger inside DuckDB (content already there is a duplicate and is never read
again; an empty ledger skips this pass; when it holds every file, as on a re-import, nothing
more is read, converted or written); this process then reads the other files in order
(content seen earlier in this run is a duplicate and is never parsed); the workers parse,
identify and convert chunks of them and hand back one ``FileDone`` per file and Arrow columns;
this process writes them batch by batch, in file order, so the outcome does not depend on
``jobs``. Memory is bounded: a bounded number of chunks in flight, one batch pending and a
capped DuckDB cache, never the whole import (``benchmarks/import_speed.py --rss-check``
measures it).
"""

from __future__ import annotations

import gc
import os
from collections import Counter, defaultdict
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from benchwh.errors import BenchwhError
from benchwh.import_workers import (
    ALREADY_IMPORTED, CHUNK_FILES, GC_THRESHOLD, POOL_MIN_FILES, FileDone, SourceFile, converted, default_jobs,
    hash_files, read_chunks, safe_name, start_pool,
)
from benchwh.legacy_import.convert import DUPLICATE, IMPORTED, NOT_READ, QUARANTINED, SKIPPED

# One batch = one transaction. DuckDB's cost per row falls with the rows per commit (measured
# here: ~11 us/result row at 3,500 rows, ~6 at 35,000); the records bound keeps memory small.
BATCH_FILES = int(os.environ.get("BENCHWH_IMPORT_BATCH_FILES", "10000"))
BATCH_RECORDS = int(os.environ.get("BENCHWH_IMPORT_BATCH_RECORDS", "100000"))


def discover(paths: Iterable[str | Path], not_read: list[SourceFile] | None = None,
             found: Callable[[list[SourceFile]], None] | None = None,
             subtrees: "Callable[[list[tuple[str, str]]], Callable[[], tuple[list, list]] | None] | None" = None,
             ) -> list[SourceFile]:
    """Files to import: each file as given, each folder's readable files (``.json``, ``.jsonl``,
    ``.json.gz``, ``.txt``...: ``decode.readable``) recursively (symlinked folders are not
    followed), sorted by path relative to the folder. Every other file found is appended to
    ``not_read`` (when given), so that each file under the paths is accounted for. ``found``,
    when given, is handed the files to import as the walk finds them, a folder at a time.
    ``subtrees``, when given, may take over the folders the walk has yet to list (see
    ``_walk``)."""
    from benchwh.legacy_import.decode import readable

    chosen: list[SourceFile] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            raise BenchwhError(f"{raw}: no such file or folder")
        p = p.resolve()
        if p.is_file():
            if readable(p.name) or p.suffix.lower() not in _NOT_DATA:
                files = [SourceFile(str(p), p.name)]
                chosen.extend(files)
                if found is not None:
                    found(files)
            elif not_read is not None:
                not_read.append(SourceFile(str(p), p.name))
            continue
        files: list[SourceFile] = []
        skipped: list[SourceFile] = []
        _walk(str(p), files, skipped, readable, found, subtrees)
        files.sort(key=lambda f: f.rel_path)
        chosen.extend(files)
        if not_read is not None:
            not_read.extend(sorted(skipped, key=lambda f: f.rel_path))
    return chosen


# A file given by name is read whatever its name (the user asked for it), except these, which
# hold no document.
_NOT_DATA = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".pdf", ".zip", ".whl", ".so", ".pyc"})


def _walk(root: str, out: list[SourceFile], skipped: list[SourceFile], readable,
          found: Callable[[list[SourceFile]], None] | None = None, subtrees=None,
          start: list[tuple[str, str]] | None = None) -> None:
    """Append the readable files under ``root`` to ``out`` and every other file to ``skipped``,
    with their paths relative to ``root``. What ``os.walk`` would find, without its per-folder
    ``lstat`` and path joins (a third of the walk's time): each folder listed once with
    ``os.scandir``, whose entries say what they are; a symlink to a folder is not followed
    (nor listed), one to a file is a file. A folder that cannot be listed goes to ``skipped``
    as ``its/path/`` (reported as such); the root itself unlistable is an error naming it.
    ``found``: handed each folder's new files to import. ``subtrees``: offered the folders yet
    to list, ``(path, relative path)`` pairs, after each folder listed; it may take them
    (returning a function that gives the files and the skipped ones under them, found as this
    walk would find them) or leave them (None). ``start``: the folders to list, instead of
    ``root`` (whose name then appears in no error)."""
    folders = list(start) if start is not None else [(root, "")]
    told = len(out)
    taken = []  # what subtrees took: functions giving their files
    while folders:
        if found is not None and len(out) > told:
            found(out[told:])
            told = len(out)
        if subtrees is not None and len(folders) > 1:
            finish = subtrees(folders)
            if finish is not None:
                taken.append(finish)
                break
        folder, rel = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as e:
            if not rel:
                raise BenchwhError(f"{root}: the folder cannot be listed ({e.strerror or e})") from None
            skipped.append(SourceFile(folder, rel))
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # through a symlink, as os.walk judges it
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.is_symlink():
                    folders.append((entry.path, rel + entry.name + "/"))
            else:
                (out if readable(entry.name) else skipped).append(SourceFile(entry.path, rel + entry.name))
    if found is not None and len(out) > told:
        found(out[told:])
    for finish in taken:
        files, others = finish()
        out += files
        skipped += others


def walk_and_hash(folders: list[tuple[str, str]], max_bytes: int) -> tuple[list, list, list, list]:
    """In a worker: ``_walk`` of ``folders`` (``(path, relative path)`` pairs) and the
    ``hash_files`` digests of the files it finds; as plain lists (paths, relative paths,
    digests, skipped ``(path, relative path)``), which travel back cheaper than objects."""
    from benchwh.legacy_import.decode import readable

    out: list[SourceFile] = []
    skipped: list[SourceFile] = []
    _walk("", out, skipped, readable, start=folders)
    paths = [sf.path for sf in out]
    return paths, [sf.rel_path for sf in out], hash_files(paths, max_bytes), [(sf.path, sf.rel_path) for sf in skipped]


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
    not_read: Counter = field(default_factory=Counter)  # files no importer reads, by extension
    statuses: Counter = field(default_factory=Counter)  # files per outcome (already imported apart)
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
            "not_read": dict(sorted(self.not_read.items())),
            "outcomes": dict(sorted(self.statuses.items())),
        }

    def note_not_read(self, rel_path: str, reason: str) -> None:
        from benchwh.legacy_import.decode import suffix

        self.not_read[suffix(rel_path)] += 1
        self.statuses[NOT_READ] += 1
        self.file_done({"path": rel_path, "status": NOT_READ, "format": None, "results": 0,
                           "compat": 0, "tests": 0, "converted": {"results": 0, "compat": 0, "tests": 0},
                           "reason": reason})


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
    max_file_size: "int | str | None" = None,
    source_tz: str | None = None,
    sink: Callable[[dict], None] | None = None,
) -> ImportReport:
    """Import every JSON file under ``paths`` into the warehouse ``db``.

    ``sink``: called with each file's report entry, in file order, as it is decided (the report
    then keeps only counts and the quarantined entries; see ``ImportReport``).

    ``progress(done, total, rel_path)`` is called after each file. With ``dry_run`` every batch
    is written inside a transaction and rolled back, so the counts are exact and nothing stays.
    ``jobs``: worker processes converting files (default ``default_jobs()``; 1 converts here).
    ``max_file_size``: bytes (or text such as ``64MB``) above which a file is quarantined
    unread (default ``import_workers.parse_size(None)``).
    ``source_tz``: the zone (IANA name or ``UTC-08:00``) of naive times that a file's own
    evidence does not settle; without it such times are kept as written, marked ``unknown``.
    """
    from benchwh.import_workers import parse_size
    from benchwh.legacy_import.registry import named
    from benchwh.warehouse.connect import pandas_hidden

    batch_files = batch_files or BATCH_FILES
    batch_records = batch_records or BATCH_RECORDS
    if forced:
        named(forced)  # an unknown name is the user's error, not the files'
    max_bytes = parse_size(max_file_size)
    if source_tz is not None:
        from benchwh.legacy_import.convert import source_zone

        try:
            source_zone(source_tz)
        except ValueError as e:
            raise BenchwhError(f"--source-tz: {e}") from None
    not_read: list[SourceFile] = []
    jobs = default_jobs() if jobs is None else max(1, jobs)
    report = ImportReport(dry_run=dry_run, sink=sink)
    old_gc = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    # pandas hidden before the pool's threads start: DuckDB's client would import it (~1 s)
    with pandas_hidden(), ExitStack() as opened:
        # With workers, the walk hands its files to _EarlyHash, which may start them and hash
        # the files while the walk goes on (see there).
        early = _EarlyHash(db, jobs, max_bytes, opened) if jobs > 1 else None
        pool = None
        try:
            with _gc_paused():  # the walk makes many small objects and no cycles
                files = discover(paths, not_read, early.found if early is not None else None,
                                 early.subtrees if early is not None else None)
            if len(files) < POOL_MIN_FILES:
                jobs = 1
            pool = early.pool if early is not None else None
            _import(db, files, forced, dry_run, progress, batch_files, batch_records, pool, jobs, report, max_bytes,
                    source_tz, early)
        finally:
            gc.set_threshold(*old_gc)
            pool = pool or (early.pool if early is not None else None)
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    for sf in not_read:
        report.note_not_read(sf.rel_path, "no importer reads this kind of file"
                             if not sf.rel_path.endswith("/") else "folder cannot be listed")
    return report


def _import(db, files, forced, dry_run, progress, batch_files, batch_records, pool, jobs, report,
            max_bytes: int, source_tz: str | None = None, early: "_EarlyHash | None" = None) -> None:
    """``run_import``'s work, once the files are found and the workers started: the ledger
    check, then each converted chunk handed to a ``_Writer`` in file order."""
    from benchwh.warehouse.bulk import import_settings, ledger_is_empty, ledger_unknown
    from benchwh.warehouse.open import open_warehouse

    threads = (os.cpu_count() or 1) - jobs if pool is not None else None
    with ExitStack() as opened:
        con = early.con if early is not None and early.con is not None else opened.enter_context(open_warehouse(db))
        # The ledger stays in DuckDB: this import's digests (hashed in the workers) are joined
        # against it once; only those it does not know come back, so memory follows the new
        # files, not the warehouse. Files found there are not read again. An empty ledger
        # knows nothing: the files are then read once, by the conversion.
        known: set[str] = set()
        prehashed: dict[str, tuple[str | None, int]] = {}
        checked: set[str] | None = None
        ledgered: set[str] = set()
        early_digests = early is not None and early.hashing is not None
        if early_digests or not ledger_is_empty(con):
            # no digests from _EarlyHash: no workers (or the ledger was empty when they started
            # and another writer of a DuckLake filled it since): hashed here
            digests = early.digests(files) if early_digests else hash_files([sf.path for sf in files], max_bytes)
            checked = {d for d, _ in digests if d is not None}
            unknown = ledger_unknown(con, list(checked), (IMPORTED, SKIPPED))  # none, on a re-import
            known = checked - unknown.keys()
            ledgered = known | {d for d, has_row in unknown.items() if has_row}  # any status
            prehashed = {sf.path: ds for sf, ds in zip(files, digests) if ds[0] in known}
            del digests
            if len(prehashed) == len(files):
                # Every file's content is in the ledger (a re-import): nothing to read, convert
                # or write. Each file is reported as the reader decides a known file.
                with _gc_paused():
                    _account_known(report, files, progress)
                return
        # DuckDB's threads: all of them for the ledger check above (the workers have hashed),
        # those the workers leave while they convert, all again for the last write
        settings = opened.enter_context(import_settings(con, threads))
        writer = _Writer(con, report, dry_run, known, checked, ledgered, settings.recap)
        max_files = max(1, min(CHUNK_FILES, batch_files))
        chunks = read_chunks(files, known, max_files, max_bytes, prehashed)
        with closing(converted(chunks, forced, pool, jobs, source_tz)) as done_chunks:
            for chunk, (outcomes, tables) in done_chunks:
                writer.take(chunk, outcomes, tables)
                if progress:
                    for o in outcomes:
                        writer.done += 1
                        progress(writer.done, len(files), o.rel_path)
                if len(writer.pending) >= batch_files or writer.n_records >= batch_records:
                    writer.flush()
        settings.all_threads()
        writer.flush()


@contextmanager
def _gc_paused():
    """The cycle collector off for a while: a pass over a big heap (after a big import in this
    process, say) costs more than the walk's few thousand allocations it would look at."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Writer:
    """This process's side of an import: collects converted chunks in file order and writes
    them, rows and ledger rows of a batch in one transaction (``flush``). ``known``: digests
    imported or skipped (by the ledger, or earlier in this run), which ``read_chunks`` reads as
    it is updated here."""

    def __init__(self, con, report: ImportReport, dry_run: bool, known: set[str],
                 checked: set[str] | None = None, ledgered: set[str] | None = None,
                 recap: Callable[[], None] | None = None) -> None:
        self.con, self.report, self.dry_run, self.known = con, report, dry_run, known
        self.in_ledger = frozenset(known)  # "already imported" means these, not a twin in this run
        # Which contents the ledger may already have rows of (any status): a ledger row's id is
        # a hash of its content's digest, so a row of a digest the ledger did not have when the
        # import began, and that this import has not written, is new without a probe, provided
        # nobody else writes meanwhile: a DuckDB file is held by this import until it ends; a
        # DuckLake takes other writers at any time, so there every ledger row is probed.
        # ``checked``: the digests looked up then (None: the ledger was empty, nothing to look up).
        from benchwh.warehouse.lake import is_lake

        self.sole_writer = not is_lake(con)
        self.checked, self.ledgered = checked, ledgered or set()
        self.recap = recap  # puts the import's memory cap back after a write that raised it
        self.written: set[str] = set()
        self.first_path: dict[str, str] = {}
        self.pending: list[FileDone] = []
        self.tables: list[dict] = []
        self.n_records = 0
        self.done = 0

    def _ledger_may_have(self, digest: str) -> bool:
        return (not self.sole_writer or digest in self.written or digest in self.ledgered
                or (self.checked is not None and digest not in self.checked))

    def take(self, chunk, outcomes: list[FileDone], tables: dict) -> None:
        for o in outcomes:
            if chunk.recheck and o.sha256 in self.known:
                # an earlier file of this run with the same content was imported meanwhile
                o = FileDone(o.rel_path, o.sha256, o.size, DUPLICATE, reason=ALREADY_IMPORTED)
                tables = {}
            if o.status == DUPLICATE and o.sha256 not in self.in_ledger:
                o.reason = f"same content as {self.first_path.get(o.sha256, 'another file')} in this import"
            if o.status in (IMPORTED, SKIPPED):
                self.known.add(o.sha256)
                self.first_path.setdefault(o.sha256, o.rel_path)
            self.pending.append(o)
            self.n_records += o.records
        self.tables.append(tables)

    def flush(self) -> None:
        from benchwh.warehouse.write import Batch, WriteStats, commit

        if not self.pending:
            return
        batch = Batch()
        for chunk_tables in self.tables:
            for name, tbl in chunk_tables.items():
                batch.add_rows(name, tbl)
        when = datetime.now()
        if len(batch) == 0 and all(o.status in (DUPLICATE, NOT_READ) for o in self.pending):
            stats = WriteStats()  # files already imported (a re-import): nothing to write
        else:
            try:
                stats = commit(self.con, lambda c: self._write(c, batch, when), dry_run=self.dry_run, what="import")
            finally:
                if self.recap is not None:
                    self.recap()
        self.report.added.update({k: v for k, v in stats.inserted.items() if v})
        for o in self.pending:
            _account(self.report, o, _added(stats, o))
        self.pending, self.tables, self.n_records = [], [], 0

    def _write(self, c, batch, when: datetime) -> Any:
        """In the batch's transaction: its rows, then one ledger row per file read."""
        from benchwh.warehouse.write import Batch, LedgerRow, append_in_transaction

        stats = append_in_transaction(c, batch, when)
        ledger = Batch()
        maybe: list[str] = []  # ids of the ledger rows the ledger may already hold
        for o in self.pending:
            if o.status in (DUPLICATE, NOT_READ):
                continue
            r, cf, t = _added(stats, o)
            row = LedgerRow(file_sha256=o.sha256, path=o.rel_path, size_bytes=o.size, format=o.format,
                            parser_version=o.parser_version, status=o.status, results=r, compat=cf, tests=t,
                            reason=o.reason, imported_at=when)
            lid = o.ledger_id or row.ledger_id
            ledger.ledger(row, lid)
            if self._ledger_may_have(o.sha256):
                maybe.append(lid)
        stats.add(append_in_transaction(c, ledger, when, probe_only={"import_ledger": maybe}))
        self.written.update(row.file_sha256 for row in ledger.rows["import_ledger"].values())
        return stats


def _added(stats, o: FileDone) -> tuple[int, int, int]:
    """(results, compat facts, tests) rows file ``o`` added in the batch written with ``stats``."""
    per = stats.per_file.get(o.sha256, {}) if o.status == IMPORTED else {}
    return per.get("results", 0), per.get("compatibility", 0), per.get("test_results", 0)


class _EarlyHash:
    """The workers' first pass of an import, overlapped with the walk. Once the walk has found
    ``POOL_MIN_FILES`` files (enough that workers are worth starting), the pool is started and
    the warehouse opened (after the fork: a fork must not copy an open database's threads);
    if its ledger holds files, each folder's files are hashed in the workers as the walk finds
    them, so a re-import of known files costs the walk and little more. An empty ledger knows
    nothing: nothing is hashed (``hashing`` None), the conversion reads each file once."""

    TASK_FILES = 1000  # files per hashing task: few round trips, and little left for the end

    def __init__(self, db, jobs: int, max_bytes: int, opened: ExitStack) -> None:
        from functools import partial

        self.db, self.jobs, self.max_bytes, self.opened = db, jobs, max_bytes, opened
        self.task = partial(hash_files, max_bytes=max_bytes)
        self.pool = self.con = None
        self.hashing: list | None = None  # the hashing tasks: (paths, future)
        self.waiting: list[str] = []  # paths found and not yet handed to a worker
        self.walked: dict[str, tuple[str | None, int]] = {}  # path -> digest of the files walk_and_hash found
        self.seen = 0

    def found(self, files: list[SourceFile]) -> None:
        self.seen += len(files)
        if self.hashing is None and self.pool is not None:
            return  # the ledger is empty: nothing to hash
        self.waiting += [sf.path for sf in files]
        if self.pool is None:
            if self.seen < POOL_MIN_FILES:
                return
            from benchwh.warehouse.bulk import ledger_is_empty
            from benchwh.warehouse.open import open_warehouse

            self.pool = start_pool(self.jobs)
            self.con = self.opened.enter_context(open_warehouse(self.db))
            if ledger_is_empty(self.con):
                self.waiting = []
                return
            self.hashing = []
        while len(self.waiting) >= self.TASK_FILES:  # a big folder: several tasks
            part, self.waiting = self.waiting[:self.TASK_FILES], self.waiting[self.TASK_FILES:]
            self.hashing.append((part, self.pool.submit(self.task, part)))

    SUBTREE_TASKS = 4  # per worker: the folders a walk leaves are split into this many tasks each

    def subtrees(self, folders: list[tuple[str, str]]):
        """``_walk``'s ``subtrees``: once files are being hashed, and the walk has folders
        enough to keep every worker busy, the workers walk them and hash what they find
        (``walk_and_hash``), so the walk, not only the hashing, runs on every core."""
        k = self.SUBTREE_TASKS * self.jobs
        if self.hashing is None or len(folders) < k:
            return None
        tasks = [self.pool.submit(walk_and_hash, folders[i::k], self.max_bytes) for i in range(k)]

        def finish() -> tuple[list[SourceFile], list[SourceFile]]:
            files: list[SourceFile] = []
            skipped: list[SourceFile] = []
            for task in tasks:
                paths, rels, digests, others = task.result()
                files += map(SourceFile, paths, rels)
                skipped += (SourceFile(p, r) for p, r in others)
                self.walked.update(zip(paths, digests))
            return files, skipped

        return finish

    def digests(self, files: list[SourceFile]) -> list[tuple[str | None, int]]:
        """``(sha256, size)`` of each of ``files`` (all found through ``found`` or
        ``subtrees``), in order."""
        by_path = self.walked
        if self.waiting:
            by_path.update(zip(self.waiting, hash_files(self.waiting, self.max_bytes)))
        for part, fut in self.hashing:
            by_path.update(zip(part, fut.result()))
        self.hashing, self.waiting, self.walked = [], [], {}
        return [by_path[sf.path] for sf in files]


def _account(report: ImportReport, o: FileDone, added: tuple[int, int, int]) -> None:
    """Add one written file to the report: ``added`` = (results, compat, tests) rows it added;
    ``converted`` = records its content held (the rest were already in the warehouse)."""
    if o.status == NOT_READ:
        report.note_not_read(o.rel_path, o.reason or "no importer reads this kind of file")
        return
    if o.status == DUPLICATE:
        report.statuses["already imported" if o.reason == ALREADY_IMPORTED
                        else "same content as another file"] += 1
    elif o.status == IMPORTED and o.converted != (0, 0, 0) and sum(added) == 0:
        report.statuses["imported (nothing new)"] += 1
    else:
        report.statuses[o.status] += 1
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
    report.file_done(_entry(o.rel_path, status, o.format, added, o.converted, o.reason))


def _entry(rel_path: str, status: str, fmt: str | None, added: tuple[int, int, int],
           converted: tuple[int, int, int], reason: str | None) -> dict:
    """A file's entry in the import report."""
    return {"path": rel_path, "status": status, "format": fmt, "results": added[0], "compat": added[1],
            "tests": added[2], "converted": {"results": converted[0], "compat": converted[1], "tests": converted[2]},
            "reason": reason}


def _account_known(report: ImportReport, files: list[SourceFile],
                   progress: Callable[[int, int, str], None] | None) -> None:
    """Add ``files``, each a content the ledger already has, to the report: what ``_account``
    makes of the duplicate the reader decides for each, in one pass."""
    n = len(files)
    report.statuses["already imported"] += n
    s = report.by_format["(duplicate)"]
    s.files += n
    s.duplicate += n
    none = (0, 0, 0)
    for i, sf in enumerate(files, 1):
        sf.rel_path = rel = safe_name(sf.rel_path)
        report.file_done(_entry(rel, DUPLICATE, None, none, none, ALREADY_IMPORTED))
        if progress:
            progress(i, n, rel)
