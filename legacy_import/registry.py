"""Registry of importers: discovers every ``fNN_*`` module's ``IMPORTERS`` and identifies a
document by content."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

from benchwh.errors import ImportFormatError
from benchwh.legacy_import.base import Importer


@lru_cache(maxsize=1)
def importers() -> tuple[Importer, ...]:
    """All importers, in module order (f01, f02, ...). Each module exposes ``IMPORTERS``."""
    import benchwh.legacy_import as pkg

    found: list[Importer] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not (info.name.startswith("f") and info.name[1:3].isdigit()):
            continue
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        found.extend(getattr(mod, "IMPORTERS", ()))
    names = [i.name for i in found]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate importer names: {sorted(dupes)}")
    return tuple(found)


def by_name(name: str) -> Importer:
    for imp in importers():
        if imp.name == name:
            return imp
    from difflib import get_close_matches

    close = get_close_matches(name, [i.name for i in importers()], n=3)
    hint = f" did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    raise ImportFormatError(f"unknown format '{name}';{hint} `benchwh import --list-formats` lists them")


@lru_cache(maxsize=1)
def _plan() -> tuple[tuple, tuple]:
    """Built once from each importer's ``required_keys``: (importer, sniff) to run for a
    document that is not an object, and (importer, sniff, required keys or None) for every
    importer, in module order."""
    regular = [i for i in importers() if not i.fallback]
    return (tuple((i, i.sniff) for i in regular if not i.required_keys),
            tuple((i, i.sniff, i.required_keys or None) for i in regular))


def _fallbacks(doc: Any) -> list[Importer]:
    return [imp for imp in importers() if imp.fallback and imp.sniff(doc)]


def claimants(doc: Any) -> list[Importer]:
    """The importers whose ``sniff`` accepts ``doc``, in module order. An importer that
    declares ``required_keys`` is only sniffed when the document has them all; a ``fallback``
    importer only when no other claims it."""
    bare, keyed = _plan()
    if not isinstance(doc, dict):
        found = [imp for imp, sniff in bare if sniff(doc)]
    else:
        keys = doc.keys()
        found = [imp for imp, sniff, req in keyed if (req is None or req <= keys) and sniff(doc)]
    return found or _fallbacks(doc)


def claimants_unfiltered(doc: Any) -> list[Importer]:
    """``claimants`` without the ``required_keys`` prefilter: every sniff runs. For checking
    that a declared ``required_keys`` never hides a claim."""
    return [imp for imp in importers() if not imp.fallback and imp.sniff(doc)] or _fallbacks(doc)


def nearest(doc: Any, n: int = 3) -> list[str]:
    """Names of the formats whose typical keys overlap most with the document's keys."""
    if isinstance(doc, dict):
        keys = set(doc)
    elif isinstance(doc, list) and doc and isinstance(doc[0], dict):
        keys = set(doc[0])
    else:
        keys = set()
    scored = []
    for imp in importers():
        if not imp.keys:
            continue
        inter = len(keys & imp.keys)
        if inter:
            scored.append((inter / len(keys | imp.keys), imp.name))
    scored.sort(reverse=True)
    return [name for _, name in scored[:n]]


def identify(doc: Any, forced: str | None = None) -> Importer:
    """The one importer for ``doc``. Raises ImportFormatError for unknown or ambiguous
    content (the message names the nearest formats, or the claimants and ``--format``)."""
    if forced:
        imp = by_name(forced)
        if not imp.sniff(doc):
            raise ImportFormatError(f"content does not look like format '{forced}'")
        return imp
    found = claimants(doc)
    if len(found) == 1:
        return found[0]
    if not found:
        near = nearest(doc)
        hint = f"; nearest known formats: {', '.join(near)}" if near else ""
        raise ImportFormatError(f"unknown format{hint}")
    names = ", ".join(i.name for i in found)
    raise ImportFormatError(f"ambiguous format: claimed by {names}; pass `--format NAME` to choose")
