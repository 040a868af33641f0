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

SUFFIX = ".spool"
BAD_SUFFIX = ".bad"
DRAIN_BUDGET_S = 0.25  # a writer drains the spool for at most this long while it holds the lock
STALE_FOREIGN_TMP_S = 3600.0  # a temporary file from another host is abandoned after this
_TMP_RE = re.compile(r"^\.(?P<name>.+\.json)\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.tmp$")


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
    """Spool files waiting to be appended, oldest first."""
    try:
        d = spool_dir(loc)
    except LocationError:
        return []
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix == ".json" and not p.name.startswith("."))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned_tmp(d: Path) -> list[Path]:
    """Temporary files whose writer is gone (killed mid-spool): their batch was never
    spooled (the writer had not renamed it), so they hold nothing to recover."""
    out = []
    for p in d.iterdir() if d.is_dir() else ():
        m = _TMP_RE.match(p.name)
        if not m:
            continue
        if m.group("host") == _host():
            if not _pid_alive(int(m.group("pid"))):
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
            f"`benchwh ingest --spool --db {loc}` adds them)")
        return WriteOutcome(len(recs), spooled=path)
    except Exception as e:  # revision, missing file, disk full...: keep the batch, then say so
        try:
            path = spool_batch(loc, recs)
        except (OSError, BenchwhError) as e2:
            raise BenchwhError(f"{e}; and the batch could not be spooled either ({e2}): "
                               f"{len(recs)} records were NOT written") from e
        raise SpooledError(f"{e}; the {len(recs)} records of this batch are kept in {path}: "
                           f"fix that, then run `benchwh ingest --spool --db {loc}`") from e
    if drained.files:
        say(f"added {drained.files} spooled batch(es) from {spool_dir(loc)}")
    for bad in drained.bad:
        say(f"unreadable spool file kept aside: {bad}")
    return WriteOutcome(len(recs), inserted=dict(ws.inserted), drained=drained)


def ingest(loc: Location, timeout_s: float | None = None) -> DrainStats:
    """Drain the whole spool into the warehouse (``benchwh ingest --spool``)."""
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(loc, timeout_s=timeout_s) as con:
        return drain(con, loc, budget_s=None)
