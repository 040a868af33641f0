"""F25: real-vs-simulated test record ``real_vs_sim_results/<model>_<hw>_test.json``.

Shape: ``{model, platform, timestamp, success, execution_time, error, traceback,
total_execution_time}``.

-> one ``TestOutcome`` (test_name ``<model> on <platform>``, status from ``success``, duration_s =
``total_execution_time`` (s, the whole test), error = ``error``) and one ``CompatFact`` for the
model on that hardware. ``success: true`` -> compatible True. ``success: false`` -> compatible
None (unknown), status 'failed' and the error: a failed test run does not show the model cannot
run there (every corpus failure is the harness' own TypeError before the model was touched).
``execution_time`` is the model's run time only when the test succeeded; a failed record's
``execution_time: 0`` means "never ran", so it is not kept (never a 0 that was not measured).
Nothing in the record says whether it ran on real or simulated hardware: is_simulated stays
False (the folder name is not evidence). Run: origin ``single_model_hardware_test``,
started_at = ``timestamp``, run_key = ``<model>/<platform>``.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.records import CompatFact, Record, RunInfo, TestOutcome


class RealVsSimImporter(Importer, name="f25-real-vs-sim", formats=("F25",), keys={"model", "platform",
                        "timestamp", "success", "execution_time", "error", "traceback",
                        "total_execution_time"}, required_keys={'model', 'platform', 'success'}):
    """real-vs-simulated test record {model, platform, success, error, traceback, execution_time}"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and {"model", "platform", "success"} <= set(doc)
                and ("traceback" in doc or "total_execution_time" in doc))

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        model, platform = doc.get("model"), doc.get("platform")
        if not isinstance(model, str) or not model.strip():
            raise SkipFile("real-vs-sim record names no model")
        hw, mock = nz.hardware(platform)
        when = nz.parse_time(doc.get("timestamp")) or ctx.path_time
        ok = doc.get("success") if isinstance(doc.get("success"), bool) else None
        error = doc.get("error") if isinstance(doc.get("error"), str) and doc["error"].strip() else None
        run = RunInfo(origin="single_model_hardware_test", started_at=when, run_key=f"{model}/{platform}")
        status = "unknown" if ok is None else ("completed" if ok else "failed")
        details: dict[str, Any] = {}
        if ok and nz.to_float(doc.get("execution_time")) is not None:
            details["execution_time_s"] = nz.to_float(doc.get("execution_time"))
        sim = "platform marked (mock)" if mock else None
        device = platform if isinstance(platform, str) and hw is None else None
        yield TestOutcome(run=run, module=None, test_name=f"{model} on {platform}", status=status,
                          model_name=model, hardware_type=hw or "unknown", duration_s=nz.to_float(
                              doc.get("total_execution_time")), error=error, details=details,
                          is_simulated=mock, simulation_reason=sim, measured_at=when, provenance=ctx.prov(ptr()))
        yield CompatFact(run=run, model_name=model, hardware_type=hw or "unknown", device_name=device,
                         compatible=True if ok else None, status=status, error=error,
                         is_simulated=mock, simulation_reason=sim, measured_at=when, provenance=ctx.prov(ptr()))


IMPORTERS = [RealVsSimImporter()]
