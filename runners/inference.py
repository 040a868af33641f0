"""``benchwh run inference``: time forward passes (or generation) of each configuration.

Yields one Result per model x precision x batch size x sequence length; a configuration that
fails (out of memory, a precision the device cannot do, an input the model refuses) is a
failed Result with its error, and the sweep goes on. Opens no warehouse: the caller records.
"""

from __future__ import annotations

from types import ModuleType
from typing import Iterator

from benchwh.records import INFERENCE, Result, RunInfo
from benchwh.runners import generation
from benchwh.runners.backends import backend as backend_module, flatten, parity
from benchwh.runners.common import (
    Say, SweepSpec, base_metrics, configurations, error_text, failed, quiet,
)
from benchwh.runners.deps import require
from benchwh.runners.environment import utc_now
from benchwh.runners.loading import (
    Device, LoadedModel, load, make_inputs, resolve_device, set_threads,
)
from benchwh.runners.models import ModelSpec, RunnerError, resolve_model
from benchwh.runners.stats import latency_stats, per_second, result_fields
from benchwh.runners.timing import MemoryProbe, current_rss_bytes, release, time_calls

ORIGIN = "benchwh.runner.inference"


class ParityError(RunnerError):
    """A backend's outputs differ from eager's beyond the precision's tolerance."""


def prepare_backend(lm: LoadedModel, inputs: dict, device: Device, precision: str, name: str,
                    torch: ModuleType):
    """``(prepared, notes)``: the backend's timed call for these inputs, checked against
    eager first. Raises ParityError (with the figures) when the outputs differ."""
    be = backend_module(name)
    notes: dict = {"backend": name, "backend_version": be.version()}
    if name == "eager":
        return be.prepare(lm, inputs, device, torch, precision), notes
    with torch.inference_mode():
        reference = flatten(lm.model(**inputs), torch)
    prepared = be.prepare(lm, inputs, device, torch, precision)
    notes.update(prepared.details, compile_time_ms=prepared.compile_time_ms)
    with torch.inference_mode():
        out = prepared.call()
        if prepared.sync is not None:
            prepared.sync()
        check = parity(reference, prepared.outputs(out), precision, torch)
    notes["parity"] = check
    if not check["passed"]:
        why = check.get("reason") or (f"max |diff| {check['max_abs_diff']:.3g} is {check['relative']:.3g} of the "
                                      f"output scale {check['scale']:.3g}, over the {precision} tolerance {check['tolerance']:g}")
        err = ParityError(f"{name} outputs differ from eager: {why}; not timed")
        err.notes = notes
        raise err
    return prepared, notes


def measure_config(lm: LoadedModel, device: Device, batch: int, seq: int | None, precision: str,
                   spec: SweepSpec, run: RunInfo, torch: ModuleType,
                   baseline_rss: int | None, prepared: tuple | None = None) -> Result:
    """Warm up, then time ``spec.iterations`` calls of one configuration; every sample kept.
    ``measured_at`` is when this configuration's measurement began; ``load_time_ms`` is the
    load of the model at this precision, shared by its configurations. Any exception becomes
    a failed Result (the caller releases device memory). With ``--scenario generate`` see
    ``measure_generation`` (three Results). ``prepared``: ``prepare_backend``'s
    ``(Prepared, notes)`` for this configuration's inputs, made once by a caller that times the
    same call itself (``benchmarks/runner_overhead.py``); by default it is made here."""
    model = lm.spec
    measured_at = utc_now()
    shape = None
    extra = {"precision_method": "weights cast to dtype", "requested_iterations": spec.iterations,
             "backend": spec.backend}
    try:
        inputs, shape = make_inputs(lm, batch, seq, device, torch, lm.dtype)
        if prepared is None:
            prepared = prepare_backend(lm, inputs, device, precision, spec.backend, torch)
        call, notes = prepared
        extra.update(notes)
        fn = call.call
        probe = MemoryProbe(device, torch, baseline_rss)  # the timed calls', not the export's
        with torch.inference_mode():
            probe.start()
            for _ in range(spec.warmup):
                fn()
            samples, _ = time_calls(fn, spec.iterations, device, torch, sync=call.sync)
        peak = probe.peak_mib()
    except Exception as e:  # OOM, unsupported dtype, bad input, parity: a failed configuration
        extra.update(getattr(e, "notes", {}))
        return failed(run, model, device, INFERENCE, spec.scenario, batch, seq, precision,
                      error_text(e), measured_at, lm.load_time_ms, shape,
                      base_metrics(model, extra))
    st = latency_stats(samples)
    extra.pop("requested_iterations")
    metrics = base_metrics(model, dict(extra, memory_method=probe.method))
    return Result(
        run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
        hardware_type=device.hardware_type, device_name=device.device_name, mode=INFERENCE,
        scenario=spec.scenario, batch_size=batch, sequence_length=seq, input_shape=shape,
        precision=precision, latency_samples_ms=samples,
        **{f"latency_ms_{k}": v for k, v in st.items()},
        throughput_items_per_s=per_second(batch, st["mean"]),
        memory_peak_mb=peak, load_time_ms=lm.load_time_ms, iterations=len(samples),
        warmup_iterations=spec.warmup, metrics=metrics, measured_at=measured_at,
    )


