"""``benchwh run training``: a few optimizer steps on random data per configuration.

Each sample is one step (zero_grad, forward, loss, backward, optimizer step), timed like an
inference call; the losses of the timed steps go to ``metrics.loss_per_step``. fp16/bf16 run
under ``torch.autocast`` (mixed precision, fp32 master weights; a GradScaler for fp16 on CUDA),
the usual way to train in those precisions. Models with a loss head (named models) train on
their own loss with random labels; a local folder's base model trains on a surrogate loss (the
mean square of its first output), which costs the same backward pass.
"""

from __future__ import annotations

import contextlib
import math
from types import ModuleType
from typing import Any, Iterator

from benchwh.records import TRAINING, Result, RunInfo
from benchwh.runners.common import (
    Say, SweepSpec, base_metrics, configurations, error_text, failed, quiet,
)
from benchwh.runners.deps import require
from benchwh.runners.environment import utc_now
from benchwh.runners.loading import Device, LoadedModel, load, make_inputs, resolve_device, set_threads
from benchwh.runners.models import ModelSpec, RunnerError, resolve_model
from benchwh.runners.stats import latency_stats, per_second
from benchwh.runners.timing import MemoryProbe, current_rss_bytes, release, time_calls

ORIGIN = "benchwh.runner.training"


def _loss(out: Any) -> Any:
    loss = getattr(out, "loss", None)
    if loss is not None:
        return loss
    first = out[0] if isinstance(out, (tuple, list)) else next(iter(out.values()))
    return first.float().pow(2).mean()


def _finite(values: list[float]) -> list[float | None]:
    # JSON (and the warehouse's metrics text) has no NaN: a diverged fp16 loss is None.
    return [v if math.isfinite(v) else None for v in values]


def step_fn(lm: LoadedModel, inputs: dict, precision: str, device: Device, torch: ModuleType, lr: float):
    """One optimizer step as a zero-argument call returning the detached loss."""
    model = lm.model
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    scaler = None
    if precision == "fp32":
        autocast = contextlib.nullcontext
    else:
        def autocast():
            return torch.autocast(device_type=device.torch_device.type, dtype=lm.dtype)
        if precision == "fp16" and device.hardware_type == "cuda":
            scaler = torch.amp.GradScaler("cuda")

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = _loss(model(**inputs))
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        return loss.detach()

    return step


def measure_config(lm: LoadedModel, device: Device, batch: int, seq: int | None, precision: str,
                   spec: SweepSpec, run: RunInfo, torch: ModuleType, baseline_rss: int | None) -> Result:
    """Warm-up steps, then ``spec.iterations`` timed steps; a failure is a failed Result."""
    model = lm.spec
    measured_at = utc_now()
    shape = None
    notes = {"precision_method": "fp32" if precision == "fp32" else "torch.autocast (fp32 weights)",
             "optimizer": "AdamW", "learning_rate": spec.learning_rate,
             "loss": "model loss on random labels" if model.training_class else
                     "surrogate: mean square of the first output"}
    try:
        inputs, shape = make_inputs(lm, batch, seq, device, torch, torch.float32, labels=True)
        step = step_fn(lm, inputs, precision, device, torch, spec.learning_rate)
        probe = MemoryProbe(device, torch, baseline_rss)
        probe.start()
        warm = [step() for _ in range(spec.warmup)]
        samples, losses = time_calls(step, spec.iterations, device, torch, keep=True)
        peak = probe.peak_mib()
        loss_values = _finite([float(x) for x in losses])
        warm_values = _finite([float(x) for x in warm])
    except Exception as e:
        return failed(run, model, device, TRAINING, None, batch, seq, precision, error_text(e),
                      measured_at, lm.load_time_ms, shape,
                      base_metrics(model, dict(notes, requested_iterations=spec.iterations)))
    st = latency_stats(samples)
    metrics = base_metrics(model, dict(notes, memory_method=probe.method, loss_per_step=loss_values,
                                       warmup_loss_per_step=warm_values))
    return Result(
        run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
        hardware_type=device.hardware_type, device_name=device.device_name, mode=TRAINING,
        batch_size=batch, sequence_length=seq, input_shape=shape, precision=precision,
        latency_samples_ms=samples, **{f"latency_ms_{k}": v for k, v in st.items()},
        throughput_items_per_s=per_second(batch, st["mean"]), memory_peak_mb=peak,
        load_time_ms=lm.load_time_ms, iterations=len(samples), warmup_iterations=spec.warmup,
        metrics=metrics, measured_at=measured_at,
    )


def _one_precision(model: ModelSpec, precision: str, spec: SweepSpec, device: Device, run: RunInfo,
                   torch: ModuleType, transformers: ModuleType, say: Say, begin: Say = quiet) -> Iterator[Result]:
    for b, s in configurations(spec, model):
        begin(f"{model.model_name} {device.hardware_type} {precision} b{b}" + (f" s{s}" if s is not None else ""))
        # A fresh model per configuration: the previous one's weights and optimizer state
        # must not leak into this one's steps or memory.
        release(device, torch)
        baseline = current_rss_bytes()
        attempt_at = utc_now()
        try:
            lm = load(model, device, precision, torch, transformers, training=True, cast=False)
        except Exception as e:
            err = f"load failed: {error_text(e)}"
            say(f"  {model.key} {precision} b={b}: {err}")
            yield failed(run, model, device, TRAINING, None, b, s, precision, err, attempt_at,
                         metrics=base_metrics(model))
            continue
        r = measure_config(lm, device, b, s, precision, spec, run, torch, baseline)
        del lm
        release(device, torch)
        say(f"  {model.key} {precision} b={b}" + (f" s={s}" if s else "") + (
            f": step mean {r.latency_ms_mean:.3f} ms" if r.status == "completed" else f": FAILED {r.error}"))
        yield r


def run_training(spec: SweepSpec, run: RunInfo, say: Say = quiet, begin: Say = quiet) -> Iterator[Result]:
    """Every configuration of the sweep as a training Result of ``run`` (mode 'training');
    ``begin`` is told each configuration's name before it is measured."""
    spec.validate()
    if spec.backend != "eager":
        raise RunnerError(f"--backend {spec.backend} is for inference; training runs eager PyTorch")
    if spec.distributed:
        from benchwh.runners.distributed import run_distributed

        yield from run_distributed(spec, run, spec.distributed, spec.nproc, say)
        return
    torch, transformers = require("benchwh run training")
    set_threads(spec.threads, torch)
    device = resolve_device(spec.hardware, torch)
    models = [resolve_model(m) for m in spec.models]
    say(f"training on {device.hardware_type} ({device.device_name or 'unknown device'})")
    for model in models:
        for precision in spec.precisions:
            yield from _one_precision(model, precision, spec, device, run, torch, transformers, say, begin)
