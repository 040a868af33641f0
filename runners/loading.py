"""Turn a ModelSpec into a model on a device, and build its random inputs (torch needed).

Reads: the ModelSpec, a local folder's weights when the spec names one. Writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from benchwh.runners.environment import cpu_model
from benchwh.runners.models import AUDIO, CAUSAL, TEXT2TEXT, VISION, ModelSpec, RunnerError

PRECISIONS = ("fp32", "fp16", "bf16")
SEED = 0


class HardwareAbsent(RunnerError):
    """The hardware is a known kind but this machine does not have it."""


@dataclass
class Device:
    hardware_type: str   # canonical: cpu | cuda | mps
    torch_device: Any    # torch.device
    device_name: str | None


def dtype_of(precision: str, torch: ModuleType):
    try:
        return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
    except KeyError:
        raise RunnerError(f"unknown precision '{precision}': use {', '.join(PRECISIONS)}") from None


def resolve_device(hardware: str, torch: ModuleType) -> Device:
    """``cpu``, ``cuda`` / ``cuda:N``, ``mps`` or ``auto`` (cuda, else mps, else cpu).
    RunnerError when the hardware is not present on this machine."""
    hw = hardware.strip().lower()
    mps = getattr(torch.backends, "mps", None)
    mps_ok = bool(mps and mps.is_available())
    if hw == "auto":
        hw = "cuda" if torch.cuda.is_available() else "mps" if mps_ok else "cpu"
    base, _, index = hw.partition(":")
    if index and (base != "cuda" or not index.isdigit()):
        raise RunnerError(f"unknown hardware '{hardware}': use cpu, cuda, cuda:N, mps or auto")
    if base == "cpu":
        return Device("cpu", torch.device("cpu"), cpu_model())
    if base == "cuda":
        if not torch.cuda.is_available():
            build = f"built for CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
            raise HardwareAbsent(f"{hardware}: CUDA is not available on this machine (torch {torch.__version__}, "
                                 f"{build}); use --hardware cpu or auto")
        dev = torch.device(f"cuda:{int(index) if index else torch.cuda.current_device()}")
        if dev.index >= torch.cuda.device_count():
            raise HardwareAbsent(f"{hardware}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return Device("cuda", dev, torch.cuda.get_device_name(dev))
    if base == "mps":
        if not mps_ok:
            raise HardwareAbsent(f"{hardware}: Apple MPS is not available on this machine; use --hardware cpu or auto")
        return Device("mps", torch.device("mps"), cpu_model())  # MPS runs on the SoC's GPU
    raise RunnerError(f"unknown hardware '{hardware}': use cpu, cuda, cuda:N, mps or auto")


def synchronize(device: Device, torch: ModuleType) -> None:
    if device.hardware_type == "cuda":
        torch.cuda.synchronize(device.torch_device)
    elif device.hardware_type == "mps":
        torch.mps.synchronize()


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: Any
    config: Any
    load_time_ms: float
    dtype: Any


def _config(spec: ModelSpec, transformers: ModuleType):
    if spec.folder:
        return transformers.AutoConfig.from_pretrained(spec.folder, local_files_only=True)
    return getattr(transformers, spec.config_class)(**spec.config)


def load(spec: ModelSpec, device: Device, precision: str, torch: ModuleType,
         transformers: ModuleType, training: bool = False, cast: bool = True) -> LoadedModel:
    """Build (random weights, seeded) or load (folder) the model, move it to the device and,
    when ``cast``, to the precision's dtype. The load time covers all of that, synchronised."""
    dtype = dtype_of(precision, torch)
    cls_name = (spec.training_class or spec.inference_class) if training else spec.inference_class
    # transformers imports model modules lazily on first attribute access: that one-time
    # import is not part of loading this model, so it happens before the clock starts.
    cls = getattr(transformers, cls_name)
    if spec.config_class:
        getattr(transformers, spec.config_class)
    synchronize(device, torch)
    t0 = time.perf_counter()
    config = _config(spec, transformers)
    if spec.folder:
        model = cls.from_pretrained(spec.folder, local_files_only=True)
    else:
        torch.manual_seed(SEED)
        model = cls(config)
    model = model.to(device.torch_device)
    if cast and dtype is not torch.float32:
        model = model.to(dtype)
    model.train(training)
    synchronize(device, torch)
    return LoadedModel(spec, model, config, (time.perf_counter() - t0) * 1000.0, dtype)


def _cfg(config: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        v = getattr(config, n, None)
        if v is not None:
            return v
    return default


def make_inputs(lm: LoadedModel, batch: int, seq: int | None, device: Device, torch: ModuleType,
                float_dtype: Any, labels: bool = False, generate: bool = False) -> tuple[dict, str]:
    """Random inputs of the model's modality, seeded, on the device; and their shapes as text
    (``input_ids=4x128``). ``labels`` adds training targets; ``generate`` leaves out what
    ``generate()`` builds itself (decoder inputs)."""
    spec, config = lm.spec, lm.config
    g = torch.Generator().manual_seed(SEED)
    vocab = int(_cfg(config, "vocab_size", default=1000))
    dev = device.torch_device

    def ids(n: int):
        return torch.randint(0, vocab, (batch, n), generator=g).to(dev)

    # Only a model class with a loss head takes labels; others train on a surrogate loss.
    labels = labels and spec.training_class is not None
    x: dict[str, Any] = {}
    if spec.inputs == VISION:
        size = _cfg(config, "image_size", default=224)
        h, w = (size, size) if isinstance(size, int) else tuple(size)
        chans = _cfg(config, "num_channels", default=3)
        x["pixel_values"] = torch.randn(batch, chans, h, w, generator=g).to(dev, float_dtype)
        if labels:
            x["labels"] = torch.randint(0, max(1, int(_cfg(config, "num_labels", default=2))), (batch,), generator=g).to(dev)
    elif spec.inputs == AUDIO:
        mels = _cfg(config, "num_mel_bins", default=80)
        frames = 2 * _cfg(config, "max_source_positions", default=1500)  # conv stride 2
        x["input_features"] = torch.randn(batch, mels, frames, generator=g).to(dev, float_dtype)
        if labels:
            x["labels"] = ids(seq)
        elif not generate:
            x["decoder_input_ids"] = ids(seq)
    else:
        x["input_ids"] = ids(seq)
        x["attention_mask"] = torch.ones(batch, seq, dtype=torch.long, device=dev)
        if spec.inputs == TEXT2TEXT:
            if labels:
                x["labels"] = ids(seq)
            elif not generate:
                x["decoder_input_ids"] = ids(seq)
        elif labels:
            x["labels"] = x["input_ids"].clone()  # MLM / causal LM on its own tokens
    shape = ";".join(f"{k}={'x'.join(str(d) for d in v.shape)}" for k, v in x.items() if k != "attention_mask")
    return x, shape


def generate_kwargs(lm: LoadedModel, new_tokens: int) -> dict:
    """Greedy decoding of exactly ``new_tokens`` tokens (EOS suppressed until then)."""
    kw = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, num_beams=1)
    if lm.spec.inputs == CAUSAL:
        pad = _cfg(lm.config, "pad_token_id", "eos_token_id")
        if pad is not None:
            kw["pad_token_id"] = pad
    return kw
