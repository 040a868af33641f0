"""F24: ``hardware_test_results/<model>_<hw>_test.json``, one model tested on hardware.

Shape: ``{results {<hw>: {init, handler_created, execution_time, output_type,
implementation_type (REAL_CPU...), success, ...}}, examples [{platform, input, output_type,
implementation_type, execution_time, timestamp}], metadata {model_id, model_path, model_config,
timestamp}}``.

Each ``results`` hardware entry -> one ``TestOutcome`` (test_name = the hardware key, status from
``success``, the init/handler status strings in details). Each example -> one ``Result`` with
``execution_time`` (seconds, one timed handler call) as latency_ms_mean (one call: no iterations
claimed); an example without a time yields none. When ``results[hw]`` times the same call as
its example (equal ``execution_time``) it is not repeated; a ``results`` entry with a time but
no example gets its own Result. implementation_type MOCK or a ``(mock)`` platform ->
is_simulated. model_name = ``metadata.model_id`` (else ``model_path``); times = the example's
``timestamp``, else ``metadata.timestamp``. Run: origin ``hardware_test``, started_at =
``metadata.timestamp``, run_key = the model.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.fields import str_at
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo, TestOutcome


def _sim(impl: Any, platform: Any) -> str | None:
    if nz.is_mock_text(impl):
        return "implementation_type MOCK"
    if nz.hardware(platform)[1]:
        return "platform marked (mock)"
    return None


class HardwareTestImporter(Importer, name="f24-hardware-test", formats=("F24",),
                           keys={"results", "examples", "metadata"}, required_keys={'metadata', 'results'}):
    """hardware_test_results {results{hw: {success, execution_time}}, examples[], metadata{model_id}}"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or set(doc) - {"results", "examples", "metadata"}:
            return False
        meta, res = doc.get("metadata"), doc.get("results")
        return isinstance(meta, dict) and isinstance(res, dict) and ("model_id" in meta or "model_path" in meta)

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        meta = doc["metadata"]
        model = next((m.strip() for m in (meta.get("model_id"), meta.get("model_path"))
                      if isinstance(m, str) and m.strip()), None)
        if model is None:
            raise SkipFile("hardware test result names no model (metadata.model_id/model_path)")
        started = nz.parse_time(meta.get("timestamp")) or ctx.path_time
        cfg = meta.get("model_config")
        run = RunInfo(origin="hardware_test", started_at=started, run_key=model,
                      metadata={"model_config": cfg} if isinstance(cfg, dict) else {})
        timed: dict[str, set[float]] = {}
        examples = doc.get("examples") if isinstance(doc.get("examples"), list) else []
        for i, ex in enumerate(examples):
            if not isinstance(ex, dict):
                continue
            hw = nz.hardware_type(ex.get("platform")) or nz.hardware_type(ex.get("implementation_type"))
            t = nz.to_float(ex.get("execution_time"))
            if t is None:
                continue
            timed.setdefault(hw or "unknown", set()).add(t)
            sim = _sim(ex.get("implementation_type"), ex.get("platform"))
            yield Result(run=run, model_name=model, hardware_type=hw or "unknown", latency_ms_mean=nz.s_to_ms(t),
                         measured_at=nz.parse_time(ex.get("timestamp")) or started,
                         is_simulated=sim is not None, simulation_reason=sim,
                         provenance=ctx.prov(ptr("examples", i)))
        for hw_key, entry in doc["results"].items():
            if not isinstance(entry, dict) or not isinstance(hw_key, str):
                continue
            hw = nz.hardware_type(hw_key) or nz.hardware_type(entry.get("implementation_type")) or "unknown"
            ok = entry.get("success") if isinstance(entry.get("success"), bool) else None
            error = str_at(entry, "error")
            sim = _sim(entry.get("implementation_type"), hw_key)
            details = {k: v for k, v in entry.items() if k in ("init", "handler_created", "implementation_type")}
            yield TestOutcome(run=run, module=None, test_name=hw_key,
                              status="unknown" if ok is None else ("completed" if ok else STATUS_FAILED),
                              model_name=model, hardware_type=hw, error=error, details=details,
                              is_simulated=sim is not None, simulation_reason=sim, measured_at=started,
                              provenance=ctx.prov(ptr("results", hw_key)))
            t = nz.to_float(entry.get("execution_time"))
            if ok is False:
                yield Result(run=run, model_name=model, hardware_type=hw, status=STATUS_FAILED,
                             error=error or "test reported success: false", measured_at=started,
                             is_simulated=sim is not None, simulation_reason=sim,
                             provenance=ctx.prov(ptr("results", hw_key)))
            elif t is not None and t not in timed.get(hw, set()):
                yield Result(run=run, model_name=model, hardware_type=hw, latency_ms_mean=nz.s_to_ms(t),
                             measured_at=started, is_simulated=sim is not None, simulation_reason=sim,
                             provenance=ctx.prov(ptr("results", hw_key)))


IMPORTERS = [HardwareTestImporter()]
