"""The flat converter tables and the pre-DuckDB Parquet store -> benchwh records.

Flat family (benchmark_db_converter.py; DuckDB tables or its Parquet export):
``benchmark_performance`` rows name model/hardware/device as text, with every metric the source
lacked written as 0 and every name it lacked as ``'unknown'``. A 0 becomes None; a row whose
metrics are all 0 is flagged zero-filled; a row whose model is ``'unknown'`` is refused.
``source_file`` names the JSON file the converter read: it is the row's run, and a time in that
name is the run's start. Latencies are carried as milliseconds, the unit of the star schema the
converter fed (its ``latency_avg`` column has no unit of its own). ``benchmark_compatibility``
rows become compatibility facts; ``benchmark_hardware`` (device inventory) has no benchwh table.

Parquet store (archived benchmark_database.py, 34 flat fields): latencies in seconds -> ms,
memory in bytes -> MiB. Rows its generator marked as sample data (``metadata.notes``/``tags``,
``sample-model-N``, ``sample-hardware-N``) are flagged synthetic. Its index file repeats a few
columns of the data file and holds no measurement.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.records import TRAINING, INFERENCE, CompatFact, Result
from benchwh.legacy_import.adopt_base import (
    Ctx, Table, count, measured, named_subject, note_zeros, plain, text, when,
)

R_INVENTORY = "hardware inventory row: benchwh keeps no device-availability table"
R_SYNTHETIC = "synthetic sample row written by the store's test-data generator"
R_INDEX = "index entry: holds no measurement (the measurements are in the store's data file)"

_FLAT_METRICS = {"throughput": "throughput_items_per_s", "latency_avg": "latency_ms_mean",
                 "latency_p90": "latency_ms_p90", "latency_p95": "latency_ms_p95",
                 "latency_p99": "latency_ms_p99", "memory_peak": "memory_peak_mb"}


def flat_records(tables: dict[str, Table], ctx: Ctx) -> Iterator[Any]:
    yield from _flat_performance(tables.get("benchmark_performance"), ctx)
    yield from _flat_compat(tables.get("benchmark_compatibility"), ctx)
    inv = tables.get("benchmark_hardware")
    if inv is not None:
        ctx.ledger.refuse("benchmark_hardware", R_INVENTORY, len(inv.rows))


def _flat_run(ctx: Ctx, source_file: Any):
    src = text(source_file)
    if src is None:
        return ctx.run("flat", None, f"no source file @{ctx.sha256[:16]}")
    return ctx.run("flat", nz.time_from_path(src), src, metadata={"legacy_source_file": src})


def _pointer(row: dict, i: int) -> Any:
    return row.get("id") if row.get("id") is not None else i


def _flat_performance(table: Table | None, ctx: Ctx) -> Iterator[Result]:
    if table is None:
        return
    L = ctx.ledger
    for i, row in enumerate(table.rows):
        vals = {f: measured(row.get(col)) for col, f in _FLAT_METRICS.items()}
        subject = named_subject(L, table.name, row, "model", "hardware",
                                empty=all(v is None for v in vals.values()))
        if subject is None:
            continue
        model, hw, device, mock = subject
        dev_text = text(row.get("device"))
        note_zeros(ctx, row, _FLAT_METRICS)
        L.carry(table.name)
        yield Result(
            run=_flat_run(ctx, row.get("source_file")), model_name=model, hardware_type=hw,
            device_name=dev_text or device, batch_size=nz.to_int(row.get("batch_size")),
            precision=nz.precision(row.get("precision")),
            metrics={"notes": row["notes"]} if text(row.get("notes")) else {},
            is_simulated=mock, simulation_reason="hardware spelled as mock in the legacy row" if mock else None,
            measured_at=when(row.get("timestamp")), provenance=ctx.prov(table.name, _pointer(row, i)),
            **vals,
        )


def _flat_compat(table: Table | None, ctx: Ctx) -> Iterator[CompatFact]:
    if table is None:
        return
    L = ctx.ledger
    for i, row in enumerate(table.rows):
        subject = named_subject(L, table.name, row, "model", "hardware_type")
        if subject is None:
            continue
        model, hw, device, mock = subject
        ok = row.get("is_compatible")
        details = {k: plain(row.get(k)) for k in ("compatibility_level", "error_type") if text(row.get(k))}
        for col in ("memory_required", "memory_available"):
            v = measured(row.get(col))
            if v is not None:
                details[col] = v
        L.carry(table.name)
        yield CompatFact(
            run=_flat_run(ctx, row.get("source_file")), model_name=model, hardware_type=hw,
            device_name=device, compatible=None if ok is None else bool(ok),
            status=None if ok is None else ("completed" if ok else "failed"),
            error=text(row.get("error_message")), details=details, is_simulated=mock,
            simulation_reason="hardware spelled as mock in the legacy row" if mock else None,
            measured_at=when(row.get("timestamp")), provenance=ctx.prov(table.name, _pointer(row, i)),
        )


# --- the Parquet store --------------------------------------------------------------------

_STORE_LATENCY = {"avg_latency": "latency_ms_mean", "p50_latency": "latency_ms_p50",
                  "p90_latency": "latency_ms_p90", "p99_latency": "latency_ms_p99",
                  "min_latency": "latency_ms_min", "max_latency": "latency_ms_max",
                  "std_latency": "latency_ms_std"}
_STORE_ZEROS = {**_STORE_LATENCY, "throughput": "throughput_items_per_s", "peak_memory_usage": "memory_peak_mb"}


def _synthetic(row: dict) -> bool:
    meta = row.get("metadata")
    if isinstance(meta, dict):
        tags = meta.get("tags") or []
        if "sample" in [str(t).lower() for t in tags] or "sample" in str(meta.get("notes") or "").lower():
            return True
    return (str(row.get("model_name") or "").startswith("sample-model-")
            or str(row.get("hardware_name") or "").startswith("sample-hardware-"))


def store_records(tables: dict[str, Table], ctx: Ctx) -> Iterator[Result]:
    table = tables.get("benchmark_data")
    if table is None:
        return
    L = ctx.ledger
    for i, row in enumerate(table.rows):
        if _synthetic(row):
            L.flag(table.name, R_SYNTHETIC)
            continue
        vals: dict[str, Any] = {f: measured(row.get(col), nz.s_to_ms) for col, f in _STORE_LATENCY.items()}
        vals["throughput_items_per_s"] = measured(row.get("throughput"))
        vals["memory_peak_mb"] = measured(row.get("peak_memory_usage"), nz.bytes_to_mib)
        extra = {
            "memory_avg_mb": measured(row.get("avg_memory_usage"), nz.bytes_to_mib),
            "memory_utilization": measured(row.get("memory_utilization")),
            "samples_per_second": measured(row.get("samples_per_second")),
            "gradient_computation_time_ms": measured(row.get("gradient_computation_time"), nz.s_to_ms),
        }
        status = nz.status(row.get("status")) or "completed"
        empty = all(v is None for v in vals.values()) and status == "completed" and extra["samples_per_second"] is None
        subject = named_subject(L, table.name, row, "model_name", "hardware_type", empty=empty)
        if subject is None:
            continue
        model, hw, device, mock = subject
        metrics = {k: v for k, v in extra.items() if v is not None}
        for col in ("model_size", "model_parameters", "hardware_memory", "hardware_compute_units"):
            if row.get(col) not in (None, "", 0):
                metrics[col] = plain(row[col])
        meta = row.get("metadata")
        if isinstance(meta, dict) and any(meta.values()):
            metrics["legacy_metadata"] = {k: plain(v) for k, v in meta.items()}
        family = text(row.get("model_family"))
        measured_at = when(row.get("timestamp"))
        bid = text(row.get("benchmark_id"))
        run = ctx.run("parquet-store", measured_at, bid or f"row {i} @{ctx.sha256[:16]}",
                      metadata={"schema_version": row["version"]} if text(row.get("version")) else {})
        test_type = str(row.get("test_type") or "").lower()
        note_zeros(ctx, row, _STORE_ZEROS)
        L.carry(table.name)
        yield Result(
            run=run, model_name=model, model_family=family,
            modality=nz.modality(text(row.get("model_modality")), family),
            hardware_type=hw, device_name=text(row.get("hardware_name")) or device,
            mode=TRAINING if test_type == "training" else INFERENCE,
            batch_size=nz.to_int(row.get("batch_size")), sequence_length=count(row.get("sequence_length")),
            precision=nz.precision(row.get("precision")), status=status, error=text(row.get("error")),
            iterations=count(row.get("benchmark_iterations")), warmup_iterations=count(row.get("warmup_iterations")),
            metrics=metrics, is_simulated=mock,
            simulation_reason="hardware spelled as mock in the legacy row" if mock else None,
            measured_at=measured_at, provenance=ctx.prov(table.name, bid or i), **vals,
        )


def index_records(tables: dict[str, Table], ctx: Ctx) -> Iterator[Result]:
    table = tables.get("benchmark_index")
    if table is not None:
        ctx.ledger.refuse(table.name, R_INDEX, len(table.rows))
    return iter(())
