"""Field access shared by the format importers: text values, the hardware fields of a
spelling, error tails, failure words, the simulated-hardware annotation and run identity for
undated runs. Units and vocabularies themselves live in ``benchwh.normalize``."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext
from benchwh.records import STATUS_FAILED


def str_at(mapping: Any, key: str) -> str | None:
    """``mapping[key]`` when ``mapping`` is a dict and the value is a string (as written), else None."""
    if not isinstance(mapping, dict):
        return None
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def clean_text(x: Any) -> str | None:
    """A non-empty stripped string, or None for anything else (a number, a list, "")."""
    return x.strip() if isinstance(x, str) and x.strip() else None


def tail(value: Any, lines: int = 1) -> str | None:
    """Last non-empty line(s) of a traceback/stderr text: the message a person reads."""
    if not isinstance(value, str) or not value.strip():
        return None
    return "\n".join([ln for ln in value.strip().splitlines() if ln.strip()][-lines:])


def hardware_of(*spellings: Any) -> tuple[str, str | None, str | None]:
    """``(canonical type, device_name, mock spelling)`` from legacy hardware spellings, the
    most general first (``"cpu"``, then a device string such as ``"cuda:0"``), by the one
    device rule (``benchwh.normalize.device``).

    The type comes from the first recognisable spelling (``unknown`` when none is); the device
    name from the first spelling that says more than that type (``cuda:0``, a CPU model; an
    unrecognised spelling alone is kept as the device name); the third item is the spelling
    that carried a ``(mock)`` marker, if any: the caller flags the result as simulated, the
    marker is never part of a device name. Kept per tuple of texts (a file repeats its
    spellings in every entry, an import repeats them in every file)."""
    return _hardware_of(tuple(s for s in spellings if isinstance(s, str)))


@lru_cache(maxsize=4096)
def _hardware_of(spellings: tuple[str, ...]) -> tuple[str, str | None, str | None]:
    texts = [s.strip() for s in spellings if s.strip()]
    read = [nz.device(s) for s in texts]
    mock = next((s for s, (_, _, m) in zip(texts, read) if m), None)
    hw = next((t for t, _, _ in read if t), None)
    if hw is None:
        return "unknown", next((d for _, d, _ in read if d), None), mock
    device = next((d for t, d, _ in read if t in (hw, None) and d), None)
    return hw, device, mock


def status_failed(raw: Any) -> str | None:
    """Legacy status word -> ``completed`` / ``failed`` (error counts as failed) / other."""
    st = nz.status(raw)
    return STATUS_FAILED if st in ("failed", "error") else st


def entry_failed(entry: dict) -> bool:
    """Whether a legacy entry reports a failure: ``success: false``, a failed/error status,
    or an ``error`` text with no success flag at all."""
    flag = entry.get("success")
    if isinstance(flag, bool):
        return not flag
    if status_failed(entry.get("status")) == STATUS_FAILED:
        return True
    return flag is None and clean_text(entry.get("error")) is not None


def undated_key(started: datetime | None, ctx: ImportContext) -> str | None:
    """Run identity for a run whose time is unknown: the file's content hash, so undated runs
    of one origin do not all collapse into a single run."""
    return None if started is not None else f"sha256:{ctx.sha256}"


def simulated_marks(doc: Any) -> dict[str, str]:
    """Read the annotation cleanup_stale_reports injected later (``simulated_hardware: [...]``
    plus ``warnings: [{message, affected_hardware, verification_date}]``).

    Returns canonical hardware type -> the reason text naming the marker; ``{}`` when absent.
    """
    if not isinstance(doc, dict):
        return {}
    listed: list[str] = []
    raw = doc.get("simulated_hardware")
    if isinstance(raw, list):
        listed += [x for x in raw if isinstance(x, str)]
    detail = ""
    warnings = doc.get("warnings")
    if isinstance(warnings, list):
        for w in warnings:
            if not isinstance(w, dict):
                continue
            affected = w.get("affected_hardware")
            if isinstance(affected, list):
                listed += [x for x in affected if isinstance(x, str)]
            msg, when = w.get("message"), w.get("verification_date")
            if isinstance(msg, str) and not detail:
                detail = f": {msg!r}" + (f" (verification_date {when})" if isinstance(when, str) else "")
    out: dict[str, str] = {}
    for spelling in listed:
        hw = nz.hardware_type(spelling) or spelling.strip().lower()
        out.setdefault(hw, f"listed in the file's simulated_hardware annotation{detail}")
    return out


def entry_simulation(entry: dict, spelling: Any, marks: dict[str, str], hw: str) -> str | None:
    """Why a model x hardware entry is simulated, or None: a mock spelling, an explicit flag,
    a MOCK implementation type, or the file's simulated_hardware annotation."""
    if hardware_of(spelling)[2]:
        return f"hardware spelled {spelling!r} (mock)"
    for flag in ("is_simulation", "is_simulated", "simulated"):
        if entry.get(flag) is True:
            return f"{flag}: true"
    if nz.is_mock_text(entry.get("implementation_type")):
        return f"implementation_type {entry.get('implementation_type')!r}"
    return marks.get(hw)
