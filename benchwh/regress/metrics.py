"""The metrics a series can be judged on, and which way is better for each.

Latency and memory: lower is better; throughput: higher is better. Names are the flat export
columns (DESIGN.md, "The export contract"); a family name (``latency``, ``throughput``,
``memory``) stands for all of its metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from benchwh.errors import QueryError


@dataclass(frozen=True, slots=True)
class Metric:
    name: str  # flat column
    family: str  # latency | throughput | memory
    lower_is_better: bool
    unit: str
    # The row's raw latency samples describe this metric's distribution: latency stats
    # directly, items/s as batch/latency per sample (a monotone map, so the rank test on the
    # latency samples is the rank test on per-sample throughput).
    rank_test_on_samples: bool

    @property
    def direction(self) -> str:
        return "lower is better" if self.lower_is_better else "higher is better"


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("latency_ms_mean", "latency", True, "ms", True),
    Metric("latency_ms_p50", "latency", True, "ms", True),
    Metric("latency_ms_p90", "latency", True, "ms", True),
    Metric("latency_ms_p95", "latency", True, "ms", True),
    Metric("latency_ms_p99", "latency", True, "ms", True),
    Metric("throughput_items_per_s", "throughput", False, "items/s", True),
    # Tokens/s may count generated tokens, which latency samples of a forward pass do not time.
    Metric("throughput_tokens_per_s", "throughput", False, "tokens/s", False),
    Metric("memory_peak_mb", "memory", True, "MiB", False),
)}

FAMILIES = ("latency", "throughput", "memory")

# What `benchwh regressions` judges when no --metric is given: one headline figure per family.
DEFAULT_METRICS = ("latency_ms_mean", "throughput_items_per_s", "throughput_tokens_per_s", "memory_peak_mb")


def check_metric(name: str) -> str:
    """``name`` if it is a metric or family name; else QueryError naming the closest."""
    if name in METRICS or name in FAMILIES:
        return name
    known = [*METRICS, *FAMILIES]
    from benchwh.suggest import did_you_mean

    hint = did_you_mean(name, known, lead="", tail="? ")
    raise QueryError(f"unknown metric {name!r}: {hint}known: {', '.join(known)}")


def select_metrics(names: Iterable[str] | None) -> list[Metric]:
    """Metrics named by ``names`` (metric or family names, families expanded), in table
    order; the defaults when ``names`` is empty or None."""
    wanted = list(names or ())
    if not wanted:
        return [METRICS[n] for n in DEFAULT_METRICS]
    picked: set[str] = set()
    for n in wanted:
        check_metric(n)
        picked |= {m.name for m in METRICS.values() if n in (m.name, m.family)}
    return [m for m in METRICS.values() if m.name in picked]
