"""F8 ``direct_benchmark_<org>_<model>_<hw>_<TS>.json``, written by run_direct_benchmark.py.

Shape: ``{model, hardware, success, timestamp, batch_results {"<b>": {success, batch_size,
avg_latency_ms, throughput_items_per_second, memory_mb, latencies_ms [...], device, timestamp}
| {success: false, error}}}``. Units are already ms, MiB (the script's ``memory_mb``) and items/s.

``convert_direct_doc`` is also what the F9 importer calls on the F8 document it embeds under
``results.<model>.benchmark_data``, so one measurement read through either file is one record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, SkipFile, ptr, shaped
from benchwh.legacy_import.fields import clean_text, entry_failed, hardware_of
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo

ORIGIN = "run_direct_benchmark"

# Keys of a batch entry that are not measurements (or are mapped to Result columns).
_MAPPED = {
    "success", "batch_size", "device", "timestamp", "error",
    "avg_latency_ms", "latencies_ms", "throughput_items_per_second", "memory_mb",
}


def direct_run(doc: dict, file_time: datetime | None) -> RunInfo:
    """The run of run_direct_benchmark.py that wrote ``doc``: identified by its ``timestamp``
    (else the time in its file name)."""
    meta = {"success": doc["success"]} if isinstance(doc.get("success"), bool) else {}
    return RunInfo(origin=ORIGIN, started_at=nz.parse_time(doc.get("timestamp")) or file_time,
                   metadata=meta)


def convert_direct_doc(doc: dict, ctx: ImportContext, prefix: tuple = (),
                       file_time: datetime | None = None,
                       model_fallback: str | None = None) -> Iterator[Record]:
    """Results of one F8 document (standalone, or embedded at JSON path ``prefix``).

    Reads ``doc`` only; ``file_time`` is the time in the F8 file's name (the fallback for a
    missing timestamp). One Result per batch entry: measured numbers as given, a failed entry
    as ``status='failed'`` with its error and no metrics. Yields nothing for an empty document.
    """
    model = clean_text(doc.get("model")) or model_fallback
    if model is None:
        return
    run = direct_run(doc, file_time)
    run_time = run.started_at
    entries = doc.get("batch_results")
    entries = entries if isinstance(entries, dict) else {}
    yielded = False
    for key, entry in entries.items():
        if not isinstance(entry, dict):
            continue
        hw, device, mock = hardware_of(doc.get("hardware"), entry.get("device"))
        batch = nz.to_int(entry.get("batch_size"))
        if batch is None:
            batch = nz.to_int(key)
        res = Result(
            run=run, model_name=model, hardware_type=hw, device_name=device, batch_size=batch,
            measured_at=nz.parse_time(entry.get("timestamp")) or run_time,
            is_simulated=mock is not None,
            simulation_reason=f"hardware spelled {mock!r}" if mock else None,
            provenance=ctx.prov(ptr(*prefix, "batch_results", key)),
        )
        if entry_failed(entry):
            res.status, res.error = STATUS_FAILED, clean_text(entry.get("error"))
        else:
            res.latency_ms_mean = nz.to_float(entry.get("avg_latency_ms"))
            res.latency_samples_ms = nz.samples_ms(entry.get("latencies_ms"))
            res.throughput_items_per_s = nz.to_float(entry.get("throughput_items_per_second"))
            res.memory_peak_mb = nz.to_float(entry.get("memory_mb"))
            # Anything else the script measured is kept, never dropped.
            res.metrics = {k: float(v) for k, v in entry.items() if k not in _MAPPED and nz.is_number(v)}
        yielded = True
        yield res
    if not yielded and doc.get("success") is False:
        # The whole run failed before any batch: one failed attempt for the model.
        hw, device, mock = hardware_of(doc.get("hardware"))
        yield Result(run=run, model_name=model, hardware_type=hw, device_name=device,
                     status=STATUS_FAILED, error=clean_text(doc.get("error")), measured_at=run_time,
                     is_simulated=mock is not None,
                     simulation_reason=f"hardware spelled {mock!r}" if mock else None,
                     provenance=ctx.prov(ptr(*prefix) if prefix else None))


class DirectBenchmarkImporter(Importer, name="f08-direct-benchmark", formats=("F8",),
                              keys={"model", "hardware", "success", "timestamp", "batch_results"},
                              required_keys={"batch_results"}):
    """run_direct_benchmark.py: per-batch latency (ms), throughput, memory of one model"""

    def sniff(self, doc: Any) -> bool:
        return shaped(doc, {"batch_results": dict}) and ("model" in doc or "hardware" in doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        records = list(convert_direct_doc(doc, ctx, file_time=ctx.path_time))
        if records:
            yield from records
        elif clean_text(doc.get("model")) is None:
            raise Quarantine("direct benchmark file without a model name: its results cannot be attributed")
        else:
            raise SkipFile("direct benchmark file with no batch result")


IMPORTERS = [DirectBenchmarkImporter()]
