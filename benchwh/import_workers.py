"""Worker side of ``benchwh import``: read and hash files in order, group them into chunks,
and convert the chunks (in worker processes when ``jobs`` > 1) into Arrow columns.

Reads the files and nothing else; never opens a warehouse. ``benchwh.importing`` writes what
comes back, batch by batch, in file order.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator

from benchwh.errors import BenchwhError
from benchwh.legacy_import.convert import DUPLICATE, NOT_READ, QUARANTINED, SKIPPED, convert_bytes
from benchwh.records import CompatFact, Result, TestOutcome
from benchwh.normalize import unit_values
from benchwh.validate import refusals, summary

JOBS_ENV = "BENCHWH_IMPORT_JOBS"
# A chunk is one task of a worker: enough files that handing it over costs little next to
# converting it, few enough bytes that a worker's memory stays small.
CHUNK_FILES = 200
CHUNK_BYTES = 4 << 20
# Chunks handed to the workers and not yet written: enough that they keep converting while
# the importing process writes a batch; the bytes read but not yet written bound its memory.
AHEAD_PER_JOB = 16
IN_FLIGHT_BYTES = 64 << 20
POOL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves
GC_THRESHOLD = (20_000, 20, 20)  # for the import's allocations (Python's default: 700, 10, 10)
MAX_FILE_SIZE_ENV = "BENCHWH_IMPORT_MAX_FILE_SIZE"
# The largest legacy file known is under 4 MiB; parsing JSON takes several times its size in
# memory, so a file far beyond that is refused rather than allowed to exhaust memory.
DEFAULT_MAX_FILE_SIZE = 64 << 20
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}


@dataclass(slots=True)
class SourceFile:
    path: str  # absolute
    rel_path: str  # relative to the import root, '/' separated


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


# --- what crosses the worker boundary ----------------------------------------------------
@dataclass(slots=True)
class Item:
    """One file handed to a worker: its bytes to convert, or (``data`` None) the outcome the
    reader already decided (``status``, ``reason``)."""

    rel_path: str
    path: str  # absolute
    sha256: str
    size: int
    data: bytes | None = None
    status: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class FileDone:
    """One file's outcome, as a worker hands it back; its records travel as the chunk's
    columns, not here."""

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


# --- conversion (runs in the workers) ----------------------------------------------------
def _convert_one(it: Item, forced: str | None, source_tz: str | None) -> tuple[FileDone, list]:
    """One file's outcome and the records to store (none unless imported or skipped with some)."""
    from benchwh.warehouse.write import LedgerRow

    if it.data is None:
        return _decided(it, LedgerRow), []
    with unit_values() as with_units:
        out = convert_bytes(it.data, it.rel_path, forced, sha256=it.sha256, time_path=it.path,
                            source_tz=source_tz, abs_path=it.path, reader=_read)
    records, refused = refusals(out.records)
    status, reason = out.status, out.reason
    if with_units and status != QUARANTINED:
        shown = ", ".join(repr(v) for v in with_units[:3]) + (f" (+{len(with_units) - 3} more)" if len(with_units) > 3 else "")
        reason = "; ".join(r for r in (reason, f"{len(with_units)} value(s) with a unit where a plain number "
                                               f"was expected were not stored: {shown}") if r)
    if refused:  # impossible values are never stored as measurements; the report says why
        reason = "; ".join(r for r in (reason, summary(refused)) if r)
        if not any(isinstance(r, (Result, CompatFact, TestOutcome)) for r in records):
            status, records = QUARANTINED, []
    done = FileDone(it.rel_path, it.sha256, it.size, status, out.format, out.parser_version, reason,
                    _counts(records), len(records),
                    LedgerRow.id_of(it.sha256, it.rel_path, status, out.parser_version))
    return done, records


def _decided(it: Item, ledger_row) -> FileDone:
    """The outcome of a file the reader decided (``it.data`` None); a duplicate or a file not
    read has no ledger row of its own."""
    if it.status == DUPLICATE or it.status == NOT_READ:
        return FileDone(it.rel_path, it.sha256, it.size, it.status, None, None, it.reason)
    return FileDone(it.rel_path, it.sha256, it.size, it.status, reason=it.reason,
                    ledger_id=ledger_row.id_of(it.sha256, it.rel_path, it.status, None))


