"""What the inference and training runners share: the spec of a sweep, configuration
enumeration, failed results, and notes every result carries."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from benchwh.records import STATUS_FAILED, Result, RunInfo
from benchwh.runners.loading import PRECISIONS, Device
from benchwh.runners.models import ModelSpec, RunnerError

Say = Callable[[str], None]


def quiet(_: str) -> None:
    pass


@dataclass
class SweepSpec:
    """A sweep: every model x precision x batch size x sequence length, on one hardware."""

    models: list[str]
    hardware: str = "auto"
    batch_sizes: list[int] = field(default_factory=lambda: [1])
    seq_lens: list[int] = field(default_factory=lambda: [128])
    precisions: list[str] = field(default_factory=lambda: ["fp32"])
    iterations: int = 10
    warmup: int = 3
    scenario: str = "forward"  # inference only: forward | generate
    new_tokens: int = 16       # inference generate: tokens generated per item
    learning_rate: float = 1e-4  # training only
    backend: str = "eager"     # inference: eager | compile | cudagraphs | onnxruntime | openvino
    threads: int | None = None  # torch intra-op threads (torch.set_num_threads); None: torch's default
    distributed: str | None = None  # training only: ddp | fsdp
    nproc: int = 1              # training --distributed: processes (ranks)

    def validate(self) -> None:
        if not self.models:
            raise RunnerError("no model given: pass --model NAME[,NAME...] (`benchwh run models` lists them)")
        for label, values in (("--batch-sizes", self.batch_sizes), ("--seq-lens", self.seq_lens)):
            if not values or any(v < 1 for v in values):
                raise RunnerError(f"{label} needs positive integers, got {values}")
        bad = [p for p in self.precisions if p not in PRECISIONS]
        if bad or not self.precisions:
            raise RunnerError(f"--precision {','.join(bad) or '(none)'}: use {', '.join(PRECISIONS)}")
        if self.iterations < 1 or self.warmup < 0:
            raise RunnerError("--iterations must be >= 1 and --warmup >= 0")
        if self.scenario not in ("forward", "generate"):
            raise RunnerError(f"--scenario {self.scenario}: use forward or generate")
        if self.scenario == "generate" and self.new_tokens < 2:
            raise RunnerError("--new-tokens must be >= 2 (the first token is the prefill, the rest are decode steps)")
        from benchwh.runners.backends import BACKENDS

        if self.backend not in BACKENDS:
            raise RunnerError(f"--backend {self.backend}: use {', '.join(BACKENDS)}")
        if self.scenario == "generate" and self.backend != "eager":
            raise RunnerError(f"--scenario generate runs on the eager backend; --backend {self.backend} "
                              "times forward passes (--scenario forward)")
        if self.threads is not None and self.threads < 1:
            raise RunnerError("--threads must be >= 1")


def configurations(spec: SweepSpec, model: ModelSpec, scenario: str = "forward") -> Iterator[tuple[int, int | None]]:
    """(batch, seq) pairs in command-line order; seq None where the model takes no length."""
    seqs: list[int | None] = list(spec.seq_lens) if model.uses_seq(scenario) else [None]
    for b in spec.batch_sizes:
        for s in seqs:
            yield b, s


def base_metrics(model: ModelSpec, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Notes every result of this model carries (weights random or loaded, from where)."""
    m: dict[str, Any] = {
        "weights": "random" if model.random_weights else "pretrained",
        "model_source": ("built from a local config with the published architecture's sizes; "
                         "weights random (no model hub here; weights do not change speed)")
        if model.random_weights else f"local folder {model.folder}",
    }
    m.update(extra or {})
    return m


def error_text(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, so a failure can be found in the code."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}{where}"[:2000]


def failed(run: RunInfo, model: ModelSpec, device: Device, mode: str, scenario: str | None,
           batch: int, seq: int | None, precision: str, error: str, measured_at,
           load_time_ms: float | None = None, input_shape: str | None = None,
           metrics: dict[str, Any] | None = None) -> Result:
    """A failed configuration: its identity, the error, and no measurements (None)."""
    return Result(
        run=run, model_name=model.model_name, model_family=model.family, modality=model.modality,
        hardware_type=device.hardware_type, device_name=device.device_name, mode=mode,
        scenario=scenario, batch_size=batch, sequence_length=seq, input_shape=input_shape,
        precision=precision, status=STATUS_FAILED, error=error, load_time_ms=load_time_ms,
        metrics=metrics or {}, measured_at=measured_at,
    )
