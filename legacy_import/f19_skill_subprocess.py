"""F19: ``test_hf_<skill>_performance_<TS>.json``, one skill test's subprocess capture.

Shape: ``{test_file, elapsed_time, return_code, stdout, stderr}`` plus one of: ``json_result``
(+ ``structured_results_found``), ``json_parse_error``, nothing, or ``json_result`` with
``status_extracted_from_text: true``. Converted by the F18 capture rules (one TestOutcome;
a printed json_result goes through f16_skill_common; a parse error or a scraped status gives the
outcome with its status and error only, never numbers).

The file holds no time of its own: measured_at and the run's started_at come from the file name
(``_YYYYMMDD_HHMMSS``), else stay None. Run: origin ``run_performance_tests``, run_key = the
test file.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer
from benchwh.legacy_import.f18_performance_test_skills import capture_records, is_capture
from benchwh.legacy_import.fields import str_at
from benchwh.records import Record, RunInfo


class SkillSubprocessImporter(Importer, name="f19-skill-subprocess", formats=("F19",), keys={"test_file",
                              "elapsed_time", "return_code", "stdout", "stderr", "json_result",
                              "json_parse_error", "structured_results_found", "status_extracted_from_text"},
                              required_keys={'test_file', 'return_code'}):
    """one skill test's subprocess capture {test_file, return_code, stdout, stderr, json_result?}"""

    def sniff(self, doc: Any) -> bool:
        return is_capture(doc) and "skill_tests" not in doc

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        test_file = str_at(doc, "test_file")
        run = RunInfo(origin="run_performance_tests", started_at=ctx.path_time, run_key=test_file)
        yield from capture_records(doc, run, ctx, (), ctx.path_time)


IMPORTERS = [SkillSubprocessImporter()]
