"""``benchwh import``: legacy JSON files -> records -> warehouse, idempotently and in bulk.

Reads the files under the given paths (``*.json``, recursive), the warehouse's import ledger;
writes results, compatibility facts, test outcomes, runs/models/hardware and one ledger row per
new file. Files are converted one by one but written in batches: each batch is one
transaction holding its files' rows *and* their ledger rows, so a killed import leaves every
file either fully in or fully out, and a rerun picks up exactly where it stopped.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from benchwh.errors import BenchwhError
from benchwh.legacy_import.convert import (
    DUPLICATE, IMPORTED, QUARANTINED, SKIPPED, FileOutcome, convert_bytes,
)
from benchwh.records import CompatFact, Result, TestOutcome

BATCH_FILES = int(os.environ.get("BENCHWH_IMPORT_BATCH_FILES", "2000"))
BATCH_RECORDS = int(os.environ.get("BENCHWH_IMPORT_BATCH_RECORDS", "50000"))


@dataclass(slots=True)
class SourceFile:
    path: Path  # absolute
    rel_path: str  # relative to the import root, '/' separated


def discover(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Files to import: each file as given, each folder's ``*.json`` recursively, sorted."""
    found: list[SourceFile] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            raise BenchwhError(f"{raw}: no such file or folder")
        p = p.resolve()
        if p.is_file():
            found.append(SourceFile(p, p.name))
            continue
        files = []
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames.sort()
            for name in filenames:
                if name.lower().endswith(".json"):
                    full = Path(dirpath) / name
                    files.append(SourceFile(full, full.relative_to(p).as_posix()))
        files.sort(key=lambda f: f.rel_path)
        found.extend(files)
    return found


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


def convert_files(files: list[SourceFile], forced: str | None, known: set[str]) -> Iterator[FileOutcome]:
    """Read and convert each file; content already in the ledger (or seen earlier in this run)
    comes back as DUPLICATE without being parsed."""
    for sf in files:
        try:
            data = sf.path.read_bytes()
        except OSError as e:
            yield FileOutcome(sf.rel_path, "", 0, QUARANTINED, reason=f"cannot read file: {e.strerror}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in known:
            yield FileOutcome(sf.rel_path, digest, len(data), DUPLICATE,
                              reason="same content already imported")
            continue
        out = convert_bytes(data, sf.rel_path, forced, sha256=digest, time_path=str(sf.path))
        if out.status in (IMPORTED, SKIPPED):
            known.add(digest)
        yield out


def run_import(
    db,
    paths: Iterable[str | Path],
    forced: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    batch_files: int | None = None,
    batch_records: int | None = None,
) -> ImportReport:
    """Import every JSON file under ``paths`` into the warehouse ``db``.

    ``progress(done, total, rel_path)`` is called after each file. With ``dry_run`` every batch
    is written inside a transaction and rolled back, so the counts are exact and nothing stays.
    """
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import Batch, LedgerRow, append_in_transaction

    batch_files = batch_files or BATCH_FILES
    batch_records = batch_records or BATCH_RECORDS
    if forced:
        from benchwh.legacy_import.registry import by_name

        by_name(forced)  # an unknown name is the user's error, not the files'
    files = discover(paths)
    report = ImportReport(dry_run=dry_run)
    with open_warehouse(db) as con:
        known = {r[0] for r in con.execute(
            "SELECT DISTINCT file_sha256 FROM import_ledger WHERE status IN (?, ?)", [IMPORTED, SKIPPED]
        ).fetchall()}
        pending: list[FileOutcome] = []
        n_records = 0

        def flush() -> None:
            nonlocal pending, n_records
            if not pending:
                return
            batch = Batch()
            for o in pending:
                for rec in o.records:
                    batch.add(rec)
            when = datetime.now()
            con.execute("BEGIN TRANSACTION")
            try:
                stats = append_in_transaction(con, batch, when)
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
                    ))
                lstats = append_in_transaction(con, ledger, when)
                con.execute("ROLLBACK" if dry_run else "COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            stats.add(lstats)
            report.added.update({k: v for k, v in stats.inserted.items() if v})
            for o in pending:
                per = stats.per_file.get(o.sha256, {}) if o.status == IMPORTED else {}
                _account(report, o, (per.get("results", 0), per.get("compatibility", 0),
                                     per.get("test_results", 0)))
            pending, n_records = [], 0

        for i, outcome in enumerate(convert_files(files, forced, known), 1):
            pending.append(outcome)
            n_records += len(outcome.records)
            if progress:
                progress(i, len(files), outcome.rel_path)
            if len(pending) >= batch_files or n_records >= batch_records:
                flush()
        flush()
    return report


def _account(report: ImportReport, o: FileOutcome, added: tuple[int, int, int]) -> None:
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
    r, c, t = _counts(o.records)
    entry = {"path": o.rel_path, "status": status, "format": o.format, "results": added[0],
             "compat": added[1], "tests": added[2], "converted": {"results": r, "compat": c, "tests": t},
             "reason": o.reason}
    report.files.append(entry)
