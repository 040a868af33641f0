"""F7: ``benchmark_summary.json`` from run_benchmark_suite.py: ``{timestamp, system_info,
hardware_types, model_families {family: {models_tested, hardware_results {hw: {latency_ms [...],
throughput [...]}}}}, performance_comparison {...}}``.

Derived entirely from the F6 ``benchmark_results.json`` beside it (``latency_ms`` is each
model's performance_summary mean x 1000, a mean over configs; the lists silently drop models
without numbers, so positions need not match ``models_tested``). Importing it too would
double-count, so it is recognised and skipped with that reason.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record


class BenchmarkSummaryImporter(Importer, name="f07-benchmark-summary", formats=("F7",), keys={"timestamp",
                               "system_info", "hardware_types", "model_families", "performance_comparison"},
                               required_keys={'model_families'}):
    """benchmark_summary.json: per-family summary derived from benchmark_results.json (skipped)"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict):
            return False
        fams = doc.get("model_families")
        if not isinstance(fams, dict):
            return False
        if "performance_comparison" in doc:
            return True
        return bool(fams) and all(isinstance(v, dict) and "hardware_results" in v for v in fams.values())

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile("derived summary of the benchmark_results.json (F6) in the same folder: "
                       "per-model means over configs; the F6 file holds the measurements")


IMPORTERS = [BenchmarkSummaryImporter()]
