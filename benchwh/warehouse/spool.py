"""The spool: batches a writer could not write because another process held the warehouse.

A writer holds the warehouse only for one short transaction. When the lock stays taken past the
bounded wait (``BENCHWH_LOCK_TIMEOUT``), the batch goes to ``<warehouse>.spool/`` beside it as
one interchange file, written atomically (temporary file, fsync, rename), and the writer says so.
The next writer that gets the warehouse, or ``benchwh ingest --spool``, appends the spooled
batches and deletes each file after its transaction commits. Appends dedupe by content ids, so
a file appended twice (a drainer killed between commit and delete) adds nothing the second
time. Never a new database file, never a silent drop.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from benchwh.errors import BenchwhError, LocationError, LockedError
from benchwh.interchange import InterchangeError, atomic_write, dumps, read_file
from benchwh.warehouse.location import DUCKLAKE, FILE, Location
from benchwh.proc import pid_alive

SUFFIX = ".spool"
BAD_SUFFIX = ".bad"
DRAIN_BUDGET_S = 0.25  # a writer drains the spool for at most this long while it holds the lock
STALE_FOREIGN_TMP_S = 3600.0  # a temporary file from another host is abandoned after this
_TMP_RE = re.compile(r"^\.(?P<name>.+\.jsonl?)\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.tmp$")


class SpooledError(BenchwhError):
    """A write failed for a reason other than the lock; the batch is safe in the spool."""


def spool_dir(loc: Location) -> Path:
    """The spool folder beside the warehouse (``w.duckdb`` -> ``w.duckdb.spool``)."""
    if loc.backend == FILE or (loc.backend == DUCKLAKE and loc.path is not None):
        return loc.path.with_name(loc.path.name + SUFFIX)
    if loc.backend == DUCKLAKE and loc.data_path is not None:
        return loc.data_path.with_name(loc.data_path.name + SUFFIX)
    raise LocationError(f"{loc}: an in-memory warehouse has no folder to spool beside")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def spool_batch(loc: Location, records: Iterable[Any]) -> Path:
    """Write ``records`` as one new spool file; returns its path. Atomic: a reader sees the
    whole file or none of it; a process killed while writing leaves only a temporary file."""
    recs = list(records)
    d = spool_dir(loc)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    name = f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:12]}.json"
    data = dumps(recs).encode("utf-8")
    for _ in range(5):
        d.mkdir(exist_ok=True)  # beside the warehouse: its folder exists
        try:
            return atomic_write(d / name, data, tmp_name=f".{name}.{_host()}.{os.getpid()}.tmp")
        except FileNotFoundError:
            continue  # a drainer removed the empty folder between our mkdir and open: again
    raise LocationError(f"cannot create spool files in {d}")


def pending(loc: Location) -> list[Path]:
    """Spool files and journals waiting to be appended, oldest first (a journal whose writer is
    still running is listed too; ``drain`` leaves it to its writer)."""
    try:
        d = spool_dir(loc)
    except LocationError:
        return []
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix in (".json", JOURNAL_SUFFIX) and not p.name.startswith("."))


# --- journals ---------------------------------------------------------------------------

JOURNAL_SUFFIX = ".jsonl"


class Journal:
    """An append-only file of interchange lines (``benchwh.interchange.journal_line``), one
    ``write`` per record, fsynced before ``append`` returns (``sync``), so a process killed at
    any moment loses no record it had handed over; a cut last line is dropped by the reader.

    A journal in the spool folder is locked (``flock``) while its writer lives: ``drain``
    appends only unlocked ones (their writer finished or was killed). It appears there under
    its final name only once its first line is on disk (written as a temporary file, renamed)."""

    def __init__(self, path: Path, fd: int, sync: bool = True):
        self.path, self._fd, self.sync = path, fd, sync

    @classmethod
    def create(cls, path: Path, first_line: bytes, lock: bool = False, sync: bool = True) -> "Journal":
        """A new journal at ``path`` (replacing any file there) holding ``first_line``."""
        import fcntl

        path = Path(path)
        tmp = path.with_name(f".{path.name}.{_host()}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        try:
            if lock:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            j = cls(path, fd, sync)
            j.append(first_line)
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        return j

    @classmethod
    def in_spool(cls, loc: Location, first_line: bytes) -> "Journal":
        """A new locked journal in the spool folder beside ``loc``."""
        d = spool_dir(loc)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:12]}{JOURNAL_SUFFIX}"
        for _ in range(5):
            d.mkdir(exist_ok=True)
            try:
                return cls.create(d / name, first_line, lock=True)
            except FileNotFoundError:
                continue  # a drainer removed the empty folder between our mkdir and open: again
        raise LocationError(f"cannot create journal files in {d}")

    def append(self, line: bytes) -> None:
        """Append one record's line (ending in a newline) with a single write."""
        view = memoryview(line)
        while view:  # a regular file takes the whole write; the loop only guards a short one
            view = view[os.write(self._fd, view):]
        if self.sync:
            os.fdatasync(self._fd)  # the size is data here: an appended block is on disk

    def keep(self) -> Path:
        """Close (and unlock): the journal stays for ``drain`` or the reader."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        return self.path

    def discard(self) -> None:
        """Remove the journal (its records are in the warehouse), then close it."""
        self.path.unlink(missing_ok=True)
        self.keep()


def _fsync_dir(d: Path) -> None:
    try:
        dfd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _lock_unowned(path: Path) -> int | None:
    """An fd holding ``path``'s lock, or None when its writer still holds it (or it is gone)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def abandoned_tmp(d: Path) -> list[Path]:
    """Temporary files whose writer is gone (killed mid-spool): their batch was never
    spooled (the writer had not renamed it), so they hold nothing to recover."""
    out = []
    for p in d.iterdir() if d.is_dir() else ():
        m = _TMP_RE.match(p.name)
        if not m:
            continue
        if m.group("host") == _host():
            if not pid_alive(int(m.group("pid"))):
                out.append(p)
        else:
            try:
                if time.time() - p.stat().st_mtime > STALE_FOREIGN_TMP_S:
                    out.append(p)
            except FileNotFoundError:
                pass
    return out


