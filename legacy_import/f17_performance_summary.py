"""F17: multi-skill summary ``performance_test_results_<TS>.json`` (run_performance_tests.py).

Shape: ``{metadata {timestamp, test_count, test_files[]}, results {<test file>: {status,
execution_time, performance_metrics {<hw>: <flat skill section>} | {error}, error?,
traceback?}}}``.

Each test file -> one ``TestOutcome`` (module = the test file, test_name = its stem, status from
``status``, duration_s = ``execution_time`` (s, the subprocess' wall time), error). Each
hardware section of ``performance_metrics`` is a flat skill result split by hardware: converted
by f16_skill_common with that hardware as the default (status strings -> TestOutcome, timed
examples -> Result); the section's ``implementation_type`` MOCK marks its examples simulated
when they carry no marker of their own. ``performance_metrics {"error": ...}`` is the wrapper's
note that nothing was extracted: kept as the test file's outcome detail, no result.

Run: origin ``run_performance_tests``, started_at = ``metadata.timestamp`` (ISO naive). The file
names no model, only skills: model_name = the skill name (``hf_clip``), as the wrapper's own
per-skill files call it (F16 ``metadata.model``).
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, ptr, shaped
from benchwh.legacy_import.fields import str_at, tail
from benchwh.legacy_import.f16_skill_common import HW_PREFIXES, SkillContext, skill_records
from benchwh.legacy_import.f16_skill_performance import family_of, skill_name
from benchwh.records import Record, RunInfo, TestOutcome


class PerformanceSummaryImporter(Importer, name="f17-performance-summary", formats=("F17",),
                                 keys={"metadata", "results"}, required_keys={'metadata', 'results'}):
    """run_performance_tests.py multi-skill summary {metadata{test_files}, results{file: {...}}}"""

    def sniff(self, doc: Any) -> bool:
        return shaped(doc, {"metadata": dict, "results": dict}, exact=True) and "test_files" in doc["metadata"]

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        meta, res = doc["metadata"], doc["results"]
        started = nz.parse_time(meta.get("timestamp")) or ctx.path_time
        run_meta = {k: meta[k] for k in ("test_count", "test_files") if k in meta}
        run = RunInfo(origin="run_performance_tests", started_at=started, run_key="summary", metadata=run_meta)
        for test_file, entry in res.items():
            if not isinstance(entry, dict):
                continue
            skill = skill_name(test_file)
            st = nz.status(entry.get("status"))
            pm = entry.get("performance_metrics")
            details = {}
            if isinstance(pm, dict) and isinstance(pm.get("error"), str):
                details["performance_metrics_error"] = pm["error"]
            err = str_at(entry, "error")
            yield TestOutcome(
                run=run, module=test_file, test_name=f"test_{skill}" if skill else test_file,
                status=st or "unknown", model_name=skill, duration_s=nz.to_float(entry.get("execution_time")),
                error=err or tail(entry.get("traceback")), details=details, measured_at=started,
                provenance=ctx.prov(ptr("results", test_file)))
            if not isinstance(pm, dict) or not skill:
                continue
            for hw_key, section in pm.items():
                if not isinstance(section, dict) or not isinstance(hw_key, str) or hw_key not in HW_PREFIXES:
                    continue
                sc = SkillContext(run=run, ctx=ctx, model_name=skill, module=test_file,
                                  model_family=family_of(skill), base_time=started,
                                  pointer=("results", test_file, "performance_metrics", hw_key))
                yield from skill_records(section, sc, hw_hint=nz.hardware_type(hw_key),
                                         section_impl=section.get("implementation_type"))


IMPORTERS = [PerformanceSummaryImporter()]
