"""F29 ``test_data/performance_results/<model>_<hw>_test.json``: rows already in the legacy
warehouse's column names.

Shape: a list of ``{model_name, model_family, modality, hardware_type, device_name, batch_size,
precision, test_case, total_time_seconds, average_latency_ms, throughput_items_per_second,
memory_peak_mb, iterations, warmup_iterations, metrics {...}, [timestamp], [run_id]}``.

A row list whose every row carries its own time (``timestamp``/``measured_at``/``created_at``)
and whose numbers agree with each other is a list of measurements: one Result per row (units
as the column names say: ms, items/s, MiB; ``total_time_seconds`` kept in metrics), one run per
``run_id``/``test_run_id`` (started at its first row's time). A list is skipped only on evidence
inside it, and the reason says which: rows with no time (nothing ties them to a moment or a run:
the legacy converter's own test fixtures are such lists), or a row whose iterations x latency
is far (10x) from its own total time (100 iterations of 19.1 ms are 1.9 s, not 152.8 s).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, SkipFile, ptr
from benchwh.legacy_import.fields import clean_text, hardware_of
from benchwh.records import Record, Result, RunInfo

ORIGIN = "legacy_performance_rows"
_ROW_METRICS = ("average_latency_ms", "throughput_items_per_second", "memory_peak_mb",
                "total_time_seconds")
_TIME_KEYS = ("timestamp", "measured_at", "created_at")
_RUN_KEYS = ("run_id", "test_run_id")
_MAPPED = {"model_name", "model_family", "modality", "hardware_type", "device_name", "batch_size",
           "precision", "test_case", "average_latency_ms", "throughput_items_per_second",
           "memory_peak_mb", "iterations", "warmup_iterations", "metrics", "status", "error",
           "is_simulated", "git_commit", *_TIME_KEYS, *_RUN_KEYS}


def row_time(row: dict) -> datetime | None:
    return next((t for t in (nz.parse_time(row.get(k)) for k in _TIME_KEYS) if t is not None), None)


def _contradiction(rows: list) -> str | None:
    """Text for the first row whose iterations x latency is far (10x) from its total time."""
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        n = nz.to_int(row.get("iterations"))
        lat = nz.ms(row.get("average_latency_ms"))
        total = nz.s_to_ms(row.get("total_time_seconds"))
        if n and lat and total and not (0.1 <= n * lat / total <= 10.0):
            return (f"row {i}: {n} iterations x {lat:g} ms = {n * lat:.4g} ms, "
                    f"but total_time_seconds is {row.get('total_time_seconds')}")
    return None


def _evidence_against(rows: list) -> list[str]:
    """Why the rows are not measurements, from what they hold; [] when nothing says so."""
    evidence = []
    untimed = sum(1 for r in rows if not isinstance(r, dict) or row_time(r) is None)
    if untimed:
        evidence.append("no row carries a time or a run" if untimed == len(rows)
                        else f"{untimed} of {len(rows)} rows carry no time")
    clash = _contradiction(rows)
    if clash:
        evidence.append(clash)
    return evidence


def _result(row: dict, i: int, runs: dict[str | None, RunInfo], ctx: ImportContext) -> Result:
    hw, device, mock = hardware_of(row.get("hardware_type"), row.get("device_name"))
    family = clean_text(row.get("model_family"))
    metrics = {k: float(v) for k, v in (row.get("metrics") or {}).items() if nz.is_number(v)} \
        if isinstance(row.get("metrics"), dict) else {}
    metrics.update({k: float(v) for k, v in row.items() if k not in _MAPPED and nz.is_number(v)})
    if "total_time_seconds" in metrics:
        metrics["total_time_s"] = metrics.pop("total_time_seconds")
    reason = f"hardware spelled {mock!r}" if mock else ("is_simulated: true" if row.get("is_simulated") is True
                                                         else None)
    st = nz.status(row.get("status")) or "completed"
    return Result(
        run=runs[_run_key(row)], model_name=clean_text(row.get("model_name")), hardware_type=hw,
        device_name=device, model_family=family, modality=nz.modality(row.get("modality"), family),
        scenario=clean_text(row.get("test_case")), batch_size=nz.to_int(row.get("batch_size")),
        precision=nz.precision(row.get("precision")), status=st, error=clean_text(row.get("error")),
        latency_ms_mean=nz.ms(row.get("average_latency_ms")),
        throughput_items_per_s=nz.to_float(row.get("throughput_items_per_second")),
        memory_peak_mb=nz.to_float(row.get("memory_peak_mb")),
        iterations=nz.to_int(row.get("iterations")), warmup_iterations=nz.to_int(row.get("warmup_iterations")),
        metrics=metrics, is_simulated=reason is not None, simulation_reason=reason,
        measured_at=row_time(row), provenance=ctx.prov(ptr(i)),
    )


def _run_key(row: dict) -> str | None:
    return next((str(row[k]) for k in _RUN_KEYS if clean_text(row.get(k)) or nz.is_number(row.get(k))), None)


class SchemaRowsImporter(Importer, name="f29-schema-rows", formats=("F29",), keys={"model_name",
                         "model_family", "modality", "hardware_type", "device_name", "batch_size",
                         "precision", "test_case", "total_time_seconds", "average_latency_ms",
                         "throughput_items_per_second", "memory_peak_mb", "iterations", "warmup_iterations",
                         "metrics"}):
    """rows in the legacy warehouse's column names: measurements when each carries its time"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
            return False
        first = doc[0]
        return ("model_name" in first and "hardware_type" in first
                and any(k in first for k in _ROW_METRICS))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        evidence = _evidence_against(doc)
        if evidence:
            raise SkipFile(f"row list of {len(doc)} rows, not measurements: " + "; ".join(evidence))
        runs: dict[str | None, RunInfo] = {}
        for row in sorted(doc, key=row_time):
            key = _run_key(row)
            if key not in runs:
                runs[key] = RunInfo(origin=ORIGIN, started_at=row_time(row), run_key=key,
                                    git_commit=clean_text(row.get("git_commit")))
        unnamed = [i for i, row in enumerate(doc) if clean_text(row.get("model_name")) is None]
        if unnamed:
            raise Quarantine(f"rows {unnamed[:5]} name no model: their numbers cannot be attributed")
        for i, row in enumerate(doc):
            yield _result(row, i, runs, ctx)


IMPORTERS = [SchemaRowsImporter()]
