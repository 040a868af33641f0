"""Helpers shared by the benchmark-harness importers (``hNN_*``): run identity, generic
results, parameter maps. No unit logic here: units go through ``benchwh.normalize``."""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any

from benchwh.normalize import is_number

SCALARS = (str, int, float, bool)


def digest(obj: Any) -> str:
    """A short content hash of a JSON-able value (canonical text): a run's identity when its
    tool writes no time and no id."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def scalar(v: Any) -> Any:
    """A parameter value as a scalar: scalars as they are, anything else as its JSON text."""
    if v is None or isinstance(v, SCALARS):
        return v
    return json.dumps(v, sort_keys=True, default=str)


def flat_params(d: Any) -> dict[str, Any] | None:
    """A flat map of scalars from a parameter dict (nested values become JSON text); None for
    no parameters at all."""
    if not isinstance(d, dict) or not d:
        return None
    return {str(k): scalar(v) for k, v in d.items()}


def literal(text: Any) -> Any:
    """A parameter written as Python source (asv: ``'asc'``, ``10``) -> its value; text that
    is not a literal stays text."""
    if not isinstance(text, str):
        return scalar(text)
    try:
        v = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    return scalar(v)


def numbers_only(d: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``d`` whose values are finite numbers (bools excluded)."""
    return {k: v for k, v in d.items() if is_number(v)}


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
