"""Two small shapes of model tests the older scripts wrote.

- Simple model test ``{results {pipeline {success, model, error?}, from_pretrained {...}},
  metadata {model, timestamp}}``: did the model load through each method. One ``TestOutcome``
  per method (status from ``success``, error text verbatim).
- Per-hardware model test ``{model, tests {<hw>: {success?, status?, error?, inference_time (s),
  load_time (s), peak_memory_mb, ...}}, summary}``: one ``Result`` per hardware with its
  numbers (seconds -> ms through benchwh.normalize), failed with its error text when the entry
  says so (its numbers kept), and a ``TestOutcome`` per hardware.

Run: origin ``model_test``, started_at = ``metadata.timestamp``/``timestamp`` (else the name's
time), run_key = the model.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, ptr, shaped
from benchwh.legacy_import.f16_skill_common import fields_from_numbers, raw_numbers
from benchwh.legacy_import.fields import str_at
from benchwh.records import STATUS_COMPLETED, STATUS_FAILED, Record, Result, RunInfo, TestOutcome

_METHODS = ("pipeline", "from_pretrained")


def _status(entry: dict) -> tuple[str, str | None]:
    err = entry.get("error") if isinstance(entry.get("error"), str) and entry["error"].strip() else None
    ok = entry.get("success")
    if isinstance(ok, bool):
        return (STATUS_COMPLETED if ok else STATUS_FAILED), err
    st = nz.status(entry.get("status"))
    if st is not None:
        return st, err
    return (STATUS_FAILED if err else "unknown"), err


class SimpleModelTestImporter(Importer, name="f41-simple-model-test", formats=("F21",),
                              keys={"results", "metadata"}, required_keys={"results", "metadata"}):
    """simple model test {results{pipeline, from_pretrained}, metadata{model, timestamp}}"""

    def sniff(self, doc: Any) -> bool:
        if not shaped(doc, {"results": dict, "metadata": dict}, exact=True):
            return False
        res = doc["results"]
        return bool(res) and set(res) <= set(_METHODS) and all(isinstance(v, dict) for v in res.values())

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        meta = doc["metadata"]
        model = str_at(meta, "model")
        started = nz.parse_time(meta.get("timestamp")) or ctx.path_time
        run = RunInfo(origin="model_test", started_at=started, run_key=model)
        for method, entry in doc["results"].items():
            name = entry.get("model") if isinstance(entry.get("model"), str) else model
            st, err = _status(entry)
            yield TestOutcome(run=run, module=None, test_name=method, status=st, model_name=name, error=err,
                              measured_at=started, provenance=ctx.prov(ptr("results", method)))


class HardwareModelTestImporter(Importer, name="f41-hardware-model-test", formats=("F24",),
                                keys={"model", "tests", "summary"}, required_keys={"model", "tests"}):
    """per-hardware model test {model, tests{hw: {inference_time, peak_memory_mb, ...}}, summary}"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or not isinstance(doc.get("model"), str):
            return False
        tests = doc.get("tests")
        return (isinstance(tests, dict) and bool(tests) and all(isinstance(v, dict) for v in tests.values())
                and all(nz.hardware_type(k) is not None for k in tests))

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        model = doc["model"].strip()
        started = nz.parse_time(doc.get("timestamp")) or ctx.path_time
        run = RunInfo(origin="model_test", started_at=started, run_key=model,
                      metadata={"summary": doc["summary"]} if isinstance(doc.get("summary"), dict) else {})
        for spelling, entry in doc["tests"].items():
            hw, device, mock = nz.device(spelling)
            when = nz.parse_time(entry.get("timestamp")) or started
            st, err = _status(entry)
            sim = mock or nz.is_mock_text(entry.get("implementation_type"))
            where = ctx.prov(ptr("tests", spelling))
            yield TestOutcome(run=run, module=None, test_name=f"test_{hw}", status=st, model_name=model,
                              hardware_type=hw, error=err, measured_at=when, is_simulated=sim,
                              simulation_reason="marked mock" if sim else None, provenance=where)
            nums = raw_numbers({("memory_peak_mb" if k == "peak_memory_mb" else k): v for k, v in entry.items()})
            if nums or st == STATUS_FAILED:
                yield Result(run=run, model_name=model, hardware_type=hw or "unknown", device_name=device,
                             status=st if st in (STATUS_COMPLETED, STATUS_FAILED) else STATUS_COMPLETED,
                             error=err, measured_at=when, is_simulated=sim,
                             simulation_reason="marked mock" if sim else None, provenance=where,
                             **fields_from_numbers(nums))


IMPORTERS = [SimpleModelTestImporter(), HardwareModelTestImporter()]
