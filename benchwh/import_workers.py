"""Worker side of ``benchwh import``: read and hash files in order, group them into chunks,
and convert the chunks (in worker processes when ``jobs`` > 1) into Arrow columns.

Reads the files and nothing else; never opens a warehouse. ``benchwh.importing`` writes what
comes back, batch by batch, in file order.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator

from benchwh.errors import BenchwhError
from benchwh.legacy_import.convert import DUPLICATE, QUARANTINED, convert_bytes
from benchwh.records import CompatFact, Result, TestOutcome

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


def hash_files(paths: list[str]) -> list[tuple[str | None, int]]:
    """``(sha256, size)`` of each file, ``(None, 0)`` for one that cannot be read (runs in the
    workers: the first pass of an import, whose digests are checked against the ledger)."""
    out: list[tuple[str | None, int]] = []
    for path in paths:
        try:
            data = _read(path)
        except OSError:
            out.append((None, 0))
        else:
            out.append((hashlib.sha256(data).hexdigest(), len(data)))
    return out


def read_chunks(files: list[SourceFile], known: set[str], max_files: int,
                prehashed: dict[str, tuple[str, int]] | None = None) -> Iterator[Chunk]:
    """Read and hash the files in order, grouped into chunks. ``known`` (digests imported or
    skipped, by the ledger or earlier in this run) is read as the caller updates it; a file in
    ``prehashed`` (path -> digest, size from the first pass) whose digest is known is a
    duplicate without being read again. A file whose content an earlier file of this run had
    is decided when that file's outcome is known: it travels alone (``recheck``)."""
    seen: set[str] = set()
    chunk = Chunk([])
    for sf in files:
        pre = prehashed.get(sf.path) if prehashed else None
        if pre is not None and pre[0] in known:
            chunk.items.append((sf.rel_path, sf.path, pre[0], pre[1], None, DUPLICATE,
                                "same content already imported"))
            if len(chunk.items) >= max_files:
                yield chunk
                chunk = Chunk([])
            continue
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


def start_pool(jobs: int):
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


def converted(chunks: Iterator[Chunk], forced: str | None, pool, jobs: int) -> Iterator[tuple[Chunk, tuple]]:
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


def default_jobs() -> int:
    """Worker processes for an import: ``BENCHWH_IMPORT_JOBS``, else one per CPU."""
    raw = os.environ.get(JOBS_ENV)
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise BenchwhError(f"{JOBS_ENV}={raw!r}: expected a number of worker processes") from None
    return os.cpu_count() or 1
