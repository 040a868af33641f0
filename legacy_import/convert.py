"""One file's bytes -> an outcome (records, or the reason there are none).

Pure: reads no files itself and writes nothing, so the import command, the golden tests and
the fuzz tests all go through exactly this function.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from benchwh.errors import ImportFormatError
from benchwh.legacy_import.base import ImportContext, Quarantine, SkipFile
from benchwh.legacy_import.decode import NotReadable, decode
from benchwh.legacy_import.registry import identify
from benchwh.normalize import time_from_path
from benchwh.records import Record

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


def parse_json(data: bytes) -> Any:
    """json.loads with a message that carries line and column (json's own wording)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Quarantine(f"not UTF-8 text: {e}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise Quarantine(f"malformed JSON: {e.msg}: line {e.lineno} column {e.colno} (char {e.pos})") from None
    except RecursionError:
        raise Quarantine("malformed JSON: nested too deeply") from None


def convert_bytes(data: bytes, rel_path: str, forced: str | None = None,
                  sha256: str | None = None, time_path: str | None = None,
                  abs_path: str | None = None, reader=None) -> FileOutcome:
    """Identify and convert one file's content. Never raises for bad content: the outcome
    says skipped, quarantined or not read with a reason. ``rel_path`` is the provenance path
    (its name says how to decode the bytes); ``time_path`` (default: rel_path) is where a time
    in the name or folders is looked for, so that a file's time does not depend on which folder
    the import started from; ``abs_path`` and ``reader`` let an importer read the files beside
    it (``ImportContext.find_up``)."""

    digest = sha256 or hashlib.sha256(data).hexdigest()
    out = FileOutcome(rel_path=rel_path, sha256=digest, size=len(data), status=IMPORTED)
    try:
        doc = decode(data, rel_path)
        imp = identify(doc, forced)
        out.format, out.parser_version = imp.name, imp.parser_version
        ctx = ImportContext(rel_path, digest, path_time(rel_path if time_path is None else time_path),
                            abs_path=abs_path, reader=reader)
        out.records = list(imp.convert(doc, ctx))
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
