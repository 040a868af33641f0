"""``benchwh run inference``: time forward passes (or generation) of each configuration.

Yields one Result per model x precision x batch size x sequence length; a configuration that
fails (out of memory, a precision the device cannot do, an input the model refuses) is a
failed Result with its error, and the sweep goes on. Opens no warehouse: the caller records.
"""

from __future__ import annotations

from types import ModuleType
from typing import Iterator

from benchwh.records import INFERENCE, Result, RunInfo
from benchwh.runners.common import (
    Say, SweepSpec, base_metrics, configurations, error_text, failed, quiet,
)
from benchwh.runners.deps import require
from benchwh.runners.environment import utc_now
from benchwh.runners.loading import (
    Device, LoadedModel, generate_kwargs, load, make_inputs, resolve_device,
)
from benchwh.runners.models import ModelSpec, RunnerError, resolve_model
from benchwh.runners.stats import latency_stats, per_second
from benchwh.runners.timing import MemoryProbe, current_rss_bytes, release, time_calls

ORIGIN = "benchwh.runner.inference"


def call_of(lm: LoadedModel, inputs: dict, scenario: str, new_tokens: int):
    """The zero-argument call one sample times: a forward pass, or ``generate``."""
    model = lm.model
    if scenario == "generate":
        kw = generate_kwargs(lm, new_tokens)
        return lambda: model.generate(**inputs, **kw)
    return lambda: model(**inputs)


def measure_config(lm: LoadedModel, device: Device, batch: int, seq: int | None, precision: str,
                   spec: SweepSpec, run: RunInfo, torch: ModuleType,
                   baseline_rss: int | None) -> Result:
    """Warm up, then time ``spec.iterations`` calls of one configuration; every sample kept.
    ``measured_at`` is when this configuration's measurement began; ``load_time_ms`` is the
    load of the model at this precision, shared by its configurations. Any exception becomes
    a failed Result (the caller releases device memory)."""
    model = lm.spec
    measured_at = utc_now()
    shape = None
    extra = {"precision_method": "weights cast to dtype", "requested_iterations": spec.iterations}
    try:
        inputs, shape = make_inputs(lm, batch, seq, device, torch, lm.dtype,
                                    generate=spec.scenario == "generate")
        fn = call_of(lm, inputs, spec.scenario, spec.new_tokens)
        probe = MemoryProbe(device, torch, baseline_rss)
        with torch.inference_mode():
            probe.start()
            for _ in range(spec.warmup):
                fn()
            samples, _ = time_calls(fn, spec.iterations, device, torch)
        peak = probe.peak_mib()
    except Exception as e:  # OOM, unsupported dtype, bad input: a failed configuration
        return failed(run, model, device, INFERENCE, spec.scenario, batch, seq, precision,
                      error_text(e), measured_at, lm.load_time_ms, shape,
                      base_metrics(model, extra))
    st = latency_stats(samples)
    metrics = base_metrics(model, {"precision_method": "weights cast to dtype",
                                   "memory_method": probe.method})
    tokens_s = None
    if spec.scenario == "generate":
        metrics["new_tokens_per_item"] = spec.new_tokens
        tokens_s = per_second(batch * spec.new_tokens, st["mean"])
    return Result(
        run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
        hardware_type=device.hardware_type, device_name=device.device_name, mode=INFERENCE,
        scenario=spec.scenario, batch_size=batch, sequence_length=seq, input_shape=shape,
        precision=precision, latency_samples_ms=samples,
        **{f"latency_ms_{k}": v for k, v in st.items()},
        throughput_items_per_s=per_second(batch, st["mean"]), throughput_tokens_per_s=tokens_s,
        memory_peak_mb=peak, load_time_ms=lm.load_time_ms, iterations=len(samples),
        warmup_iterations=spec.warmup, metrics=metrics, measured_at=measured_at,
    )


def _one_precision(model: ModelSpec, precision: str, spec: SweepSpec, device: Device, run: RunInfo,
                   torch: ModuleType, transformers: ModuleType, say: Say) -> Iterator[Result]:
    release(device, torch)
    baseline = current_rss_bytes()
    attempt_at = utc_now()
    try:
        lm = load(model, device, precision, torch, transformers)
    except Exception as e:
        err = f"load failed: {error_text(e)}"
        say(f"  {model.key} {precision}: {err}")
        for b, s in configurations(spec, model, spec.scenario):
            yield failed(run, model, device, INFERENCE, spec.scenario, b, s, precision, err,
                         attempt_at, metrics=base_metrics(model))
        release(device, torch)
        return
    say(f"  {model.key} {precision}: loaded in {lm.load_time_ms:.0f} ms")
    try:
        for b, s in configurations(spec, model, spec.scenario):
            r = measure_config(lm, device, b, s, precision, spec, run, torch, baseline)
            if r.status != "completed":
                release(device, torch)
            say(_line(model, r))
            yield r
    finally:
        del lm
        release(device, torch)


def _line(model: ModelSpec, r: Result) -> str:
    where = f"  {model.key} {r.precision} b={r.batch_size}" + (f" s={r.sequence_length}" if r.sequence_length else "")
    if r.status != "completed":
        return f"{where}: FAILED {r.error}"
    return f"{where}: mean {r.latency_ms_mean:.3f} ms, p50 {r.latency_ms_p50:.3f} ms"


def run_inference(spec: SweepSpec, run: RunInfo, say: Say = quiet) -> Iterator[Result]:
    """Every configuration of the sweep, measured in order, as Results of ``run``.

    Raises RunnerError before measuring anything for an unknown model or absent hardware,
    MissingExtraError without torch/transformers."""
    spec.validate()
    torch, transformers = require("benchwh run inference")
    device = resolve_device(spec.hardware, torch)
    models = [resolve_model(m) for m in spec.models]
    if spec.scenario == "generate":
        no_gen = [m.key for m in models if not m.can_generate]
        if no_gen:
            raise RunnerError(f"--scenario generate needs a causal or encoder-decoder model; "
                              f"{', '.join(no_gen)} cannot generate")
    say(f"inference on {device.hardware_type} ({device.device_name or 'unknown device'})")
    for model in models:
        for precision in spec.precisions:
            yield from _one_precision(model, precision, spec, device, run, torch, transformers, say)