def convert_chunk(items: list[Item], forced: str | None,
                  source_tz: str | None = None) -> tuple[list[FileDone], dict[str, Any]]:
    """Convert a chunk of files. Returns each item's ``FileDone`` and the chunk's rows as Arrow
    tables (``Batch.rows_table``), deduplicated by id within the chunk. Reads nothing but the items.

    This is the one per-file boundary: a file whose records cannot become rows (a value that
    does not fit its column, such as a batch size of 2**31 in an int32 column) is that file's
    quarantine with the reason, and the other files of the chunk are written as usual."""
    from benchwh.warehouse.write import LedgerRow

    if all(it.data is None for it in items):  # all decided by the reader (a re-import): no rows
        return [_decided(it, LedgerRow) for it in items], {}
    pairs = [_convert_one(it, forced, source_tz) for it in items]
    done = [d for d, _ in pairs]
    converted = [records for _, records in pairs]
    try:
        return done, _tables(converted)
    except _ROW_ERRORS:
        pass
    # Some file's records do not fit the columns: find it (them) file by file.
    for i, records in enumerate(converted):
        if not records:
            continue
        try:
            _tables([records])
        except _ROW_ERRORS as e:
            d = done[i]
            done[i] = FileDone(d.rel_path, d.sha256, d.size, QUARANTINED, d.format, d.parser_version,
                               f"a value does not fit its column: {_one_line(e)}",
                               ledger_id=LedgerRow.id_of(d.sha256, d.rel_path, QUARANTINED, d.parser_version))
            converted[i] = []
    return done, _tables(converted)


_ROW_ERRORS = (OverflowError, ValueError, TypeError, ArithmeticError)  # pyarrow's ArrowInvalid is a ValueError


def _one_line(e: BaseException) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:300]


def _tables(per_file: list) -> dict[str, Any]:
    from benchwh.warehouse.write import Batch

    batch = Batch()
    for records in per_file:
        for rec in records or ():
            batch.add(rec)
    return {name: batch.rows_table(name) for name, rows in batch.rows.items() if rows}


def parse_size(text: "str | int | None", what: str = "--max-file-size") -> int:
    """``64MB``, ``512k``, ``1048576`` -> bytes (units are powers of 1024); None -> the
    default ($BENCHWH_IMPORT_MAX_FILE_SIZE, else 64 MiB)."""
    import re

    if text is None:
        text = os.environ.get(MAX_FILE_SIZE_ENV)
        if not text:
            return DEFAULT_MAX_FILE_SIZE
        what = MAX_FILE_SIZE_ENV
    if isinstance(text, int):
        value = text
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
        if not m or m.group(2).lower() not in _UNITS:
            raise BenchwhError(f"{what} {text!r}: give a size such as 64MB, 512KB or a number of bytes")
        value = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if value <= 0:
        raise BenchwhError(f"{what} {text!r}: give a size above 0")
    return value


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def read_source(path: str, max_bytes: int) -> "tuple[bytes | None, str | None, str | None]":
    """One file's bytes, or why not: ``(data, None, None)``, or ``(None, status, reason)`` with
    status SKIPPED (not a regular file: a FIFO, a device, a socket, also through a symlink) or
    QUARANTINED (unreadable, or larger than ``max_bytes``).

    Opened non-blocking (a FIFO's open returns at once instead of waiting for a writer) and
    judged by ``fstat`` of what was opened, so nothing is read from anything but a regular
    file; a regular file is read once, at most ``max_bytes`` + 1 bytes (one that grows past the
    limit while read is refused, not held)."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return None, QUARANTINED, f"cannot read file: {e.strerror}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
            return None, SKIPPED, f"not a regular file ({kind}): not read"
        if st.st_size > max_bytes:
            return None, QUARANTINED, (f"file is {st.st_size:,} bytes, over the {max_bytes:,}-byte limit "
                                       "(raise it with --max-file-size)")
        # os-level reads: about half the cost of Path.read_bytes for the small files imports are made of
        parts, total = [], 0
        while total <= max_bytes:
            part = os.read(fd, max(st.st_size - total, 0) + 1 if not parts else 1 << 20)
            if not part:
                break
            parts.append(part)
            total += len(part)
    except OSError as e:
        return None, QUARANTINED, f"cannot read file: {e.strerror}"
    finally:
        os.close(fd)
    if total > max_bytes:
        return None, QUARANTINED, (f"file grew past the {max_bytes:,}-byte limit while it was read "
                                   "(raise it with --max-file-size)")
    return (parts[0] if len(parts) == 1 else b"".join(parts)), None, None


def _read(path: str) -> bytes:
    """A neighbour file's bytes for ``ImportContext.find_up``, through the same guarded read
    (regular files only, the default size limit); OSError with the reason otherwise."""
    data, _status, reason = read_source(path, parse_size(None))
    if data is None:
        raise OSError(reason)
    return data


def safe_name(rel_path: str) -> str:
    """A path as text that can be stored and printed: bytes that are not UTF-8 (kept by
    Python as surrogates) are written as ``\\xNN``."""
    try:
        rel_path.encode("utf-8")
        return rel_path
    except UnicodeEncodeError:
        return rel_path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(slots=True)
class Chunk:
    items: list[Item]
    size: int = 0
    recheck: bool = False  # one file whose content an earlier, not yet written file also had


def hash_files(paths: list[str], max_bytes: int = DEFAULT_MAX_FILE_SIZE) -> list[tuple[str | None, int]]:
    """``(sha256, size)`` of each file, ``(None, 0)`` for one that is not read (not a regular
    file, unreadable, over ``max_bytes``: ``read_chunks`` says why). Runs in the workers: the
    first pass of an import, whose digests are checked against the ledger."""
    out: list[tuple[str | None, int]] = []
    for path in paths:
        data, _status, _reason = read_source(path, max_bytes)
        out.append((None, 0) if data is None else (hashlib.sha256(data).hexdigest(), len(data)))
    return out


ALREADY_IMPORTED = "same content already imported"  # the reason of a file whose content the ledger has


def read_chunks(files: list[SourceFile], known: set[str], max_files: int,
                max_bytes: int = DEFAULT_MAX_FILE_SIZE,
                prehashed: dict[str, tuple[str, int]] | None = None) -> Iterator[Chunk]:
    """Read and hash the files in order, grouped into chunks. ``known`` (digests imported or
    skipped, by the ledger or earlier in this run) is read as the caller updates it; a file in
    ``prehashed`` (path -> digest, size from the first pass) whose digest is known is a
    duplicate without being read again. A file whose content an earlier file of this run had
    is decided when that file's outcome is known: it travels alone (``recheck``)."""
    seen: set[str] = set()
    chunk = Chunk([])
    for sf in files:
        sf.rel_path = safe_name(sf.rel_path)
        pre = prehashed.get(sf.path) if prehashed else None
        if pre is not None and pre[0] in known:
            chunk.items.append(Item(sf.rel_path, sf.path, pre[0], pre[1], None, DUPLICATE,
                                    ALREADY_IMPORTED))
            if len(chunk.items) >= max_files:
                yield chunk
                chunk = Chunk([])
            continue
        data, status, reason = read_source(sf.path, max_bytes)
        if data is None:
            chunk.items.append(Item(sf.rel_path, sf.path, "", 0, None, status, reason))
        else:
            digest = hashlib.sha256(data).hexdigest()
            if digest in known:
                chunk.items.append(Item(sf.rel_path, sf.path, digest, len(data), None, DUPLICATE,
                                        ALREADY_IMPORTED))
            elif digest in seen:
                if chunk.items:
                    yield chunk
                    chunk = Chunk([])
                yield Chunk([Item(sf.rel_path, sf.path, digest, len(data), data)], len(data), True)
                continue
            else:
                seen.add(digest)
                chunk.items.append(Item(sf.rel_path, sf.path, digest, len(data), data))
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
    # Converting builds Arrow arrays, and pyarrow's first conversion imports pandas, if installed,
    # to check for pandas objects (~0.5 s a process). A worker never holds one: it is told pandas
    # is absent (unless the importing process had already loaded it).
    from benchwh.warehouse.connect import hide_pandas

    hide_pandas()
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


