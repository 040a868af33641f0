"""H06: optimum-benchmark reports: ``benchmark.json`` (``{config, report}``) and
``benchmark_report.json`` with ``benchmark_config.json`` beside it.

The report maps each phase (``load_model``, ``first_generate``, ``generate``, ``prefill``,
``decode``, ``per_token``, ``forward``, ``call``...) to ``{memory, latency, throughput, energy,
efficiency}``: latency in its ``unit`` (seconds) with ``values`` (the samples), ``mean``,
``p50``..``p99``, ``stdev``; memory in "MB", which is 10^6 bytes (psutil and pynvml bytes / 1e6);
throughput in ``samples/s`` or ``tokens/s``. Each phase is its own result (``scenario`` = the
phase). The config gives the model, backend, device, batch size, sequence length and dtype.
No time is written: the run is identified by the report's content. ``benchmark_config.json``
alone is recognised and skipped (read with the report beside it).
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, SkipFile, ptr
from benchwh.legacy_import.harness_common import digest, drop_none, scalar
from benchwh.normalize import hardware, informative_device_name, mb_to_mib, precision, samples_to_ms, to_float, to_int, to_ms
from benchwh.records import INFERENCE, TRAINING, Record, Result, RunInfo

_PHASE_KEYS = {"memory", "latency", "throughput", "energy", "efficiency", "measures"}
_LAT_FIELDS = (("mean", "latency_ms_mean"), ("p50", "latency_ms_p50"), ("p90", "latency_ms_p90"),
               ("p95", "latency_ms_p95"), ("p99", "latency_ms_p99"), ("stdev", "latency_ms_std"))
_MEM_EXTRA = ("max_global_vram", "max_process_vram", "max_reserved", "max_allocated")


def _phase(v: Any) -> bool:
    # a phase: each of its measures null or a {unit, ...} object, at least one of them set
    if not (isinstance(v, dict) and set(v) <= _PHASE_KEYS and v.keys() & {"latency", "memory", "energy"}):
        return False
    parts = [v.get(k) for k in ("latency", "memory", "energy", "efficiency", "throughput")]
    return (all(p is None or (isinstance(p, dict) and "unit" in p) for p in parts)
            and any(p is not None for p in parts))


def _is_report(doc: Any) -> bool:
    return isinstance(doc, dict) and bool(doc) and all(_phase(v) for v in doc.values())


def _is_config(doc: Any) -> bool:
    backend = doc.get("backend") if isinstance(doc, dict) else None
    return (isinstance(backend, dict) and isinstance(doc.get("scenario"), dict) and isinstance(doc.get("launcher"), dict)
            and "optimum_benchmark" in str(backend.get("_target_", "")))


def _results(config: dict, report: dict, ctx: ImportContext, base: tuple) -> Iterator[Result]:
    backend, scenario = config["backend"], config["scenario"]
    env = config.get("environment") if isinstance(config.get("environment"), dict) else {}
    device = backend.get("device")
    hw, mock = hardware(device)
    if hw is None:
        raise Quarantine(f"optimum-benchmark device {device!r} is not a known hardware type")
    if hw == "cpu":
        dev_name = (env.get("cpu") or "").strip() or None
    else:
        gpus = env.get("gpu")
        dev_name = ", ".join(gpus) if isinstance(gpus, list) and gpus else informative_device_name(device, hw)
    shapes = scenario.get("input_shapes") if isinstance(scenario.get("input_shapes"), dict) else {}
    run = RunInfo(
        origin="optimum-benchmark", started_at=None, run_key=digest(report),
        python_version=env.get("python_version"),
        library_versions={k[: -len("_version")]: v for k, v in env.items() if k.endswith("_version") and isinstance(v, str)
                          and k != "python_version"},
        metadata=drop_none({"name": config.get("name"), "backend": backend, "scenario": scenario,
                            "launcher": config.get("launcher"), "environment": env or None}),
    )
    for phase, m in report.items():
        lat = m.get("latency") if isinstance(m.get("latency"), dict) else None
        mem = m.get("memory") if isinstance(m.get("memory"), dict) else None
        thr = m.get("throughput") if isinstance(m.get("throughput"), dict) else None
        r = Result(run=run, model_name=str(backend.get("model")), hardware_type=hw, device_name=dev_name,
                   mode=TRAINING if scenario.get("name") == "training" else INFERENCE, scenario=phase, batch_size=to_int(shapes.get("batch_size")),
                   sequence_length=to_int(shapes.get("sequence_length")),
                   precision=precision(backend.get("torch_dtype") or backend.get("dtype")),
                   is_simulated=mock, simulation_reason="device marked mock" if mock else None,
                   benchmark=config.get("name"), reported_unit=lat.get("unit") if lat else None,
                   measured_at=ctx.path_time, provenance=ctx.prov(ptr(*base, phase)))
        metrics: dict[str, Any] = {"backend": backend.get("name"), "task": backend.get("task"),
                                   "input_shapes": {k: scalar(v) for k, v in shapes.items()} or None}
        if lat:
            unit = lat.get("unit", "s")
            for key, field in _LAT_FIELDS:
                setattr(r, field, to_ms(lat.get(key), unit))
            r.latency_samples_ms = samples_to_ms(lat.get("values"), unit)
            if r.latency_samples_ms:
                r.latency_ms_min, r.latency_ms_max = min(r.latency_samples_ms), max(r.latency_samples_ms)
            r.iterations = to_int(lat.get("count"))
            metrics["latency_total_ms"] = to_ms(lat.get("total"), unit)
            metrics["latency_stdev_percent"] = to_float(lat.get("stdev_"))
            if phase == "load_model":
                r.load_time_ms = r.latency_ms_mean
        if mem:
            if mem.get("unit", "MB") != "MB":
                raise Quarantine(f"optimum-benchmark memory unit {mem.get('unit')!r} in phase {phase}")
            r.memory_peak_mb = mb_to_mib(mem.get("max_ram"))
            for k in _MEM_EXTRA:
                metrics[f"{k}_mib"] = mb_to_mib(mem.get(k))
        if thr:
            unit, value = thr.get("unit"), to_float(thr.get("value"))
            if unit == "tokens/s":
                r.throughput_tokens_per_s = value
            elif unit == "samples/s":
                r.throughput_items_per_s = value
            else:
                metrics["throughput"] = {"unit": unit, "value": value}
        for k in ("energy", "efficiency"):
            if m.get(k) is not None:
                metrics[k] = m[k]
        r.metrics = drop_none(metrics)
        yield r


class OptimumBenchmarkImporter(Importer, name="optimum-benchmark", formats=("H06",), keys={"config", "report",
                               "load_model", "forward", "prefill", "decode", "per_token", "generate"}):
    """optimum-benchmark benchmark.json / benchmark_report.json (+ benchmark_config.json)"""

    def sniff(self, doc: Any) -> bool:
        if isinstance(doc, dict) and set(doc) == {"config", "report"}:
            return _is_config(doc["config"]) and _is_report(doc["report"])
        return _is_report(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        if set(doc) == {"config", "report"} and _is_config(doc["config"]):
            yield from _results(doc["config"], doc["report"], ctx, ("report",))
            return
        found = ctx.find_up("benchmark_config.json")
        if found is None or not _is_config(found[1]):
            raise Quarantine("optimum-benchmark report without its benchmark_config.json beside it: "
                             "model, backend and device unknown")
        yield from _results(found[1], doc, ctx, ())


class OptimumConfigImporter(Importer, name="optimum-benchmark-config", formats=("H06",),
                            keys={"name", "backend", "scenario", "launcher", "environment"},
                            required_keys={"backend", "scenario", "launcher"}):
    """optimum-benchmark benchmark_config.json (skipped: read with its report)"""

    def sniff(self, doc: Any) -> bool:
        return _is_config(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(f"optimum-benchmark configuration ({doc.get('name')}): read with the report beside it")
        yield  # pragma: no cover


IMPORTERS = [OptimumBenchmarkImporter(), OptimumConfigImporter()]
