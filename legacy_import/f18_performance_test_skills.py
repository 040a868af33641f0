"""F18: ``performance_test_skills_<filter>_<TS>.json`` (run_performance_tests.py --skills).

Shape: ``{timestamp, python_version, command, skill_tests {<file>: <subprocess capture>}}`` where
a capture is ``{test_file, elapsed_time, return_code, stdout, stderr, json_result?,
json_parse_error?, status_extracted_from_text?}`` (the same capture F19 stores one per file).

Each capture -> one ``TestOutcome`` (module = test file, status from ``return_code``: 0
completed, else failed; duration_s = ``elapsed_time`` (s, subprocess wall time); error = the
last stderr line when it failed, or the JSON parse error). A ``json_result`` that the test
printed is a skill result dict, converted by f16_skill_common exactly as F16/F20 are (unless
``status_extracted_from_text``: then it was scraped from text, not printed by the test, and only
the outcome is kept). stdout/stderr are logs, not kept.

Run: origin ``run_performance_tests``, started_at = ``timestamp``, command_line = ``command``,
python_version. A file whose ``skill_tests`` is empty (the filter matched nothing) holds no
facts: skipped with that reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr, shaped
from benchwh.legacy_import.f16_skill_common import SkillContext, skill_model_name, skill_records, skill_time
from benchwh.legacy_import.f16_skill_performance import embedded_run, family_of, skill_name
from benchwh.legacy_import.fields import str_at, tail
from benchwh.records import Record, RunInfo, TestOutcome

CAPTURE_KEYS = frozenset({"test_file", "elapsed_time", "return_code", "stdout", "stderr"})


def is_capture(doc: Any) -> bool:
    """A subprocess capture of one skill test file (F18 entry, F19 file)."""
    return isinstance(doc, dict) and {"test_file", "return_code"} <= set(doc) and (
        "stdout" in doc or "stderr" in doc)


def capture_records(cap: dict, run: RunInfo, ctx: ImportContext, where: tuple,
                    when: datetime | None) -> Iterator[Record]:
    """One capture -> its TestOutcome, plus the records of a printed ``json_result``."""
    test_file = str_at(cap, "test_file")
    skill = skill_name(test_file)
    rc = nz.to_int(cap.get("return_code"))
    status = "unknown" if rc is None else ("completed" if rc == 0 else "failed")
    parse_err = str_at(cap, "json_parse_error")
    jr = cap.get("json_result")
    scraped = cap.get("status_extracted_from_text") is True
    error = tail(cap.get("stderr")) if rc not in (0, None) else None
    if parse_err:
        error = f"{error}; " if error else ""
        error += f"test output was not parseable JSON: {parse_err}"
    details: dict[str, Any] = {}
    if rc is not None:
        details["return_code"] = rc
    if scraped:
        details["status_extracted_from_text"] = True
        if isinstance(jr, dict) and isinstance(jr.get("status"), dict):
            details["scraped_status"] = jr["status"]
    if not isinstance(jr, dict) and not parse_err:
        details["json_result"] = "absent"
    model = skill_model_name(jr, skill or "unknown") if isinstance(jr, dict) and not scraped else (skill or "unknown")
    yield TestOutcome(
        run=run, module=test_file, test_name=f"test_{skill}" if skill else (test_file or "test"),
        status=status, model_name=model, duration_s=nz.to_float(cap.get("elapsed_time")), error=error,
        details=details, measured_at=when, provenance=ctx.prov(ptr(*where)))
    if isinstance(jr, dict) and not scraped:
        sc = SkillContext(run=embedded_run(jr, run), ctx=ctx, model_name=model, module=test_file,
                          model_family=family_of(skill),
                          base_time=skill_time(jr) or when, pointer=where + ("json_result",))
        yield from skill_records(jr, sc)


class PerformanceTestSkillsImporter(Importer, name="f18-performance-test-skills", formats=("F18",),
                                    keys={"timestamp", "python_version", "command", "skill_tests"},
                                    required_keys={'skill_tests', 'command'}):
    """run_performance_tests.py --skills: {command, python_version, skill_tests{file: capture}}"""

    def sniff(self, doc: Any) -> bool:
        return shaped(doc, {"skill_tests": dict}) and "command" in doc

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        tests = doc["skill_tests"]
        command = str_at(doc, "command")
        if not any(isinstance(v, dict) for v in tests.values()):
            raise SkipFile(f"no skill test ran (skill_tests is empty) for command: {command}")
        started = nz.parse_time(doc.get("timestamp")) or ctx.path_time
        py = str_at(doc, "python_version")
        run = RunInfo(origin="run_performance_tests", started_at=started, run_key=command,
                      command_line=command, python_version=py)
        for key, cap in tests.items():
            if isinstance(cap, dict):
                yield from capture_records(cap, run, ctx, ("skill_tests", key), started)


IMPORTERS = [PerformanceTestSkillsImporter()]
