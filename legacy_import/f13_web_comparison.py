"""F13 ``web_platform_comparison_<TS>.json``: a web platform comparison report.

Shape: ``{timestamp, summary {webnn|webgpu: {success_rate, avg_processing_time_ms, ...}},
results_by_modality {text: [{model, webnn {time_ms, memory_mb, success, implementation},
webgpu {...}}]}, modality_compatibility, implementation_types, recommendations,
test_environment}``.

Hand-authored and derived: a rounded report time (``12:00:00Z``), success rates and averages
summarising runs that are not in it, and recommendations. Its per-model numbers have no run,
no batch size and no measurement time behind them, so the file is skipped with that reason
rather than imported as measurements.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record


class WebComparisonImporter(Importer, name="f13-web-comparison", formats=("F13",), keys={"timestamp",
                            "summary", "results_by_modality", "modality_compatibility",
                            "implementation_types", "recommendations", "test_environment"},
                            required_keys={'results_by_modality'}):
    """web platform comparison report (hand-authored summary; skipped)"""

    def sniff(self, doc: Any) -> bool:
        return isinstance(doc, dict) and "results_by_modality" in doc

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        by_modality = doc.get("results_by_modality")
        n = sum(len(v) for v in by_modality.values() if isinstance(v, list)) if isinstance(by_modality, dict) else 0
        raise SkipFile(
            f"web platform comparison report ({n} model rows, summary, recommendations): "
            "hand-authored and derived from runs it does not contain; no run, batch size or "
            "measurement time behind its numbers"
        )


IMPORTERS = [WebComparisonImporter()]