@dataclass
class DrainStats:
    files: int = 0
    records: int = 0
    inserted: dict[str, int] = field(default_factory=dict)
    bad: list[str] = field(default_factory=list)
    removed_tmp: int = 0
    remaining: int = 0

    @property
    def results(self) -> int:
        return self.inserted.get("results", 0)


def drain(con: Any, loc: Location, budget_s: float | None = None) -> DrainStats:
    """Append spooled batches through ``con`` (an open warehouse connection, which holds the
    lock), one transaction per file, deleting each file after its commit. Stops after
    ``budget_s`` seconds (None: drain everything). A file that cannot be read is renamed
    ``*.bad`` and reported, never deleted. Removes abandoned temporary files, then the folder
    once it is empty."""
    from benchwh.warehouse.write import append, batch_of

    stats = DrainStats()
    d = spool_dir(loc)
    if not d.is_dir():
        return stats
    start = time.monotonic()
    files = pending(loc)
    for i, path in enumerate(files):
        if budget_s is not None and i and time.monotonic() - start > budget_s:
            stats.remaining = len(files) - i
            break
        held = None
        if path.suffix == JOURNAL_SUFFIX:
            held = _lock_unowned(path)
            if held is None:
                continue  # its writer is alive and appends it itself
        try:
            try:
                records = read_file(path)
            except FileNotFoundError:
                continue  # another drainer took it (it held the lock before us)
            except InterchangeError as e:
                bad = path.with_name(path.name + BAD_SUFFIX)
                os.replace(path, bad)
                stats.bad.append(f"{bad}: {e}")
                continue
            ws = append(con, batch_of(records))
            path.unlink(missing_ok=True)
        finally:
            if held is not None:
                os.close(held)
        stats.files += 1
        stats.records += len(records)
        for k, v in ws.inserted.items():
            stats.inserted[k] = stats.inserted.get(k, 0) + v
    for tmp in abandoned_tmp(d):
        tmp.unlink(missing_ok=True)
        stats.removed_tmp += 1
    try:
        d.rmdir()  # only succeeds when empty; a writer that races us recreates it
    except OSError:
        pass
    return stats


