"""H09: Bencher Metric Format (BMF) JSON: ``{benchmark name: {measure: {value, lower_value?,
upper_value?}}}``.

Any key may be a benchmark name, so recognition is strict: every value an object of measures,
every measure an object with a numeric ``value`` and nothing but ``value``, ``lower_value`` and
``upper_value`` (numbers). Bencher's built-in measures: ``latency`` in nanoseconds,
``throughput`` in operations per second; any other measure (``instructions``, ``file-size``,
custom) is kept as it is in the metrics. BMF names no machine: ``unknown`` hardware.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, ptr
from benchwh.legacy_import.harness_common import digest
from benchwh.normalize import is_number, to_float, to_ms
from benchwh.records import Record, Result, RunInfo

_MEASURE_KEYS = {"value", "lower_value", "upper_value"}


def _measure(m: Any) -> bool:
    return (isinstance(m, dict) and is_number(m.get("value")) and set(m) <= _MEASURE_KEYS
            and all(is_number(v) for v in m.values()))


class BencherBmfImporter(Importer, name="bencher-bmf", formats=("H09",)):
    """Bencher Metric Format JSON (strict)"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and bool(doc)
                and all(isinstance(ms, dict) and ms and all(_measure(m) for m in ms.values()) for ms in doc.values()))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        run = RunInfo(origin="bencher-bmf", run_key=digest(doc))
        for name, measures in doc.items():
            r = Result(run=run, model_name=None, hardware_type="unknown", benchmark=name,
                       measured_at=ctx.path_time, provenance=ctx.prov(ptr(name)))
            metrics: dict[str, Any] = {}
            for measure, m in measures.items():
                if measure == "latency":
                    r.latency_ms_mean = to_ms(m["value"], "ns")
                    for k in ("lower_value", "upper_value"):
                        if k in m:
                            metrics[f"latency_{k}_ms"] = to_ms(m[k], "ns")
                    r.reported_unit = "ns"
                elif measure == "throughput":
                    r.throughput_items_per_s = to_float(m["value"])
                    for k in ("lower_value", "upper_value"):
                        if k in m:
                            metrics[f"throughput_{k}"] = to_float(m[k])
                    r.reported_unit = r.reported_unit or "operations/s"
                else:
                    metrics[measure] = dict(m)
            if r.reported_unit is None:
                r.reported_unit = ", ".join(measures)
            r.metrics = metrics
            yield r


IMPORTERS = [BencherBmfImporter()]
