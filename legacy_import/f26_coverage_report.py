"""F26: hardware coverage report ``hardware_coverage_results/coverage_report.json``.

Shape: ``{timestamp, total_models, platform_coverage {hw: fraction}, model_results [{model,
filename, timestamp, platforms {hw: {has_init_method, has_handler_method, has_platform_test,
has_imports, supported}}, coverage_percentage}], average_coverage, fully/partially/
poorly_covered_models}``.

It is static analysis of test source files (does test_hf_<model>.py define an init/handler
method per platform?), not an execution: ``supported`` means "the test file has code for it",
not "the model ran there". Nothing was measured or run, so it is recognised and skipped with
that reason (importing it as compatibility would claim runs that never happened).
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, shaped
from benchwh.records import Record


class CoverageReportImporter(Importer, name="f26-coverage-report", formats=("F26",), keys={"timestamp",
                             "total_models", "platform_coverage", "model_results", "average_coverage",
                             "fully_covered_models", "partially_covered_models", "poorly_covered_models"},
                             required_keys={'platform_coverage', 'model_results'}):
    """hardware coverage report (static analysis of test files, not an execution)"""

    def sniff(self, doc: Any) -> bool:
        return shaped(doc, {"platform_coverage": dict}) and "model_results" in doc

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        n = len(doc["model_results"]) if isinstance(doc.get("model_results"), list) else 0
        raise SkipFile(f"hardware coverage report: static analysis of {n} test source files "
                       "(which platforms their code covers), not an execution; no measurement or run")
        yield  # pragma: no cover - makes this a generator like every convert


IMPORTERS = [CoverageReportImporter()]
