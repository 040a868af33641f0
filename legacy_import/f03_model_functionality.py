"""F3: ``model_functionality_<TS>.json`` from verify_model_functionality (run by
run_model_benchmarks.py): ``{stats {timestamp, hardware_platforms, ...}, model_results {model:
{hw: bool}}, detailed_results [{model, hardware, success, return_code, stdout, stderr}]}``.

Compatibility facts only: did the skill test for a model run on that hardware. The model is
named by its skill key (``bert``, ``clap``: the test file ``test_hf_<key>.py``), which is all
the file says; the model the test actually loaded appears only in its log (``Testing model:
Qwen/Qwen2-7B-Instruct``) and is kept in ``details['tested_model']`` when present. F1 embeds
these documents under ``functionality_verification`` and calls :func:`convert_document`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.f06_hardware_benchmark import hw_fields, simulated_marks, undated_key
from benchwh.records import CompatFact, Record, RunInfo

ORIGIN = "verify_model_functionality"
ERROR_TAIL = 2000  # chars of stderr kept as the error (the exception sits at the end)

_TESTED_RE = re.compile(r"Testing model: (\S+)")
_MOCK_RE = re.compile(r"\bmock\b", re.IGNORECASE)


def run_info(doc: dict, fallback_time: datetime | None, ctx: ImportContext) -> RunInfo:
    """The verification run, started at ``stats.timestamp`` (the file name's time)."""
    stats = doc.get("stats") if isinstance(doc.get("stats"), dict) else {}
    started = nz.parse_time(stats.get("timestamp")) or fallback_time
    meta = {"stats": stats} if stats else {}
    return RunInfo(origin=ORIGIN, started_at=started, run_key=undated_key(started, ctx), metadata=meta)


def hardware_of(doc: Any) -> set[str]:
    """Canonical hardware types the document's own entries say they ran on (not the key an
    enclosing F1 file filed it under)."""
    found: set[str] = set()
    if not isinstance(doc, dict):
        return found
    items = doc.get("detailed_results")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("hardware"), str):
            found.add(hw_fields(item["hardware"])[0])
    results = doc.get("model_results")
    if isinstance(results, dict):
        for per_hw in results.values():
            if isinstance(per_hw, dict):
                found.update(hw_fields(h)[0] for h in per_hw)
    return found


def _mock_evidence(item: dict, spelling: str) -> str | None:
    """A log line that reports a mock for this hardware (``(MOCK) Using mock implementation for
    CPU CLAP``, ``cpu_handler: Success (MOCK)``): the test passed without the real model."""
    word = spelling.strip().lower()
    for stream in ("stdout", "stderr"):
        text = item.get(stream)
        if not isinstance(text, str):
            continue
        for line in text.splitlines():
            if _MOCK_RE.search(line) and word and word in line.lower():
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
                     fallback_time: datetime | None = None) -> Iterator[Record]:
    """CompatFacts of one F3 document: one per model x hardware, from ``detailed_results``
    (with return code and error), then any ``model_results`` pair not already covered."""
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
            spelling = item.get("hardware") if isinstance(item.get("hardware"), str) else None
            if spelling is None:
                continue  # never guess the hardware from the enclosing key
            ok = item.get("success") if isinstance(item.get("success"), bool) else None
            fact = _fact(run, item["model"], spelling, ok, marks, ctx, (*base, "detailed_results", i))
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
                             (*base, "model_results", model, spelling))
                key = (fact.model_name, fact.hardware_type)
                if key not in seen:
                    seen.add(key)
                    yield fact


def _fact(run: RunInfo, model: str, spelling: str, ok: bool | None, marks: dict[str, str],
          ctx: ImportContext, where: tuple) -> CompatFact:
    hw, device, mock = hw_fields(spelling)
    reason = f"hardware spelled {spelling!r} (mock)" if mock else marks.get(hw)
    return CompatFact(
        run=run, model_name=model, hardware_type=hw, device_name=device, compatible=ok,
        status=None if ok is None else ("completed" if ok else "failed"),
        is_simulated=reason is not None, simulation_reason=reason,
        measured_at=run.started_at, provenance=ctx.prov(ptr(*where)),
    )


def looks_like_f3(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("stats"), dict)
            and isinstance(doc.get("model_results"), dict)
            and isinstance(doc.get("detailed_results"), list))


class ModelFunctionalityImporter(Importer):
    name = "f03-model-functionality"
    formats = ("F3",)
    description = "model_functionality_<TS>.json: per model x hardware skill-test pass/fail"
    keys = frozenset({"stats", "model_results", "detailed_results"})

    required_keys = frozenset({'stats', 'model_results', 'detailed_results'})  # registry prefilter; sniff decides

    def sniff(self, doc: Any) -> bool:
        return looks_like_f3(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        records = list(convert_document(doc, ctx, fallback_time=ctx.path_time))
        if not records:
            raise SkipFile("model functionality report with no model x hardware results")
        yield from records


IMPORTERS = [ModelFunctionalityImporter()]
