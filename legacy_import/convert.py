"""One file's bytes -> an outcome (records, or the reason there are none).

Pure: reads no files itself and writes nothing, so the import command, the golden tests and
the fuzz tests all go through exactly this function.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from benchwh.errors import ImportFormatError
from benchwh.legacy_import.base import ImportContext, Quarantine, SkipFile
from benchwh.legacy_import.registry import identify
from benchwh.normalize import time_from_path
from benchwh.records import Record

IMPORTED = "imported"
SKIPPED = "skipped"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"


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
                  sha256: str | None = None, time_path: str | None = None) -> FileOutcome:
    """Identify and convert one file's content. Never raises for bad content: the outcome
    says skipped or quarantined with a reason. ``rel_path`` is the provenance path;
    ``time_path`` (default: rel_path) is where a time in the name or folders is looked for,
    so that a file's time does not depend on which folder the import started from."""
    digest = sha256 or hashlib.sha256(data).hexdigest()
    out = FileOutcome(rel_path=rel_path, sha256=digest, size=len(data), status=IMPORTED)
    try:
        doc = parse_json(data)
        imp = identify(doc, forced)
        out.format, out.parser_version = imp.name, imp.parser_version
        ctx = ImportContext.for_path(rel_path, digest)
        if time_path is not None:
            ctx.path_time = time_from_path(time_path)
        out.records = list(imp.convert(doc, ctx))
    except SkipFile as e:
        out.status, out.reason, out.records = SKIPPED, str(e), []
    except (Quarantine, ImportFormatError) as e:
        out.status, out.reason, out.records = QUARANTINED, str(e), []
    except Exception as e:  # an importer bug must not lose the file name or abort the import
        out.status, out.records = QUARANTINED, []
        out.reason = f"importer {out.format or '?'} failed: {type(e).__name__}: {e}"
    return out
