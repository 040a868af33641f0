"""What a bulk import needs from the warehouse besides the writer: which of its files' content
is already ledgered, and DuckDB settings for the length of the import."""

from __future__ import annotations

import os
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, Iterator

# Setting names come from here, never from a user: they are identifiers DuckDB's SET cannot
# take as parameters.
_SETTABLE = ("memory_limit", "threads", "checkpoint_threshold")
IMPORT_MEMORY_LIMIT = "256MB"
# DuckDB checkpoints once its WAL passes 16 MiB, after nearly every batch of an import; each
# checkpoint rewrites every table's last, partly filled row group and leaves the old blocks
# free, so a warehouse of a few row groups ended a third bigger than its rows (100,000
# one-result files: 55.6 MB, 37.8 rewritten fresh). Checkpointing after 64 MB of WAL instead
# leaves 38.5 MB, with the same peak memory on 1 GB of JSON (data not yet checkpointed spills
# to disk past the memory cap like any other).
IMPORT_CHECKPOINT_THRESHOLD = "64MB"
# An update of many rows keeps their new values in memory until its transaction commits (it
# cannot spill): the placeholder check's update may take up to this, whatever the cap above.
UPDATE_MEMORY_BYTES = 2 << 30
_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


def _setting_bytes(text: str) -> float:
    """DuckDB's ``memory_limit`` as it prints it (``244.1 MiB``) -> bytes."""
    number, _, unit = text.strip().partition(" ")
    return float(number) * _UNITS.get(unit or "bytes", 1)


def memory_at_least(con, limit: int = UPDATE_MEMORY_BYTES) -> None:
    """Raise DuckDB's memory limit to ``limit`` bytes, or to DuckDB's own default (80% of this
    machine's memory) where that is less, if it is lower, for the rest of the transaction: an
    update's changes stay in memory until it commits. An import puts its own cap back after
    each commit (``import_settings``)."""
    old = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    try:
        limit = min(limit, int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.8))
    except (AttributeError, ValueError, OSError):
        pass
    text = f"{limit >> 20}MiB"  # a number this function made, never a user's text
    con.execute(f"SET memory_limit = '{text}'")
    if _setting_bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0]) < _setting_bytes(old):
        con.execute(f"SET memory_limit = '{old}'")


def ledgered_among(con, digests: list[str], statuses: tuple[str, ...]) -> set[str]:
    """Those of ``digests`` the ledger records with one of ``statuses`` (``ledger_unknown``
    answers which are not: only those come to Python, never the whole ledger)."""
    return set(digests) - ledger_unknown(con, list(dict.fromkeys(digests)), statuses).keys()


# Above this many key matches, the digests are compared by a join rather than by fetching
# the matched rows (one parameter each).
_KEYS_LISTED = 2048


def ledger_unknown(con, digests: list[str], statuses: tuple[str, ...]) -> dict[str, bool]:
    """The digests among ``digests`` (distinct) that no ledger row of one of ``statuses``
    records, each -> whether the ledger has a row of it at all (of another status); only these
    come back, so a re-import of known files brings nothing back.

    Two steps inside DuckDB: the digests' keys (``ledger_key``) against the ledger's
    ``file_key`` column (8 bytes a row), then the full digests of the rows whose key matched
    (none, for new files): the 64-character digests of a big ledger are not read for files it
    does not hold. Rows without a key (not sha256 text) are always compared."""
    import pyarrow as pa

    from benchwh.warehouse.connect import execute, register
    from benchwh.warehouse.tables import ledger_key

    if not digests:
        return {}
    keys = [ledger_key(d) for d in digests]
    register(con, "_bw_digests", pa.table({"d": _string_array(digests), "k": pa.array(keys, pa.int64())}))
    try:
        matched = [k for (k,) in execute(
            con, "SELECT DISTINCT l.file_key FROM import_ledger l WHERE l.file_key IS NULL "
                 "OR l.file_key IN (SELECT k FROM _bw_digests)").fetchall()]
        if not matched:
            return dict.fromkeys(digests, False)
        listed = None not in matched and len(matched) <= _KEYS_LISTED
        rows = (f"(SELECT file_sha256, status FROM import_ledger WHERE file_key IN ({', '.join('?' * len(matched))}))"
                if listed else "import_ledger")  # else every row compared
        found = execute(con, f"SELECT p.d, count(l.file_sha256) > 0 FROM _bw_digests p "
                             f"LEFT JOIN {rows} l ON l.file_sha256 = p.d GROUP BY p.d "
                             f"HAVING NOT coalesce(bool_or(list_contains(?, l.status)), false)",
                        [*(matched if listed else ()), list(statuses)]).fetchall()
    finally:
        con.unregister("_bw_digests")
    return dict(found)


def ledger_is_empty(con) -> bool:
    """Whether the import ledger holds no file at all (a fresh warehouse)."""
    return con.execute("SELECT NOT EXISTS (SELECT 1 FROM import_ledger)").fetchone()[0]


def _string_array(values: list[str]):
    """A pyarrow string array of ``values`` (no None) from its two buffers."""
    import numpy as np
    import pyarrow as pa

    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.large_string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


@contextmanager
def import_settings(con, threads: int | None) -> Iterator[Any]:
    """DuckDB settings for an import, put back afterwards. Memory: DuckDB keeps the blocks it
    wrote cached up to its limit (80% of RAM by default), so an import's memory would grow with
    the warehouse; capped, it stays bounded (a batch that needs more spills to disk). Threads
    (when given): while worker processes convert, DuckDB gets the CPUs they leave; more would
    only wait for theirs, at a cost (measured here: ~2x the CPU per inserted row). Yields an
    object whose ``recap()`` puts the memory cap back (after a write that raised it:
    ``memory_at_least``) and ``all_threads()`` gives DuckDB every thread again."""
    wanted = {"memory_limit": IMPORT_MEMORY_LIMIT, "checkpoint_threshold": IMPORT_CHECKPOINT_THRESHOLD}
    if threads is not None:
        wanted["threads"] = str(max(1, threads))
    assert set(wanted) <= set(_SETTABLE)
    # Names as literals (from _SETTABLE): a parameter makes DuckDB's client import pandas.
    old = {k: con.execute(f"SELECT current_setting('{k}')").fetchone()[0] for k in wanted}
    for k, v in wanted.items():
        con.execute(f"SET {k} = '{v}'")
    def recap() -> None:  # the memory cap again (after a write that raised it)
        con.execute(f"SET memory_limit = '{wanted['memory_limit']}'")

    def all_threads() -> None:  # every thread again, for the last write (the workers have nothing left)
        if "threads" in old:
            con.execute(f"SET threads = '{old['threads']}'")

    try:
        yield SimpleNamespace(recap=recap, all_threads=all_threads)
    finally:
        for k, v in old.items():
            con.execute(f"SET {k} = '{v}'")
