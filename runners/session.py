"""One runner invocation from start to end, as ``benchwh run ...`` performs it: check the
request, capture the run, measure, record (warehouse, spool or interchange file), draw."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from benchwh.records import CompatFact, Record, Result
from benchwh.runners.common import Say, SweepSpec
from benchwh.runners.deps import require
from benchwh.runners.models import RunnerError

OnProgress = Callable[[dict], None]  # receives each progress document (benchwh.progress)


@dataclass
class Destination:
    """Where results go: the warehouse (``store``), an interchange file (``output``), or both;
    ``visualize`` a PNG drawn from the warehouse afterwards."""

    db: str | None = None
    data_path: str | None = None
    store: bool = True
    output: str | None = None
    visualize: str | None = None

    def check(self) -> None:
        if not self.store and not self.output:
            raise RunnerError("--no-db-store needs --output FILE.json: results must go somewhere")
        if self.visualize:  # refused before anything is measured, not after
            import importlib.util

            from benchwh.errors import MissingExtraError

            if importlib.util.find_spec("matplotlib") is None:
                raise MissingExtraError("png", "--visualize-from-db")


def _recorder(origin: str, dest: Destination, torch: Any, metadata: dict, say: Say,
              environment: dict | None = None, total: int | None = None, what: str | None = None,
              on_progress: OnProgress | None = None):
    """The run's Recorder; it publishes the run's progress (``total`` configurations) itself."""
    from benchwh.runners.environment import capture
    from benchwh.recorder import Recorder

    run = capture(origin, torch=torch, metadata_=metadata, extra_environment=environment)
    return Recorder(dest.db, origin=origin, store=dest.store, output=dest.output,
                    data_path=dest.data_path, run=run, visualize=dest.visualize, say=say,
                    total=total, what=what, on_progress=on_progress)


def sweep_total(spec: SweepSpec) -> int:
    """Configurations a sweep measures: per model, precisions x its (batch, length) pairs."""
    from benchwh.runners.common import configurations
    from benchwh.runners.models import resolve_model

    return sum(len(spec.precisions) * len(list(configurations(spec, resolve_model(m), spec.scenario)))
               for m in spec.models)


def backend_environment(spec: SweepSpec, device: Any) -> dict[str, Any]:
    """What the run's environment records of its backend and threads (the backend's library
    is imported here, once: it also refuses a backend this device cannot run)."""
    from benchwh.runners.backends import backend

    be = backend(spec.backend)
    be.check(device)
    env: dict[str, Any] = {"backend": spec.backend, "backend_version": be.version(),
                           "threads_requested": spec.threads}
    if spec.backend == "openvino":
        env["openvino_devices"] = be.devices()
    if spec.backend == "onnxruntime":
        import onnxruntime

        env["onnxruntime_providers"] = onnxruntime.get_available_providers()
    return env


def run_sweep(kind: str, spec: SweepSpec, dest: Destination, say: Say,
              on_progress: OnProgress | None = None) -> list[Record]:
    """``kind`` is 'inference' or 'training'. Unknown models, absent hardware and bad values
    are refused before a run is opened; then every configuration is measured and recorded
    as it completes. The recorder publishes the run's progress (``on_progress`` gets each
    update: the CLI's terminal bar). Returns the run's records."""
    from benchwh.runners import inference, training
    from benchwh.runners.loading import resolve_device
    from benchwh.runners.models import resolve_model

    dest.check()
    spec.validate()
    torch, _ = require(f"benchwh run {kind}")
    from benchwh.runners.loading import set_threads

    set_threads(spec.threads, torch)  # before the environment is captured: it records them
    device = resolve_device(spec.hardware, torch)
    for m in spec.models:
        resolve_model(m)
    env = backend_environment(spec, device)
    mod: Callable = {"inference": inference.run_inference, "training": training.run_training}[kind]
    origin = {"inference": inference.ORIGIN, "training": training.ORIGIN}[kind]
    meta = {"runner": kind, "sweep": dataclasses.asdict(spec)}
    with _recorder(origin, dest, torch, meta, say, env, total=sweep_total(spec), what=kind,
                   on_progress=on_progress) as rec:
        for result in mod(spec, rec.run, say, begin=rec.configuration):
            rec.add(result)
    return rec.records


def run_compat(models: list[str], hardware: list[str], dest: Destination, say: Say,
               on_progress: OnProgress | None = None) -> list[Record]:
    """One compatibility fact per model x hardware, recorded like a sweep's results."""
    from benchwh.runners import compatibility
    from benchwh.runners.models import resolve_model

    dest.check()
    if not models or not hardware:
        raise RunnerError("compatibility needs --models and --hardware")
    torch, _ = require("benchwh run compatibility")
    for m in models:
        resolve_model(m)
    meta = {"runner": "compatibility", "models": models, "hardware": hardware}
    with _recorder(compatibility.ORIGIN, dest, torch, meta, say, total=len(models) * len(hardware),
                   what="compatibility", on_progress=on_progress) as rec:
        for fact in compatibility.run_compatibility(models, hardware, rec.run, say):
            rec.add(fact)
    return rec.records


def summary_rows(records: list[Record]) -> list[dict[str, Any]]:
    """One plain dict per result or compatibility fact, for the CLI's table or --json."""
    rows = []
    for r in records:
        if isinstance(r, Result):
            rows.append({
                "model": r.model_name, "hardware": r.hardware_type, "mode": r.mode,
                "scenario": r.scenario, "backend": (r.metrics or {}).get("backend"),
                "precision": r.precision, "batch": r.batch_size, "seq": r.sequence_length,
                "status": r.status, "mean_ms": r.latency_ms_mean, "p50_ms": r.latency_ms_p50,
                "p99_ms": r.latency_ms_p99, "items_per_s": r.throughput_items_per_s,
                "tokens_per_s": r.throughput_tokens_per_s, "peak_mib": r.memory_peak_mb,
                "error": r.error, "result_id": r.result_id,
            })
        elif isinstance(r, CompatFact):
            rows.append({"model": r.model_name, "hardware": r.hardware_type,
                         "compatible": r.compatible, "status": r.status, "error": r.error,
                         "compat_id": r.compat_id})
    return rows
