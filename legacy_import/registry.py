"""Registry of importers: discovers every ``fNN_*`` (legacy formats) and ``hNN_*`` (benchmark
harnesses) module's ``IMPORTERS`` and identifies a document by content."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

from benchwh.errors import ImportFormatError
from benchwh.legacy_import.base import Importer


@lru_cache(maxsize=1)
def importers() -> tuple[Importer, ...]:
    """All importers, in module order (f01, f02, ..., h01, ...). Each module exposes ``IMPORTERS``."""
    import benchwh.legacy_import as pkg

    found: list[Importer] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not (info.name[:1] in ("f", "h") and info.name[1:3].isdigit()):
            continue
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        found.extend(getattr(mod, "IMPORTERS", ()))
    names = [i.name for i in found]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate importer names: {sorted(dupes)}")
    return tuple(found)


def _code(text: str) -> str:
    # "F06" and "f6" are the code "F6"; names compare case-insensitively
    t = text.strip().lower()
    if len(t) > 1 and t[0].isalpha() and t[1:].isdigit():
        return t[0] + str(int(t[1:]))
    return t


def named(name: str) -> list[Importer]:
    """The importers ``--format NAME`` stands for: the one called ``name``, or those whose
    format code (as ``--list-formats`` shows it) is ``name`` (one code may cover several
    importers of one tool: asv's results, definitions, machine, publish output); case does not
    matter. Raises ImportFormatError naming the closest names when there is none."""
    want = _code(name)
    for imp in importers():
        if _code(imp.name) == want:
            return [imp]
    coded = [imp for imp in importers() if want in {_code(c) for c in imp.formats}]
    if coded:
        return coded
    from benchwh.suggest import did_you_mean

    choices = [i.name for i in importers()] + [c for i in importers() for c in i.formats]
    hint = did_you_mean(name, choices, n=3, lead=" ")
    raise ImportFormatError(f"unknown format '{name}';{hint} `benchwh import --list-formats` lists them")


def by_name(name: str) -> Importer:
    """The one importer ``name`` stands for (see ``named``); a code shared by several
    importers is an error naming them."""
    found = named(name)
    if len(found) > 1:
        raise ImportFormatError(f"format code '{name}' names {', '.join(i.name for i in found)}; "
                                f"pass one of those names to `--format`")
    return found[0]


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


def _doc_keys(doc: Any) -> set[str]:
    """The key names a document shows: its top-level keys and those one level down (the keys
    of its object values, of the objects in its lists), for an object, the first objects of a
    list or of a JSON Lines file."""
    from benchwh.legacy_import.decode import JsonLines

    if isinstance(doc, JsonLines):
        doc = doc.docs[:3]
    objs = [doc] if isinstance(doc, dict) else [d for d in doc[:3] if isinstance(d, dict)] if isinstance(doc, list) else []
    keys: set[str] = set()
    for obj in objs:
        keys.update(map(str, obj))
        for v in list(obj.values())[:50]:
            if isinstance(v, dict):
                keys.update(map(str, list(v)[:50]))
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                keys.update(map(str, list(v[0])[:50]))
    return keys


def nearest(doc: Any, n: int = 3) -> list[str]:
    """Names of the formats whose typical keys the document shares most: scored by the share
    of the format's typical keys the document has, counting only formats with at least two of
    them in common (one shared generic key such as ``timestamp`` is no likeness)."""
    keys = _doc_keys(doc)
    if not keys:
        return []
    scored = []
    for imp in importers():
        if not imp.keys:
            continue
        inter = len(keys & imp.keys)
        if inter >= 2:
            scored.append((inter / len(imp.keys), inter, imp.name))
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    return [name for _, _, name in scored[:n]]


def identify(doc: Any, forced: str | None = None) -> Importer:
    """The one importer for ``doc``. Raises ImportFormatError for unknown or ambiguous
    content (the message names the nearest formats, or the claimants and ``--format``)."""
    if forced:
        fitting = [imp for imp in named(forced) if imp.sniff(doc)]
        if not fitting:
            raise ImportFormatError(f"content does not look like format '{forced}'")
        if len(fitting) > 1:
            names = ", ".join(i.name for i in fitting)
            raise ImportFormatError(f"ambiguous format: '{forced}' fits {names}; pass one of those names to `--format`")
        return fitting[0]
    found = claimants(doc)
    if len(found) == 1:
        return found[0]
    if not found:
        near = nearest(doc)
        hint = f"; nearest known formats: {', '.join(near)}" if near else ""
        raise ImportFormatError(f"unknown format{hint}")
    names = ", ".join(i.name for i in found)
    raise ImportFormatError(f"ambiguous format: claimed by {names}; pass `--format NAME` to choose")
