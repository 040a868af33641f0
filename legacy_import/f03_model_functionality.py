"""F3: ``model_functionality_<TS>.json`` from verify_model_functionality (run by
run_model_benchmarks.py): ``{stats {timestamp, hardware_platforms, ...}, model_results {model:
{hw: bool}}, detailed_results [{model, hardware, success, return_code, stdout, stderr}]}``.

Compatibility facts only: did the skill test for a model run on that hardware. The file names
each model by its skill key (``bert``, ``clap``: the test file ``test_hf_<key>.py``); the run
that ran the checks (run_model_benchmarks.py) names the model behind each key in its ``models``
map (F1 ``benchmark_results.json``, at the top of the run folder that holds this report under
``functionality/``). A fact is stored under the model that map names (``bert`` ->
``prajjwal1/bert-tiny``), so it joins to the results of the same models; the key stays in
``details['skill_key']``. Without such a map the key is the model name. The model the test's log
says it loaded (``Testing model: Qwen/Qwen2-7B-Instruct``) is kept in ``details['tested_model']``.
F1 embeds these documents under ``functionality_verification`` and calls
:func:`convert_document` with its own map.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr, shaped
from benchwh.legacy_import.fields import hardware_of, simulated_marks, str_at, undated_key
from benchwh.records import CompatFact, Record, RunInfo

ORIGIN = "verify_model_functionality"
ERROR_TAIL = 2000  # chars of stderr kept as the error (the exception sits at the end)

_TESTED_RE = re.compile(r"Testing model: (\S+)")
_MOCK_RE = re.compile(r"\b(magic)?mock\b", re.IGNORECASE)
_JSON_MEMBER_RE = re.compile(r'^\s*"[^"]*"\s*:')


def run_info(doc: dict, fallback_time: datetime | None, ctx: ImportContext) -> RunInfo:
    """The verification run, started at ``stats.timestamp`` (the file name's time)."""
    stats = doc.get("stats") if isinstance(doc.get("stats"), dict) else {}
    started = nz.parse_time(stats.get("timestamp")) or fallback_time
    meta = {"stats": stats} if stats else {}
    return RunInfo(origin=ORIGIN, started_at=started, run_key=undated_key(started, ctx), metadata=meta)


def run_model_names(f1: Any) -> dict[str, str]:
    """Skill key -> model name from a run_model_benchmarks aggregate's ``models`` map
    (``{bert: {name: "prajjwal1/bert-tiny", family...}}``); {} when it has none."""
    models = f1.get("models") if isinstance(f1, dict) else None
    if not isinstance(models, dict):
        return {}
    return {str(k): v["name"].strip() for k, v in models.items()
            if isinstance(v, dict) and isinstance(v.get("name"), str) and v["name"].strip()}


# How far above a report its run's folder may be: ``<benchmarks_TS>/<run TS>/functionality/``.
RUN_FOLDER_LEVELS = 2


def aggregate_beside(ctx: ImportContext) -> dict | None:
    """The run_model_benchmarks aggregate (F1 ``benchmark_results.json``: it has
    ``functionality_verification``) nearest above this file, within the run's folders."""
    found = ctx.find_near("benchmark_results.json", RUN_FOLDER_LEVELS)
    if found is None or not isinstance(found[1], dict) or "functionality_verification" not in found[1]:
        return None
    return found[1]


def names_of_enclosing_run(ctx: ImportContext, own_time: datetime | None) -> dict[str, str]:
    """The skill key -> model name map of the run_model_benchmarks run whose folder holds this
    file: the ``models`` map of the aggregate above it (``aggregate_beside``) when that run
    started no later than ``own_time`` (a run's reports are written after it starts), else the
    model set of the nearest ``benchmark_models.json`` (F5, in the ``benchmarks_<TS>`` folder
    the run writes) whose folder time is no later than ``own_time``. {} when neither is found."""
    if own_time is None:
        return {}
    f1 = aggregate_beside(ctx)
    if f1 is not None:
        started = nz.parse_time(f1.get("timestamp"))
        if started is not None and started <= own_time:
            return run_model_names(f1)
    found = ctx.find_near("benchmark_models.json", RUN_FOLDER_LEVELS)
    if found is not None:
        started = nz.time_from_path(os.path.dirname(found[0]))
        if started is not None and started <= own_time:
            return run_model_names({"models": found[1]})
    return {}


def hardware_seen(doc: Any) -> set[str]:
    """Canonical hardware types the document's own entries say they ran on (not the key an
    enclosing F1 file filed it under)."""
    found: set[str] = set()
    if not isinstance(doc, dict):
        return found
    items = doc.get("detailed_results")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("hardware"), str):
            found.add(hardware_of(item["hardware"])[0])
    results = doc.get("model_results")
    if isinstance(results, dict):
        for per_hw in results.values():
            if isinstance(per_hw, dict):
                found.update(hardware_of(h)[0] for h in per_hw)
    return found


