"""The importer contract shared by every format module."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, ClassVar, Iterable, Iterator

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
    abs_path: str | None = None  # where the file is, when it is a file (for ``find_up``)
    reader: Callable[[str], bytes] | None = None  # the import's raw read (default: a plain read)

    def prov(self, pointer: str | None = None) -> Provenance:
        return Provenance(source_file=self.rel_path, source_sha256=self.sha256, source_pointer=pointer)

    def find_up(self, name: str) -> tuple[str, Any] | None:
        """The nearest file called ``name`` in this file's folder or a folder above it, up to the
        import root (never outside what the user gave): ``(its path relative to the root,
        its decoded document)``, or None when there is none. Read through the import's raw
        read and the same ``decode`` step as every file; a neighbour that cannot be decoded
        raises Quarantine naming it."""
        if not self.abs_path:
            return None
        folder = os.path.dirname(self.abs_path)
        rel_parts = self.rel_path.split("/")[:-1]
        while True:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                rel = "/".join([*rel_parts, name])
                return rel, self._read_neighbour(candidate, rel)
            if not rel_parts:
                return None
            rel_parts.pop()
            folder = os.path.dirname(folder)

    def find_near(self, name: str, levels: int) -> tuple[str, Any] | None:
        """The nearest file called ``name`` in this file's folder or up to ``levels`` folders
        above it on disk, whatever folder the import started from (as a file's time is read
        from its folders: a file reads the same given alone or in its folder): ``(its
        absolute path, its decoded document)``, or None. A neighbour that cannot be decoded
        raises Quarantine naming it."""
        if not self.abs_path:
            return None
        folder = os.path.dirname(os.path.abspath(self.abs_path))
        for _ in range(levels + 1):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return candidate, self._read_neighbour(candidate, candidate)
            parent = os.path.dirname(folder)
            if parent == folder:
                return None
            folder = parent
        return None

    def _read_neighbour(self, path: str, shown: str) -> Any:
        try:
            st = os.stat(path)
            return _neighbour(path, st.st_mtime_ns, st.st_size, self.reader)
        except Quarantine as e:
            raise Quarantine(f"{shown} (read with this file): {e}") from None
        except OSError as e:
            raise Quarantine(f"{shown} (read with this file): cannot read: {e.strerror}") from None


class Importer:
    """Base for format importers. A subclass declares itself in its class statement and
    implements ``sniff`` and ``convert``; its docstring's first paragraph is its
    ``description``::

        class PyperfImporter(Importer, name="pyperf", formats=("H03",),
                             keys={"benchmarks", "metadata", "version"}, required_keys={"version"}):
            \"\"\"pyperf JSON results\"\"\"

    ``keys`` are the top-level keys typical of the format (they name the nearest formats for an
    unknown file); the other class-statement keywords set the class attributes below."""

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

    def __init_subclass__(cls, *, name: str, formats: tuple[str, ...], keys: Iterable[str] = (),
                          required_keys: Iterable[str] = (), **flags: Any) -> None:
        super().__init_subclass__()
        unknown = set(flags) - {"parser_version", "fallback", "own_clock"}
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown importer declaration {sorted(unknown)}")
        if not cls.__doc__:
            raise TypeError(f"{cls.__name__}: an importer's docstring describes its format")
        cls.name, cls.formats = name, tuple(formats)
        cls.keys, cls.required_keys = frozenset(keys), frozenset(required_keys)
        cls.description = " ".join(inspect.cleandoc(cls.__doc__).split("\n\n")[0].split())
        for flag, value in flags.items():
            setattr(cls, flag, value)

    def sniff(self, doc: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<importer {self.name} ({', '.join(self.formats)})>"


def shaped(doc: Any, kinds: dict[str, type | tuple[type, ...]], *, exact: bool = False) -> bool:
    """True when doc is an object whose values at kinds' keys have those types (exact: and it
    has no other key): the common first test of an importer's sniff."""
    return (isinstance(doc, dict) and (not exact or doc.keys() == kinds.keys())
            and all(isinstance(doc.get(k), t) for k, t in kinds.items()))


def _plain_read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


@lru_cache(maxsize=64)
def _neighbour(path: str, _mtime_ns: int, _size: int, reader: Callable[[str], bytes] | None) -> Any:
    # One read per neighbour and version: a results folder holds many files reading the same one.
    from benchwh.legacy_import.decode import decode

    return decode((reader or _plain_read)(path), os.path.basename(path))


def ptr(*parts: Any) -> str:
    """JSON-pointer text for a path inside a document (``~`` and ``/`` escaped)."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
