"""F29 ``test_data/performance_results/<model>_<hw>_test.json``: rows already in the legacy
warehouse's column names, the legacy converter's test fixture.

Shape: a list of ``{model_name, model_family, modality, hardware_type, device_name, batch_size,
precision, test_case, total_time_seconds, average_latency_ms, throughput_items_per_second,
memory_peak_mb, iterations, warmup_iterations, metrics {...}}``.

Hand-made sample rows, not measurements: no timestamp, no run, no producing script, and numbers
that contradict each other (100 iterations of 19.1 ms are 1.9 s, the row says 152.8 s total;
latency falls as the batch grows while total time rises). Importing them, even flagged as
simulated, would put invented numbers beside measured ones ("simulated" means produced by a
simulated run, and no run produced these). So the file is skipped with a reason that shows the
evidence found in it.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record

_ROW_METRICS = ("average_latency_ms", "throughput_items_per_second", "memory_peak_mb",
                "total_time_seconds")
# Keys that would tie a row to a moment or a run (none of the fixture rows has one).
_ANCHORS = ("timestamp", "measured_at", "created_at", "run_id", "test_run_id", "git_commit")


def _contradiction(rows: list) -> str | None:
    """Text for the first row whose iterations x latency is far (10x) from its total time."""
    for row in rows:
        if not isinstance(row, dict):
            continue
        n = nz.to_int(row.get("iterations"))
        lat = nz.to_float(row.get("average_latency_ms"))
        total = nz.to_float(row.get("total_time_seconds"))
        if n and lat and total and not (0.1 <= (n * lat / 1000.0) / total <= 10.0):
            return (f"{n} iterations x {lat:g} ms = {n * lat / 1000.0:.3g} s, "
                    f"but total_time_seconds is {total:g}")
    return None


class SchemaRowsImporter(Importer):
    name = "f29-schema-rows"
    formats = ("F29",)
    description = "legacy converter test fixture: hand-made rows in warehouse column names (skipped)"
    keys = frozenset({"model_name", "model_family", "modality", "hardware_type", "device_name",
                      "batch_size", "precision", "test_case", "total_time_seconds",
                      "average_latency_ms", "throughput_items_per_second", "memory_peak_mb",
                      "iterations", "warmup_iterations", "metrics"})

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
            return False
        first = doc[0]
        return ("model_name" in first and "hardware_type" in first
                and any(k in first for k in _ROW_METRICS))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        anchored = any(isinstance(r, dict) and any(k in r for k in _ANCHORS) for r in doc)
        evidence = [f"{len(doc)} hand-made rows"]
        if not anchored:
            evidence.append("no timestamp or run")
        clash = _contradiction(doc)
        if clash:
            evidence.append(clash)
        raise SkipFile("legacy converter test fixture, not measurements: " + "; ".join(evidence))


IMPORTERS = [SchemaRowsImporter()]
