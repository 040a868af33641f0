"""Impossible values: the one rule book applied to every Result before it is written.

A measurement that cannot be (a negative latency, throughput or memory, a batch size of 0 or
less, every measurement exactly 0, a number that is not finite) is refused with a reason; it
is never stored as a measurement. Import refuses such records and says so in the file's report
entry; merge refuses such rows with counts (``benchwh.warehouse.verify``); a recorder calls
``refusals`` on what it measured before writing.

Reads only its arguments.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Callable, Iterable

from benchwh.records import Result

LATENCIES = tuple(f"latency_ms_{s}" for s in ("mean", "p50", "p90", "p95", "p99", "min", "max", "std"))
# Measurements that are >= 0 by nature; together they are what "all zero" looks at.
NON_NEGATIVE = (*LATENCIES, "throughput_items_per_s", "throughput_tokens_per_s", "memory_peak_mb", "load_time_ms")
POSITIVE_INTS = ("batch_size",)
NON_NEGATIVE_INTS = ("sequence_length", "iterations", "warmup_iterations")


def problem(get: Callable[[str], Any]) -> str | None:
    """Why the result whose fields ``get(name)`` returns is impossible, or None. Works on a
    Result (``getattr``) and on a stored row (``dict.get``) alike."""
    for name in POSITIVE_INTS:
        v = get(name)
        if v is not None and v <= 0:
            return f"{name} {v} is not a positive number"
    for name in NON_NEGATIVE_INTS:
        v = get(name)
        if v is not None and v < 0:
            return f"{name} {v} is negative"
    present = []
    for name in NON_NEGATIVE:
        v = get(name)
        if v is None:
            continue
        if not math.isfinite(v):
            return f"{name} {v} is not a finite number"
        if v < 0:
            return f"{name} {v} is negative"
        present.append(v)
    samples = get("latency_samples_ms")
    if samples:
        bad = next((s for s in samples if s is None or not math.isfinite(s) or s < 0), "ok")
        if bad != "ok":
            return f"latency sample {bad} is negative or not a number"
        present.append(max(samples))
    if present and not any(present):
        return "every measurement is 0 (nothing was measured)"
    return None


def result_problem(rec: Result) -> str | None:
    return problem(partial(getattr, rec))


def row_problem(row: dict[str, Any]) -> str | None:
    return problem(row.get)


def refusals(records: Iterable[Any]) -> tuple[list[Any], list[tuple[Any, str]]]:
    """(the records to write, [(refused Result, reason)]): only Results are judged."""
    keep, refused = [], []
    for rec in records:
        why = result_problem(rec) if isinstance(rec, Result) else None
        if why is None:
            keep.append(rec)
        else:
            refused.append((rec, why))
    return keep, refused


def summary(refused: list[tuple[Any, str]], limit: int = 3) -> str:
    """One line: how many results were refused and the first reasons (with where they were)."""
    parts = []
    for rec, why in refused[:limit]:
        where = getattr(getattr(rec, "provenance", None), "source_pointer", None)
        parts.append(f"{why}{f' at {where}' if where else ''}")
    more = f" (+{len(refused) - limit} more)" if len(refused) > limit else ""
    return f"refused {len(refused)} impossible result(s): {'; '.join(parts)}{more}"