@dataclass
class WriteOutcome:
    """What happened to one batch: written (``inserted`` per table) or spooled (``spooled``)."""

    records: int
    inserted: dict[str, int] | None = None
    spooled: Path | None = None
    drained: DrainStats | None = None


def write_or_spool(loc: Location, records: Iterable[Any], timeout_s: float | None = None,
                   say: Callable[[str], None] = lambda s: None,
                   drain_budget_s: float | None = DRAIN_BUDGET_S) -> WriteOutcome:
    """Append ``records`` in one short transaction, then drain a little of the spool. On a
    lock held past the bounded wait, spool the batch and say where. On any other failure of
    the write, spool the batch too and raise SpooledError saying what to do next."""
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import append, batch_of

    recs = list(records)
    batch = batch_of(recs)  # a bad record fails here, before anything is written or spooled
    try:
        with open_warehouse(loc, timeout_s=timeout_s) as con:
            ws = append(con, batch)
            drained = drain(con, loc, budget_s=drain_budget_s)
    except LockedError as e:
        path = spool_batch(loc, recs)
        say(f"{e}; spooled {len(recs)} records to {path} (the next writer or "
            f"ingesting the spool adds them)")
        return WriteOutcome(len(recs), spooled=path)
    except Exception as e:  # revision, missing file, disk full...: keep the batch, then say so
        try:
            path = spool_batch(loc, recs)
        except (OSError, BenchwhError) as e2:
            raise BenchwhError(f"{e}; and the batch could not be spooled either ({e2}): "
                               f"{len(recs)} records were NOT written") from e
        raise _kept(e, len(recs), path, loc) from e
    return _written(loc, len(recs), ws, drained, say)


def _written(loc: Location, n: int, ws: Any, drained: DrainStats, say: Callable[[str], None]) -> WriteOutcome:
    """The outcome of a batch of ``n`` records that was written (``ws``) and of the spool
    drained after it, said through ``say``."""
    if drained.files:
        say(f"added {drained.files} spooled batch(es) from {spool_dir(loc)}")
    for bad in drained.bad:
        say(f"unreadable spool file kept aside: {bad}")
    return WriteOutcome(n, inserted=dict(ws.inserted), drained=drained)


def _kept(e: BaseException, n: int, path: Path, loc: Location) -> "SpooledError":
    return SpooledError(f"{e}; the {n} records of this batch are kept in {path}", remedy="ingest-spool",
                        db=loc, hint=": fix that, then ingest the spool (Warehouse.ingest_spool)")


def write_journaled(loc: Location, records: list[Any], journal: Journal | None, timeout_s: float | None = None,
                    say: Callable[[str], None] = lambda s: None,
                    drain_budget_s: float | None = DRAIN_BUDGET_S) -> WriteOutcome:
    """Append ``records`` (all of them already in ``journal``) in one short transaction, then
    remove the journal and drain a little of the spool. When the write fails the journal stays
    in the spool as the batch's copy: a lock held past the bounded wait is said and returned as
    spooled; any other failure raises SpooledError."""
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import append, batch_of

    batch = batch_of(records)
    try:
        with open_warehouse(loc, timeout_s=timeout_s) as con:
            ws = append(con, batch)
            if journal is not None:
                journal.discard()  # committed: the copy is no longer needed
            drained = drain(con, loc, budget_s=drain_budget_s)
    except LockedError as e:
        path = journal.keep() if journal is not None else spool_batch(loc, records)
        say(f"{e}; {len(records)} records wait in {path} (the next writer or "
            f"ingesting the spool adds them)")
        return WriteOutcome(len(records), spooled=path)
    except Exception as e:
        if journal is None or not journal.path.exists():
            raise
        path = journal.keep()
        raise _kept(e, len(records), path, loc) from e
    return _written(loc, len(records), ws, drained, say)


def ingest(loc: Location, timeout_s: float | None = None) -> DrainStats:
    """Drain the whole spool into the warehouse (``benchwh ingest --spool``)."""
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(loc, timeout_s=timeout_s) as con:
        return drain(con, loc, budget_s=None)
