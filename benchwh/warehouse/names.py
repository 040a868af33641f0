"""Names in filters, resolved to what the warehouse stores.

A user names a model the way they ran or imported it: ``bert-tiny`` (the runner's short
name) for the stored ``prajjwal1/bert-tiny``, a different case, or the part after the hub
owner. :func:`resolve` turns such a name into the stored one, and an unknown name into one
clear error: ``no such model 'x'; did you mean 'y'?`` (:func:`did_you_mean`, the one helper
every command uses). Hardware and precision are compared in their canonical spelling
(``CUDA`` -> ``cuda``, ``float16`` -> ``fp16``). Reads only.
"""

from __future__ import annotations

from typing import Any, Iterable

from benchwh.errors import QueryError
from benchwh.suggest import closest, phrase

# kind -> SQL listing the stored values (the dimension tables and the results' own columns).
_STORED = {
    "model": "SELECT DISTINCT model_name FROM models WHERE model_name IS NOT NULL",
    "hardware": "SELECT DISTINCT hardware_type FROM hardware WHERE hardware_type IS NOT NULL",
    "precision": "SELECT DISTINCT precision FROM results WHERE precision IS NOT NULL",
    "benchmark": "SELECT DISTINCT benchmark FROM results WHERE benchmark IS NOT NULL",
}


def did_you_mean(kind: str, value: str, known: Iterable[str]) -> QueryError:
    """The error for an unknown ``kind`` (model, hardware, ...) named ``value``: the closest
    known names, or what there is when nothing is close."""
    known = sorted(set(known))
    close = closest(value, known, n=3, cutoff=0.5, ignore_case=True)
    # The part after a hub owner ("bert-tiny" for "prajjwal1/bert-tiny") counts as close too.
    tails = [k for k in known if "/" in k and value.lower() in k.lower().rsplit("/", 1)[1]]
    picks = list(dict.fromkeys(close + tails))[:3]
    if picks:
        hint = phrase(picks, lead="", joiner=" or ", quote="'")
    elif known:
        shown = ", ".join(known[:8]) + (f", ... ({len(known)} in all)" if len(known) > 8 else "")
        hint = f"the warehouse has: {shown}"
    else:
        return QueryError(f"no such {kind} '{value}'; the warehouse has no {kind} yet", remedy="fill-first",
                          hint=" (record or import results first)")
    return QueryError(f"no such {kind} '{value}'; {hint}")


def stored(con, kind: str) -> list[str]:
    """Every stored value of ``kind``."""
    return [r[0] for r in con.execute(_STORED[kind]).fetchall()]


def _registry_aliases() -> dict[str, str]:
    """The runners' short names -> the names their results are stored under."""
    from benchwh.runners.models import MODELS

    return {key: spec.model_name for key, spec in MODELS.items()}


def resolve(con, kind: str, value: str | None) -> str | None:
    """The stored spelling of ``value`` for ``kind``; None stays None. Raises QueryError
    (:func:`did_you_mean`) when nothing stored matches."""
    if value is None:
        return None
    from benchwh import normalize as nz

    text = str(value).strip()
    names = stored(con, kind)
    have = set(names)
    if kind == "hardware":
        canon = nz.hardware_type(text) or text.lower()
        if canon in have:
            return canon
    elif kind == "precision":
        canon = nz.precision(text) or text
        if canon in have:
            return canon
    if text in have:
        return text
    by_lower: dict[str, list[str]] = {}
    for n in names:
        by_lower.setdefault(n.lower(), []).append(n)
    if len(by_lower.get(text.lower(), [])) == 1:
        return by_lower[text.lower()][0]
    if kind == "model":
        alias = _registry_aliases().get(text)
        if alias in have:
            return alias
        tails = [n for n in names if "/" in n and n.rsplit("/", 1)[1].lower() == text.lower()]
        if len(tails) == 1:
            return tails[0]
        if len(tails) > 1:
            raise QueryError(f"model '{text}' is ambiguous: it may be " + " or ".join(f"'{t}'" for t in sorted(tails))
                             + "; pass the full name")
    raise did_you_mean(kind, text, names)


def resolve_all(con, **values: Any) -> dict[str, Any]:
    """``resolve`` each of ``model=``, ``hardware=``, ``precision=``, ``benchmark=`` (a list
    resolves item by item); other keywords pass through unchanged."""
    out: dict[str, Any] = {}
    for kind, v in values.items():
        if kind not in _STORED or v is None:
            out[kind] = v
        elif isinstance(v, (list, tuple)):
            out[kind] = [resolve(con, kind, x) for x in v]
        else:
            out[kind] = resolve(con, kind, v)
    return out