def measure_generation(lm: LoadedModel, device: Device, batch: int, seq: int | None, precision: str,
                       spec: SweepSpec, run: RunInfo, torch: ModuleType,
                       baseline_rss: int | None) -> list[Result]:
    """Greedy generation of ``spec.new_tokens`` tokens per item, timed token by token: the
    ``prefill``, ``decode`` and ``generate`` Results of one configuration (all failed, with
    the error, when it fails)."""
    model = lm.spec
    measured_at = utc_now()
    shape = None
    extra = {"precision_method": "weights cast to dtype", "backend": spec.backend,
             "new_tokens_per_item": spec.new_tokens}
    scenarios = (generation.PREFILL, generation.DECODE, generation.GENERATE)
    try:
        inputs, shape = make_inputs(lm, batch, seq, device, torch, lm.dtype, generate=True)
        probe = MemoryProbe(device, torch, baseline_rss)
        with torch.inference_mode():
            probe.start()
            samples = generation.timed_generation(lm, inputs, spec.new_tokens, device, torch,
                                                  spec.iterations, spec.warmup)
        peak = probe.peak_mib()
    except Exception as e:
        return [failed(run, model, device, INFERENCE, sc, batch, seq, precision, error_text(e),
                       measured_at, lm.load_time_ms, shape,
                       base_metrics(model, dict(extra, requested_iterations=spec.iterations)))
                for sc in scenarios]
    prompt = generation.prompt_tokens(inputs, batch)
    out = []
    for sc in scenarios:
        fields = result_fields(samples[sc])
        items, tokens = generation.rates(sc, batch, spec.new_tokens, prompt, fields["latency_ms_mean"], per_second)
        fields["throughput_items_per_s"] = items
        metrics = base_metrics(model, dict(extra, memory_method=probe.method, prompt_tokens=prompt,
                                           timing="streamer clock per new token (host copy waits for the device)",
                                           **({"decode_steps_per_iteration": spec.new_tokens - 1} if sc == generation.DECODE else {})))
        out.append(Result(
            run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
            hardware_type=device.hardware_type, device_name=device.device_name, mode=INFERENCE,
            scenario=sc, batch_size=batch, sequence_length=seq, input_shape=shape, precision=precision,
            throughput_tokens_per_s=tokens, memory_peak_mb=peak, load_time_ms=lm.load_time_ms,
            warmup_iterations=spec.warmup, metrics=metrics, measured_at=measured_at, **fields,
        ))
    return out


def _one_precision(model: ModelSpec, precision: str, spec: SweepSpec, device: Device, run: RunInfo,
                   torch: ModuleType, transformers: ModuleType, say: Say, begin: Say = quiet) -> Iterator[Result]:
    release(device, torch)
    baseline = current_rss_bytes()
    attempt_at = utc_now()
    try:
        lm = load(model, device, precision, torch, transformers)
    except Exception as e:
        err = f"load failed: {error_text(e)}"
        say(f"  {model.key} {precision}: {err}")
        scenarios = ((generation.PREFILL, generation.DECODE, generation.GENERATE)
                     if spec.scenario == "generate" else (spec.scenario,))
        for b, s in configurations(spec, model, spec.scenario):
            for sc in scenarios:
                yield failed(run, model, device, INFERENCE, sc, b, s, precision, err,
                             attempt_at, metrics=base_metrics(model, {"backend": spec.backend}))
        release(device, torch)
        return
    say(f"  {model.key} {precision}: loaded in {lm.load_time_ms:.0f} ms")
    try:
        for b, s in configurations(spec, model, spec.scenario):
            begin(f"{model.model_name} {device.hardware_type} {precision} b{b}" + (f" s{s}" if s is not None else ""))
            if spec.scenario == "generate":
                rs = measure_generation(lm, device, b, s, precision, spec, run, torch, baseline)
            else:
                rs = [measure_config(lm, device, b, s, precision, spec, run, torch, baseline)]
            if any(r.status != "completed" for r in rs) or spec.backend != "eager":
                release(device, torch)
            for r in rs:
                say(_line(model, r))
                yield r
    finally:
        del lm
        release(device, torch)


def _line(model: ModelSpec, r: Result) -> str:
    where = f"  {model.key} {r.scenario} {r.precision} b={r.batch_size}" + (f" s={r.sequence_length}" if r.sequence_length else "")
    if r.status != "completed":
        return f"{where}: FAILED {r.error}"
    return f"{where}: mean {r.latency_ms_mean:.3f} ms, p50 {r.latency_ms_p50:.3f} ms"


def run_inference(spec: SweepSpec, run: RunInfo, say: Say = quiet, begin: Say = quiet) -> Iterator[Result]:
    """Every configuration of the sweep, measured in order, as Results of ``run``;
    ``begin`` is told each configuration's name before it is measured.

    Raises RunnerError before measuring anything for an unknown model or absent hardware,
    MissingExtraError without torch/transformers."""
    spec.validate()
    torch, transformers = require("benchwh run inference")
    set_threads(spec.threads, torch)
    device = resolve_device(spec.hardware, torch)
    models = [resolve_model(m) for m in spec.models]
    if spec.scenario == "generate":
        no_gen = [m.key for m in models if not m.can_generate]
        if no_gen:
            raise RunnerError(f"--scenario generate needs a causal or encoder-decoder model; "
                              f"{', '.join(no_gen)} cannot generate")
    backend_module(spec.backend).check(device)
    say(f"inference on {device.hardware_type} ({device.device_name or 'unknown device'}), "
        f"backend {spec.backend}")
    for model in models:
        for precision in spec.precisions:
            yield from _one_precision(model, precision, spec, device, run, torch, transformers, say, begin)
