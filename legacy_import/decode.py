"""One file's raw bytes -> the document the importers sniff: the decode step after the raw read.

Which files are read at all is decided by name (``readable``); what a read file *is* is
decided by its content. The document types:

- a JSON value (``dict``, ``list``...) for ``.json`` (and ``.json.gz``, gunzipped first);
- ``JsonLines`` for JSON Lines (``.jsonl``, ``.ndjson``, or a ``.json`` file holding one JSON
  value per line, as ``--append-result`` writes): never a JSON list, so no sniffer mistakes it
  for one, and never "malformed JSON";
- ``LoadgenSummary`` / ``LoadgenDetail`` for MLPerf loadgen's ``mlperf_log_summary.txt`` and
  ``mlperf_log_detail.txt``.

Anything else raises ``NotReadable`` (a ``.txt`` that is no loadgen log) or ``Quarantine``
(bad gzip, not UTF-8, malformed JSON) with one line naming the problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from benchwh.legacy_import.base import Quarantine

# Suffixes of the files an importer may read; every other file is counted as "not read".
READ_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".txt")
GZIP_MAX = 256 << 20  # a gzip member inflating past this is not a result file


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list) -> dict:
    """object_pairs_hook: a JSON object that names a key twice is ambiguous (json.loads keeps
    the last silently). dict() of the pairs is C-fast; only a duplicate pays for the search."""
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKey(dup)
    return d


def loads(text: str) -> Any:
    """json.loads that refuses an object naming a key twice: the file is quarantined (which of
    its values is meant is unknowable)."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as e:
        raise Quarantine(f"duplicate key {str(e)!r} in one JSON object: ambiguous, fix the file") from None


class NotReadable(Exception):
    """A file with a readable name whose content is of no type benchwh reads (the message says
    which); counted as "not read", never quarantined."""


def readable(name: str) -> bool:
    return name.lower().endswith(READ_SUFFIXES)


def suffix(name: str) -> str:
    """The extension a file is counted under in the report (``.json.gz``, ``.png``, ``(none)``)."""
    base = name.rsplit("/", 1)[-1].lower()
    if base.endswith((".json.gz", ".jsonl.gz", ".ndjson.gz", ".tar.gz")):
        return base[base.rindex(".", 0, len(base) - 3):]
    cut = base.rfind(".")
    return base[cut:] if cut > 0 else "(none)"


class JsonLines:
    """The documents of a JSON Lines file, in order. Deliberately not a ``list``: a JSON array
    and a JSON Lines file are different documents."""

    __slots__ = ("docs",)

    def __init__(self, docs: list[Any]):
        self.docs = docs

    def __iter__(self) -> Iterator[Any]:
        return iter(self.docs)

    def __len__(self) -> int:
        return len(self.docs)

    def __repr__(self) -> str:
        return f"JsonLines({len(self.docs)} documents)"


@dataclass(slots=True)
class LoadgenSummary:
    """``mlperf_log_summary.txt``: its ``key : value`` lines in order (the text as written,
    key stripped), and the section each came from (``MLPerf Results Summary``,
    ``Additional Stats``, ``Test Parameters Used``)."""

    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (section, key, value)
    text: str = ""

    def get(self, key: str, section: str | None = None) -> str | None:
        for sec, k, v in self.fields:
            if k == key and (section is None or sec == section):
                return v
        return None


@dataclass(slots=True)
class LoadgenDetail:
    """``mlperf_log_detail.txt``: its ``:::MLLOG`` events (dicts), in order."""

    events: list[dict] = field(default_factory=list)

    def value(self, key: str) -> Any:
        for e in self.events:
            if e.get("key") == key:
                return e.get("value")
        return None


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Quarantine(f"not UTF-8 text{what}: {e}") from None


def _gunzip(data: bytes) -> bytes:
    import zlib

    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, GZIP_MAX + 1)
    except zlib.error as e:
        raise Quarantine(f"not a gzip file: {e}") from None
    if len(out) > GZIP_MAX:
        raise Quarantine(f"gzip content larger than {GZIP_MAX >> 20} MiB")
    if not d.eof:
        raise Quarantine("truncated gzip file")
    return out


def _json_lines(text: str) -> JsonLines | None:
    """The documents of ``text`` read as JSON Lines, or None when a non-blank line is not JSON."""
    docs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            docs.append(loads(line))
        except (json.JSONDecodeError, RecursionError):
            return None
    return JsonLines(docs)


def _malformed(e: json.JSONDecodeError) -> Quarantine:
    return Quarantine(f"malformed JSON: {e.msg}: line {e.lineno} column {e.colno} (char {e.pos})")


_SUMMARY_LINE = re.compile(r"^\s*([^:=][^:]*?)\s*:\s*(.*?)\s*$")
_SECTION_RULE = re.compile(r"^=+$")


def _loadgen_summary(text: str) -> LoadgenSummary:
    out = LoadgenSummary(text=text)
    section = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or _SECTION_RULE.match(s):
            continue
        if i > 0 and _SECTION_RULE.match(lines[i - 1].strip()) and i + 1 < len(lines) and _SECTION_RULE.match(lines[i + 1].strip()):
            section = s
            continue
        m = _SUMMARY_LINE.match(line)
        if m:
            out.fields.append((section, m.group(1).strip(), m.group(2)))
    return out


def _loadgen_detail(text: str) -> LoadgenDetail:
    out = LoadgenDetail()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.startswith(":::MLLOG "):
            continue
        try:
            ev = loads(line[len(":::MLLOG "):])
        except json.JSONDecodeError as e:
            raise Quarantine(f"malformed :::MLLOG event on line {n}: {e.msg}") from None
        if isinstance(ev, dict):
            out.events.append(ev)
    return out


def decode(raw: bytes, name: str) -> Any:
    """The document in ``raw``, the bytes of the file called ``name`` (its suffix says how to
    read it; its content says what it is). Raises Quarantine or NotReadable with the reason."""
    lower = name.lower()
    if lower.endswith(".gz"):
        raw, lower = _gunzip(raw), lower[:-3]
    if lower.endswith(".txt"):
        text = _text(raw, "")
        head = text[:4096]
        if "MLPerf Results Summary" in head:
            return _loadgen_summary(text)
        if text.startswith(":::MLLOG ") or "\n:::MLLOG " in head:
            return _loadgen_detail(text)
        raise NotReadable("text file that is not an MLPerf loadgen log")
    text = _text(raw, "")
    if lower.endswith((".jsonl", ".ndjson")):
        lines = _json_lines(text)
        if lines is None:
            for n, line in enumerate(text.splitlines(), 1):
                try:
                    if line.strip():
                        loads(line)
                except json.JSONDecodeError as e:
                    raise Quarantine(f"malformed JSON Lines: line {n}: {e.msg} (column {e.colno})") from None
        return lines
    try:
        return loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # more than one value: JSON Lines under a .json name
            lines = _json_lines(text)
            if lines is not None and len(lines) > 1:
                return lines
        raise _malformed(e) from None
    except RecursionError:
        raise Quarantine("malformed JSON: nested too deeply") from None