def start_pool(jobs: int):
    """A started process pool of ``jobs`` workers, forked from this process once the conversion
    code is imported (the workers inherit it instead of importing it each). Call it before
    opening a warehouse: a fork must not copy an open database's threads."""
    import multiprocessing as mp
    import sys
    from concurrent.futures import ProcessPoolExecutor

    from benchwh.legacy_import.registry import importers
    from benchwh.warehouse import write  # noqa: F401  (pyarrow and the row builders, inherited)

    importers()
    ctx = mp.get_context("fork" if sys.platform == "linux" else "spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_start)
    pool.submit(int).result()  # fork the workers now
    return pool


def converted(chunks: Iterator[Chunk], forced: str | None, pool, jobs: int,
              source_tz: str | None = None) -> Iterator[tuple[Chunk, tuple]]:
    """``(chunk, convert_chunk(chunk))`` in chunk order: here without a pool, else in the pool's
    worker processes, a bounded number of chunks (and bytes) ahead."""
    if pool is None:
        for ch in chunks:
            yield ch, convert_chunk(ch.items, forced, source_tz)
        return
    from concurrent.futures.process import BrokenProcessPool

    window: deque = deque()
    in_flight = 0
    try:
        for ch in chunks:
            if all(it.data is None for it in ch.items):
                # Nothing to convert (files already imported, or not read): decided here, in
                # order, without a round trip to a worker.
                while window:
                    done, fut = window.popleft()
                    in_flight -= done.size
                    yield done, fut.result()
                yield ch, convert_chunk(ch.items, forced, source_tz)
                continue
            window.append((ch, pool.submit(convert_chunk, ch.items, forced, source_tz)))
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


def default_jobs() -> int:
    """Worker processes for an import: ``BENCHWH_IMPORT_JOBS``, else one per CPU."""
    raw = os.environ.get(JOBS_ENV)
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise BenchwhError(f"{JOBS_ENV}={raw!r}: expected a number of worker processes") from None
    return os.cpu_count() or 1
