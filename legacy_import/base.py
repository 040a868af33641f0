"""The importer contract shared by every format module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Iterator

from benchwh.normalize import time_from_path
from benchwh.records import Provenance, Record


class SkipFile(Exception):
    """Raised by ``convert`` for a recognised file that holds no benchmark facts
    (non-benchmark JSON, degenerate aggregates, derived summaries). The message is the reason
    a person reads in the import report."""


class Quarantine(Exception):
    """Raised by ``convert`` for a recognised file whose content cannot be trusted.
    Nothing of the file is written; the message is the reason."""


@dataclass(slots=True)
class ImportContext:
    """What an importer may know about the file besides its content."""

    rel_path: str  # path relative to the import root, '/' separated
    sha256: str
    path_time: datetime | None = None  # time in the file's name or folder, if any

    @classmethod
    def for_path(cls, rel_path: str, sha256: str) -> "ImportContext":
        return cls(rel_path=rel_path, sha256=sha256, path_time=time_from_path(rel_path))

    def prov(self, pointer: str | None = None) -> Provenance:
        return Provenance(source_file=self.rel_path, source_sha256=self.sha256, source_pointer=pointer)


class Importer:
    """Base for format importers. Subclasses set ``name``, ``formats``, ``description`` and
    ``keys`` (the top-level keys typical of the format, used to name the nearest formats
    for an unknown file) and implement ``sniff`` and ``convert``."""

    name: ClassVar[str] = ""
    formats: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    keys: ClassVar[frozenset[str]] = frozenset()
    # Top-level keys that every document ``sniff`` accepts has (it returns False for anything
    # else, a list included). The registry sniffs such an importer only when all of them are
    # present: a prefilter, never a decision. Empty = sniff every document.
    required_keys: ClassVar[frozenset[str]] = frozenset()
    parser_version: ClassVar[int] = 1
    # A fallback importer is asked only when no other importer claims a document.
    fallback: ClassVar[bool] = False
    # The format's times are benchwh's own (already on the one clock, as benchwh wrote them):
    # the import leaves its records' clock and sources as the document gives them.
    own_clock: ClassVar[bool] = False

    def sniff(self, doc: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<importer {self.name} ({', '.join(self.formats)})>"


def ptr(*parts: Any) -> str:
    """JSON-pointer text for a path inside a document (``~`` and ``/`` escaped)."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