def _mock_evidence(item: dict, spelling: str) -> str | None:
    """A log line that reports a mock for this hardware (``(MOCK) Using mock implementation for
    CPU CLAP``, ``cpu_handler: Success (MOCK)``) or for the test as a whole (a mock line naming
    no hardware: ``Detected mock implementation based on MagicMock check``): the test passed
    without the real model. Lines about other hardware's mocks say nothing about this one."""
    hw = hardware_of(spelling)[0]
    for stream in ("stdout", "stderr"):
        text = item.get(stream)
        if not isinstance(text, str):
            continue
        for line in text.splitlines():
            if not _MOCK_RE.search(line):
                continue
            named = nz.hardware_named(line)
            # a member of printed JSON (``"implementation_type": "(MOCK)",``) belongs to the
            # object around it, whose keys name the hardware: only its own words count
            if hw in named or (not named and not _JSON_MEMBER_RE.match(line)):
                return f"test output reports a mock: {line.strip()[:200]!r}"
    return None


def _error_text(item: dict) -> str | None:
    err = item.get("stderr")
    if isinstance(err, str) and err.strip():
        return err.strip()[-ERROR_TAIL:]
    rc = item.get("return_code")
    return f"return code {rc}" if nz.is_number(rc) else None


def convert_document(doc: Any, ctx: ImportContext, base: tuple = (),
                     extra_marks: dict[str, str] | None = None,
                     fallback_time: datetime | None = None,
                     models: dict[str, str] | None = None) -> Iterator[Record]:
    """CompatFacts of one F3 document: one per model x hardware, from ``detailed_results``
    (with return code and error), then any ``model_results`` pair not already covered.
    ``models``: the run's skill key -> model name map (``run_model_names``)."""
    if not isinstance(doc, dict):
        return
    run = run_info(doc, fallback_time, ctx)
    marks = {**simulated_marks(doc), **(extra_marks or {})}
    seen: set[tuple[str, str]] = set()
    details_list = doc.get("detailed_results")
    if isinstance(details_list, list):
        for i, item in enumerate(details_list):
            if not isinstance(item, dict) or not isinstance(item.get("model"), str):
                continue
            spelling = str_at(item, "hardware")
            if spelling is None:
                continue  # never guess the hardware from the enclosing key
            ok = item.get("success") if isinstance(item.get("success"), bool) else None
            fact = _fact(run, item["model"], spelling, ok, marks, ctx, (*base, "detailed_results", i), models)
            if ok is False:
                fact.error = _error_text(item)
            if ok is True:
                mock = _mock_evidence(item, spelling)
                if mock and not fact.is_simulated:
                    fact.is_simulated, fact.simulation_reason = True, mock
            rc = item.get("return_code")
            if nz.is_number(rc):
                fact.details["return_code"] = rc
            logs = "".join(x for x in (item.get("stdout"), item.get("stderr")) if isinstance(x, str))
            tested = _TESTED_RE.search(logs)
            if tested:
                fact.details["tested_model"] = tested.group(1)
            key = (fact.model_name, fact.hardware_type)
            if key in seen:
                continue
            seen.add(key)
            yield fact
    results = doc.get("model_results")
    if isinstance(results, dict):
        for model, per_hw in results.items():
            if not isinstance(per_hw, dict):
                continue
            for spelling, ok in per_hw.items():
                fact = _fact(run, model, spelling, ok if isinstance(ok, bool) else None, marks, ctx,
                             (*base, "model_results", model, spelling), models)
                key = (fact.model_name, fact.hardware_type)
                if key not in seen:
                    seen.add(key)
                    yield fact


def _fact(run: RunInfo, model: str, spelling: str, ok: bool | None, marks: dict[str, str],
          ctx: ImportContext, where: tuple, models: dict[str, str] | None) -> CompatFact:
    hw, device, mock = hardware_of(spelling)
    reason = f"hardware spelled {spelling!r} (mock)" if mock else marks.get(hw)
    named = (models or {}).get(model)
    return CompatFact(
        run=run, model_name=named or model, hardware_type=hw, device_name=device, compatible=ok,
        details={"skill_key": model} if named else {},
        status=None if ok is None else ("completed" if ok else "failed"),
        is_simulated=reason is not None, simulation_reason=reason,
        measured_at=run.started_at, provenance=ctx.prov(ptr(*where)),
    )


def looks_like_f3(doc: Any) -> bool:
    return shaped(doc, {"stats": dict, "model_results": dict, "detailed_results": list})


class ModelFunctionalityImporter(Importer, name="f03-model-functionality", formats=("F3",),
                                 keys={"stats", "model_results", "detailed_results"},
                                 required_keys={'stats', 'model_results', 'detailed_results'}):
    """model_functionality_<TS>.json: per model x hardware skill-test pass/fail"""

    def sniff(self, doc: Any) -> bool:
        return looks_like_f3(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        stats = doc.get("stats") if isinstance(doc.get("stats"), dict) else {}
        own_time = nz.parse_time(stats.get("timestamp")) or ctx.path_time
        records = list(convert_document(doc, ctx, fallback_time=ctx.path_time,
                                        models=names_of_enclosing_run(ctx, own_time)))
        if not records:
            raise SkipFile("model functionality report with no model x hardware results")
        yield from records


IMPORTERS = [ModelFunctionalityImporter()]
