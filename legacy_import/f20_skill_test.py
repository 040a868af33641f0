"""F20: a skill test's own result file (``skills/collected_results|expected_results/
hf_<skill>_test_results.json``), the dict a skills/test_hf_*.py ``__test__`` writes.

Two shapes: structured ``{status {...}, examples [...], metadata {model_name, test_timestamp,
...}}`` and the older flat one (status strings, ``<hw>_..._example`` dicts with epoch
timestamps, ``metadata {timestamp (epoch), test_model, ...}`` at the top level). Both are
converted by f16_skill_common (status strings -> TestOutcome, timed examples -> Result,
``<hw>_benchmark`` -> a benchmark Result, MOCK/simulated markers kept).

Run: origin ``skill_test``; started_at = ``metadata.test_timestamp`` (ISO naive) or
``metadata.timestamp`` (epoch -> UTC), else the file name's time; run_key =
``metadata.test_run_id`` or the model. model_name = ``metadata.model_name``/``test_model``;
model_family = ``metadata.model_type`` when given. A result naming no model still gives its
sub-test outcomes (model unknown; run_key = a digest of the content); timed examples without a
model are quarantined. The oldest flat shape has no ``metadata`` at all: status strings under
``init`` and ``<hw>_init``/``<hw>_tests``/``<hw>_handler`` keys of two or more hardware. Expected-results files are older real runs of
the same test (their own timestamps), imported like any other.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, SkipFile
from benchwh.legacy_import.f16_skill_common import (
    SkillContext, hw_of_key, skill_model_name, skill_records, skill_time, status_of,
)
from benchwh.legacy_import.f16_skill_performance import skill_run_fields, skill_test_run
from benchwh.legacy_import.fields import str_at
from benchwh.records import Record, Result, RunInfo, content_id

_OTHER_FORMAT_KEYS = {"results", "test_file", "skill_tests", "json_result", "model_results", "tests"}


def _flat_skill(doc: dict) -> bool:
    """Flat shape: an ``init`` or ``<hw>_init`` status string at the top level."""
    return any(isinstance(k, str) and (k == "init" or k.endswith("_init")) and status_of(v) is not None
               for k, v in doc.items())


def _flat_hw_skill(doc: dict) -> bool:
    """The oldest flat shape, without ``metadata``: status strings under an ``init`` key and
    under keys of at least two hardware (``cpu_init``, ``cuda_tests``, ``qualcomm_handler``...),
    where most values are status strings: what a skill test's ``__test__`` returned."""
    if not _flat_skill(doc):
        return False
    hws = {hw_of_key(k) for k, v in doc.items() if isinstance(k, str) and status_of(v) is not None} - {None}
    statuses = sum(1 for v in doc.values() if status_of(v) is not None)
    return len(hws) >= 2 and statuses * 2 >= len(doc)


class SkillTestImporter(Importer, name="f20-skill-test", formats=("F20",),
                        keys={"status", "examples", "metadata"}):
    """skill test result {status{}, examples[], metadata{}} or its flat older shape"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or _OTHER_FORMAT_KEYS & set(doc):
            return False
        if isinstance(doc.get("status"), dict) and isinstance(doc.get("examples"), list):
            return True
        return (isinstance(doc.get("metadata"), dict) and _flat_skill(doc)) or _flat_hw_skill(doc)

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        model = skill_model_name(doc, "") or None
        started = skill_time(doc) or ctx.path_time
        family = str_at(meta, "model_type")
        # Without a model name the outcomes are still facts (which sub-test passed); the run is
        # then known only by its content.
        run = skill_test_run(doc, ctx.path_time) or RunInfo(
            origin="skill_test", started_at=started, run_key=content_id("skill-test-doc", doc),
            **skill_run_fields(meta))
        sc = SkillContext(run=run, ctx=ctx, model_name=model, module=None, model_family=family,
                          base_time=started, pointer=())
        records = list(skill_records(doc, sc))
        if model is None and any(isinstance(r, Result) for r in records):
            raise Quarantine("skill test result holds timed examples but names no model "
                             "(metadata.model_name/test_model missing)")
        if not records:
            raise SkipFile("skill test result holds no sub-test status and no timed example")
        yield from records


IMPORTERS = [SkillTestImporter()]
