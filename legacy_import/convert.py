"""One file's bytes -> an outcome (records, or the reason there are none).

Pure: reads no files itself and writes nothing, so the import command, the golden tests and
the fuzz tests all go through exactly this function.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from benchwh.errors import ImportFormatError
from benchwh.legacy_import.base import ImportContext, Quarantine, SkipFile
from benchwh.legacy_import.decode import NotReadable, decode, loads
from benchwh.legacy_import.registry import identify
from benchwh import normalize as nz
from benchwh.normalize import time_from_path
from benchwh.records import (
    TIME_ASSUMED, TIME_EXPLICIT, TIME_INFERRED, TIME_UNKNOWN, CompatFact, ModelInfo, Record, Result, TestOutcome,
)

IMPORTED = "imported"
SKIPPED = "skipped"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
NOT_READ = "not read"  # no importer reads this kind of file: counted by extension, never in the ledger


@dataclass(slots=True)
class FileOutcome:
    rel_path: str
    sha256: str
    size: int
    status: str  # imported | skipped | quarantined | duplicate
    format: str | None = None
    parser_version: int | None = None
    reason: str | None = None
    records: list[Record] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _folder_time(folder: str) -> datetime | None:
    return time_from_path(folder)


# Both time styles time_from_path knows (``YYYYMMDD_HHMMSS``, 10-digit epoch seconds) hold 8
# digits in a row: a path without them has no time, whatever its folders (checked once, in C).
_EIGHT_DIGITS = re.compile(r"\d{8}")


def path_time(path: str) -> datetime | None:
    """``time_from_path(path)``: the file name is looked at first, then its folders, whose
    answer is kept (an import reads thousands of files from one folder)."""
    if not _EIGHT_DIGITS.search(path):
        return None
    cut = max(path.rfind("/"), path.rfind("\\"))
    if cut < 0:
        return time_from_path(path)
    found = time_from_path(path[cut + 1:])
    return found if found is not None else _folder_time(path[:cut])


def _path_naive(path: str) -> bool:
    """Whether the time ``path_time`` finds is ``YYYYMMDD_HHMMSS`` text (naive), not epoch."""
    return nz.path_time_is_naive(path)


@lru_cache(maxsize=16)
def source_zone(name: str | None):
    """The zone ``--source-tz`` names (None for None); ValueError for an unknown name."""
    return None if name is None else nz.zone(name)


def apply_clock(records: list[Record], doc: Any, path_time: datetime | None, path_naive: bool,
                source_tz: str | None = None) -> None:
    """Put every time of ``records`` on the one clock (UTC) and record how it was got.

    A time the source wrote as naive text is moved by the offset the file's own evidence
    proves (an epoch or zoned text and a naive text describing one moment: ``inferred``), else
    by the user's ``source_tz`` (``assumed``), else kept as written (``unknown``). An epoch or a
    zoned text is ``explicit``. The name's or folder's time counts as naive text when it is
    ``YYYYMMDD_HHMMSS`` and as explicit when it is epoch seconds; it is evidence only where the
    content alone proves nothing. A moved time keeps what the source wrote in ``recorded_at``
    (``recorded_start`` for a run), which identity uses."""
    naive, explicit = nz.time_evidence(doc)
    offset = nz.infer_offset(naive, explicit)
    if path_time is not None:
        (naive if path_naive else explicit).add(path_time)
        if offset is None:
            offset = nz.infer_offset(naive, explicit)
    tz = source_zone(source_tz)

    def fix(t: datetime | None) -> tuple[datetime | None, str | None, datetime | None]:
        if t is None:
            return None, None, None
        if t not in naive:
            return t, (TIME_EXPLICIT if t in explicit else TIME_UNKNOWN), None
        if offset is not None:
            return t - offset, TIME_INFERRED, t
        if tz is not None:
            return nz.local_to_utc(t, tz), TIME_ASSUMED, t
        return t, TIME_UNKNOWN, None

    seen_runs: set[int] = set()
    for rec in records:
        run = getattr(rec, "run", None)
        if run is not None and id(run) not in seen_runs:
            seen_runs.add(id(run))
            if run.time_basis is None:
                new, basis, rec_t = fix(run.started_at)
                if rec_t is not None and run.recorded_start is None:
                    run.recorded_start = rec_t
                run.started_at, run.time_basis = new, basis
        if isinstance(rec, (Result, CompatFact, TestOutcome)) and rec.time_basis is None:
            new, basis, rec_t = fix(rec.measured_at)
            if rec_t is not None and rec.recorded_at is None:
                rec.recorded_at = rec_t
            rec.measured_at, rec.time_basis = new, basis


def _stamp_sources(records: list[Record], sha256: str) -> None:
    """Name the file (by content, as the ledger does) on every run and model description it
    gave: merged metadata keeps, per value, which files said it."""
    for rec in records:
        run = getattr(rec, "run", None)
        if run is not None and run.source_sha256 is None:
            run.source_sha256 = sha256
        if isinstance(rec, ModelInfo) and rec.source_sha256 is None:
            rec.source_sha256 = sha256


def convert_bytes(data: bytes, rel_path: str, forced: str | None = None,
                  sha256: str | None = None, time_path: str | None = None,
                  source_tz: str | None = None, abs_path: str | None = None, reader=None) -> FileOutcome:
    """Identify and convert one file's content. Never raises for bad content: the outcome
    says skipped, quarantined or not read with a reason. ``rel_path`` is the provenance path
    (its name says how to decode the bytes); ``time_path`` (default: rel_path) is where a time
    in the name or folders is looked for, so that a file's time does not depend on which folder
    the import started from; ``source_tz``: the zone of naive times the file's own evidence
    does not settle; ``abs_path`` and ``reader`` let an importer read the files beside it
    (``ImportContext.find_up``)."""
    digest = sha256 or hashlib.sha256(data).hexdigest()
    out = FileOutcome(rel_path=rel_path, sha256=digest, size=len(data), status=IMPORTED)
    try:
        doc = decode(data, rel_path)
        imp = identify(doc, forced)
        out.format, out.parser_version = imp.name, imp.parser_version
        tpath = rel_path if time_path is None else time_path
        ctx = ImportContext(rel_path, digest, path_time(tpath), abs_path=abs_path, reader=reader)
        out.records = list(imp.convert(doc, ctx))
        if not imp.own_clock:
            apply_clock(out.records, doc, ctx.path_time, _path_naive(tpath), source_tz)
            _stamp_sources(out.records, digest)
    except NotReadable as e:
        out.status, out.reason, out.records = NOT_READ, str(e), []
    except SkipFile as e:
        out.status, out.reason, out.records = SKIPPED, str(e), []
    except (Quarantine, ImportFormatError) as e:
        out.status, out.reason, out.records = QUARANTINED, str(e), []
    except Exception as e:  # an importer bug must not lose the file name or abort the import
        out.status, out.records = QUARANTINED, []
        out.reason = f"importer {out.format or '?'} failed: {type(e).__name__}: {e}"
    return out
