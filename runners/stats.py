"""Summary statistics of latency samples (pure Python: no numpy needed on a GPU box).

Percentiles interpolate linearly between order statistics (numpy's default ``linear``
method, the same as ``statistics.quantiles(method="inclusive")``); ``std`` is the population
standard deviation (ddof=0, numpy's default), so a reader can recompute every figure from the
kept samples with either library.
"""

from __future__ import annotations

import math
from typing import Sequence

PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of already sorted values, linear interpolation."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("percentile of no values")
    pos = (n - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def latency_stats(samples_ms: Sequence[float]) -> dict[str, float]:
    """``{mean, p50, p90, p95, p99, min, max, std}`` of the samples (ms in, ms out).

    Reads only ``samples_ms``; raises ValueError for an empty list (a configuration without
    samples has no statistics: the caller leaves them None)."""
    if not samples_ms:
        raise ValueError("no latency samples")
    xs = sorted(float(x) for x in samples_ms)
    n = len(xs)
    mean = math.fsum(xs) / n
    var = math.fsum((x - mean) ** 2 for x in xs) / n
    out = {"mean": mean}
    for name, q in PERCENTILES.items():
        out[name] = percentile(xs, q)
    out.update({"min": xs[0], "max": xs[-1], "std": math.sqrt(var)})
    return out


def per_second(count: float, mean_ms: float | None) -> float | None:
    """``count`` items (or tokens) per mean latency, as a rate per second; None without a
    positive mean."""
    if mean_ms is None or mean_ms <= 0:
        return None
    return count * 1000.0 / mean_ms


def result_fields(samples_ms: Sequence[float], items_per_call: int | None = None) -> dict[str, object]:
    """Result keyword arguments for a list of per-call latencies: the samples, every
    ``latency_ms_*`` statistic, ``iterations`` and (given ``items_per_call``) items/s."""
    st = latency_stats(samples_ms)
    fields: dict[str, object] = {f"latency_ms_{k}": v for k, v in st.items()}
    fields["latency_samples_ms"] = [float(x) for x in samples_ms]
    fields["iterations"] = len(samples_ms)
    if items_per_call is not None:
        fields["throughput_items_per_s"] = per_second(items_per_call, st["mean"])
    return fields
