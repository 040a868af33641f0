"""F10 ``benchmark_<model_key>_<hw>_<TS>.json``, written by benchmark_hardware_models.py.

Shape: ``{model (display name), model_key, model_category, model_path, hardware (display name),
hardware_key, timestamp, batch_sizes {"<b>": {throughput, latency_ms, memory_usage_mb, success,
command}}, compatible}``.

The script never ran the ``command`` it records: its run_benchmark() fills each batch with a
stand-in formula (throughput = b*K, latency_ms = 10 + b*M, memory_usage_mb = 100 + b*N, with
(K, M, N) = (100, 2, 10) for cuda, (50, 10, 15) for cpu, (75, 5, 12) for every other platform).
Nothing in the file says so (``compatible`` is true, no simulation flag), so the numbers are
recognised by content: a batch whose numbers equal that formula is imported with
``is_simulated=True`` and a reason naming it. Numbers that do not fit it are imported as given.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.fields import clean_text, entry_failed, hardware_of
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo

ORIGIN = "benchmark_hardware_models"

# benchmark_hardware_models.py's stand-in constants: (throughput per item, latency ms per item,
# memory MB per item) on top of 10 ms and 100 MB.
_STAND_IN = {"cuda": (100.0, 2.0, 10.0), "cpu": (50.0, 10.0, 15.0)}
_STAND_IN_OTHER = (75.0, 5.0, 12.0)

_MAPPED = {"throughput", "latency_ms", "memory_usage_mb", "success", "command",
           "error_type", "error_message", "error_output"}


def stand_in_reason(hw: str, batch: int | None, throughput: float | None,
                    latency: float | None, memory: float | None) -> str | None:
    """The simulation reason when every given number equals the script's stand-in formula
    for this hardware and batch size (at least one number given), else None."""
    if batch is None:
        return None
    k, m, n = _STAND_IN.get(hw, _STAND_IN_OTHER)
    pairs = [(throughput, batch * k), (latency, 10 + batch * m), (memory, 100 + batch * n)]
    given = [(v, want) for v, want in pairs if v is not None]
    if not given or any(v != want for v, want in given):
        return None
    return (f"placeholder numbers: equal benchmark_hardware_models.py's stand-in formula for {hw} "
            f"(throughput={k:g}*b, latency_ms=10+{m:g}*b, memory_mb=100+{n:g}*b); "
            "the script never ran the benchmark command")


class ModelHardwareSummaryImporter(Importer, name="f10-model-hardware-summary", formats=("F10",),
                                   keys={"model", "model_key", "model_category", "model_path", "hardware",
                                   "hardware_key", "timestamp", "batch_sizes", "compatible"},
                                   required_keys={"hardware_key", "model_key", "batch_sizes"}):
    """benchmark_hardware_models.py: per model x hardware batch table (placeholder numbers)"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and "hardware_key" in doc and "model_key" in doc
                and "batch_sizes" in doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        """Reads one model x hardware file; yields a Result per batch (they carry the run)."""
        model = clean_text(doc.get("model_path")) or clean_text(doc.get("model")) or clean_text(doc.get("model_key"))
        batches = doc.get("batch_sizes")
        if model is None or not isinstance(batches, dict) or not batches:
            raise SkipFile("per-model hardware summary with no model or no batch entry")
        hw, device, mock = hardware_of(doc.get("hardware_key"), doc.get("hardware"))
        family = clean_text(doc.get("model_category"))
        started = nz.parse_time(doc.get("timestamp")) or ctx.path_time
        meta: dict[str, Any] = {k: doc[k] for k in ("model", "model_key", "hardware", "compatible")
                                if isinstance(doc.get(k), (str, bool))}
        commands = {str(b): e["command"] for b, e in batches.items()
                    if isinstance(e, dict) and isinstance(e.get("command"), str)}
        if commands:
            meta["commands"] = commands  # what would have been run, per batch size
        run = RunInfo(origin=ORIGIN, started_at=started, metadata=meta)
        for key, entry in batches.items():
            if not isinstance(entry, dict):
                continue
            batch = nz.to_int(key)
            res = Result(
                run=run, model_name=model, model_family=family,
                modality=nz.modality(None, family), hardware_type=hw, device_name=device,
                batch_size=batch, measured_at=started,
                provenance=ctx.prov(ptr("batch_sizes", key)),
            )
            if entry_failed(entry):
                parts = [clean_text(entry.get(k)) for k in ("error_type", "error_message", "error_output", "error")]
                res.status, res.error = STATUS_FAILED, ": ".join(p for p in parts if p) or None
            else:
                res.throughput_items_per_s = nz.to_float(entry.get("throughput"))
                res.latency_ms_mean = nz.to_float(entry.get("latency_ms"))
                res.memory_peak_mb = nz.to_float(entry.get("memory_usage_mb"))
                res.metrics = {k: float(v) for k, v in entry.items() if k not in _MAPPED and nz.is_number(v)}
                reason = stand_in_reason(hw, batch, res.throughput_items_per_s,
                                         res.latency_ms_mean, res.memory_peak_mb)
                if reason:
                    res.is_simulated, res.simulation_reason = True, reason
            if mock and not res.is_simulated:
                res.is_simulated, res.simulation_reason = True, f"hardware spelled {mock!r}"
            yield res


IMPORTERS = [ModelHardwareSummaryImporter()]
