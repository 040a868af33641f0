"""F6: ``benchmark_results.json`` written by hardware_benchmark_runner.py (run by
run_benchmark_suite.py, itself run by run_model_benchmarks.py).

Shape: ``{timestamp, system_info, hardware_info, [hardware_details], benchmarks {family:
{model: {hw: {status, model_class, benchmark_results {<config>: {...}}, timestamp,
model_load_time, performance_summary}}}}}``. Config keys are ``batch_<b>_seq_<s>``,
``batch_<b>_audio_<n>s``, ``batch_<b>_img_<H>x<W>`` or ``batch_<b>``; every config carries its
own status, and a model entry may say ``completed`` while all its configs failed.

Units in the file: seconds for ``avg_latency``, ``latencies``, ``total_time`` and
``model_load_time``; items/s for ``throughput``. ``performance_summary`` is a min/max/mean/median
over the configs' averages (derived): kept in each config result's ``metrics`` as
``model_summary`` (latency in ms, throughput in items/s), never as a result of its own; its
``memory`` is always ``{}``. A failed config keeps the timings the run recorded for it (the
model's load time, any latency it reported) beside its error.

F1 embeds whole F6 documents and calls :func:`convert_document` on them, so the records are
identical to the standalone file's.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr, shaped
from benchwh.legacy_import.fields import entry_simulation, hardware_of, simulated_marks, status_failed, str_at, undated_key
from benchwh.records import STATUS_COMPLETED, STATUS_FAILED, Record, Result, RunInfo, RunMeta

ORIGIN = "hardware_benchmark_runner"


# Keys of one config entry that map onto Result columns; everything else goes to metrics.
_CONFIG_KNOWN = {"status", "error", "latencies", "avg_latency", "throughput", "iterations", "total_time"}


# --- F6 conversion -----------------------------------------------------------------------

def run_info(doc: dict, fallback_time: datetime | None, ctx: ImportContext) -> RunInfo:
    """The hardware_benchmark_runner run: started at the document's ``timestamp``; host,
    Python and library versions from ``system_info``; ``hardware_info``/``hardware_details``
    as metadata."""
    sysinfo = doc.get("system_info") if isinstance(doc.get("system_info"), dict) else {}
    started = nz.parse_time(doc.get("timestamp")) or nz.parse_time(sysinfo.get("timestamp")) or fallback_time
    versions = {
        lib: sysinfo[key] for lib, key in (("cuda", "cuda_version"), ("openvino", "openvino_version"))
        if isinstance(sysinfo.get(key), str)
    }
    meta = {k: doc[k] for k in ("hardware_info", "hardware_details") if k in doc}
    return RunInfo(
        origin=ORIGIN,
        started_at=started,
        run_key=undated_key(started, ctx),
        host=str_at(sysinfo, "hostname"),
        python_version=str_at(sysinfo, "python_version"),
        library_versions=versions,
        environment=dict(sysinfo),
        metadata=meta,
    )


def convert_document(doc: Any, ctx: ImportContext, base: tuple = (),
                     extra_marks: dict[str, str] | None = None,
                     fallback_time: datetime | None = None) -> Iterator[Record]:
    """Records of one F6 document: one Result per model x hardware x config.

    ``base`` is the pointer prefix when the document sits inside another file (F1);
    ``extra_marks`` adds the enclosing file's simulated-hardware annotation. Yields a RunMeta
    when no Result carries the run (so its system facts still land).
    """
    if not isinstance(doc, dict):
        return
    run = run_info(doc, fallback_time, ctx)
    marks = {**simulated_marks(doc), **(extra_marks or {})}
    benchmarks = doc.get("benchmarks")
    emitted = 0
    if isinstance(benchmarks, dict):
        for family, models in benchmarks.items():
            if not isinstance(models, dict):
                continue
            for model, hws in models.items():
                if not isinstance(hws, dict):
                    continue
                for spelling, entry in hws.items():
                    if not isinstance(entry, dict):
                        continue
                    for rec in _entry_results(run, family, model, spelling, entry, marks, ctx, base):
                        emitted += 1
                        yield rec
    if not emitted:
        yield RunMeta(run=run)


def _entry_results(run: RunInfo, family: str, model: str, spelling: str, entry: dict,
                   marks: dict[str, str], ctx: ImportContext, base: tuple) -> Iterator[Result]:
    hw, device, _ = hardware_of(spelling)
    reason = entry_simulation(entry, spelling, marks, hw)
    measured = nz.parse_time(entry.get("timestamp")) or run.started_at
    fam = entry.get("family") if isinstance(entry.get("family"), str) else family
    common = dict(
        run=run, model_name=model, hardware_type=hw, device_name=device,
        model_family=fam, modality=nz.modality(None, fam),
        is_simulated=reason is not None, simulation_reason=reason, measured_at=measured,
    )
    entry_ptr = (*base, "benchmarks", family, model, spelling)
    configs = entry.get("benchmark_results")
    entry_status = status_failed(entry.get("status"))
    load_ms = nz.s_to_ms(entry.get("model_load_time"))
    if not isinstance(configs, dict) or not configs:
        # A model that failed before any config ran (load_failed...) is one failed attempt.
        if entry_status not in (None, STATUS_COMPLETED):
            yield Result(**common, status=STATUS_FAILED, load_time_ms=load_ms,
                         error=str_at(entry, "error") or f"status {entry.get('status')!r}",
                         provenance=ctx.prov(ptr(*entry_ptr)))
        return
    summary = entry.get("performance_summary")
    mem = summary.get("memory") if isinstance(summary, dict) else None
    model_summary = _summary(summary)
    for key, cfg in configs.items():
        if not isinstance(cfg, dict):
            continue
        shape = nz.parse_config_key(key) if isinstance(key, str) else None
        where = dict(
            batch_size=shape["batch_size"] if shape else None,
            sequence_length=shape["sequence_length"] if shape else None,
            input_shape=shape["input_shape"] if shape else None,
            scenario=None if shape else str(key),  # keeps an unparseable config distinct
        )
        prov = ctx.prov(ptr(*entry_ptr, "benchmark_results", key))
        st = status_failed(cfg.get("status"))
        if st == STATUS_FAILED:
            yield Result(**common, **where, status=STATUS_FAILED, load_time_ms=load_ms,
                         latency_ms_mean=nz.s_to_ms(cfg.get("avg_latency")),
                         latency_samples_ms=nz.samples_s_to_ms(cfg.get("latencies")),
                         error=str_at(cfg, "error"), provenance=prov)
            continue
        metrics: dict[str, Any] = {}
        total = nz.to_float(cfg.get("total_time"))
        if total is not None:
            metrics["total_time_s"] = total
        for k, v in cfg.items():
            if k in _CONFIG_KNOWN or v is None:
                continue
            if isinstance(v, float) and not math.isfinite(v):
                continue  # NaN/inf are not measurements
            metrics[k] = v  # real_time_factor, timeout, completed_iterations...
        if isinstance(mem, dict) and mem:
            metrics["performance_summary_memory"] = mem  # never seen filled; kept if it is
        if model_summary:
            metrics["model_summary"] = model_summary
        values = dict(
            latency_ms_mean=nz.s_to_ms(cfg.get("avg_latency")),
            latency_samples_ms=nz.samples_s_to_ms(cfg.get("latencies")),
            throughput_items_per_s=nz.to_float(cfg.get("throughput")),
            iterations=nz.to_int(cfg.get("iterations")),
        )
        has_numbers = any(v is not None for v in values.values()) or bool(metrics)
        status = st or (STATUS_COMPLETED if has_numbers else "unknown")
        yield Result(**common, **where, **values, status=status, load_time_ms=load_ms,
                     metrics=metrics, provenance=prov)


def _summary(summary: Any) -> dict[str, Any]:
    """``performance_summary {latency {min,max,mean,median} (s), throughput {...}}`` -> the same
    stats with latency in ms (``latency_ms``) and throughput in items/s; {} when none."""
    if not isinstance(summary, dict):
        return {}
    out: dict[str, Any] = {}
    for key, name, conv in (("latency", "latency_ms", nz.s_to_ms), ("throughput", "throughput", nz.to_float)):
        stats = summary.get(key)
        if isinstance(stats, dict):
            vals = {str(k): conv(v) for k, v in stats.items() if conv(v) is not None}
            if vals:
                out[name] = vals
    return out


def looks_like_f6(doc: Any) -> bool:
    """Cheap content test shared with F1 (which embeds F6 documents)."""
    return (shaped(doc, {"benchmarks": dict})
            and ("system_info" in doc or "hardware_info" in doc)
            and "functionality_verification" not in doc)


class HardwareBenchmarkImporter(Importer, name="f06-hardware-benchmark", formats=("F6",), keys={"timestamp",
                                "system_info", "hardware_info", "hardware_details", "benchmarks"}):
    """hardware_benchmark_runner.py benchmark_results.json: per model x hardware x config latencies (s),
    throughput, load time"""

    def sniff(self, doc: Any) -> bool:
        return looks_like_f6(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        records = list(convert_document(doc, ctx, fallback_time=ctx.path_time))
        if not any(isinstance(r, Result) for r in records):
            raise SkipFile("hardware_benchmark_runner results with no model x hardware entries")
        yield from records


IMPORTERS = [HardwareBenchmarkImporter()]
