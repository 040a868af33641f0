"""Turn a ModelSpec into a model on a device, and build its random inputs (torch needed).

Reads: the ModelSpec, a local folder's weights when the spec names one. Writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from benchwh.normalize import hardware_type
from benchwh.runners.environment import cpu_model
from benchwh.runners.models import (
    AUDIO, CAUSAL, IMAGE_CAUSAL, TEXT2TEXT, TEXT_AUDIO, TEXT_IMAGE, TEXT_VIDEO, VISION, WAVEFORM,
    ModelSpec, RunnerError, missing_classes,
)

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
    index = hw.partition(":")[2].strip()
    base = hardware_type(hw)  # the one hardware vocabulary (``gpu``, ``Apple MPS``... as importers read them)
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


def set_threads(threads: int | None, torch: ModuleType) -> None:
    """``--threads N``: torch's intra-op threads for this process (None: leave torch's)."""
    if threads is not None:
        torch.set_num_threads(int(threads))


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
    if not spec.folder:
        missing = missing_classes(spec, transformers)
        if missing:
            raise RunnerError(f"{spec.key} cannot be built with transformers {transformers.__version__}: "
                              f"it has no {', '.join(missing)}")
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
        # Built on the device itself: a 7B model's random init on the host would take minutes.
        with device.torch_device:
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


def _sub(config: Any, name: str) -> Any:
    return getattr(config, name, None) or config


def _image_hw(config: Any, spec: ModelSpec) -> tuple[int, int]:
    size = spec.input_args.get("image_size") or _cfg(config, "image_size", default=224)
    return (size, size) if isinstance(size, int) else tuple(size)


def _image_tokens(lm: "LoadedModel", x: dict, torch: ModuleType) -> int:
    """How many placeholder tokens the model's image features fill, per image (asked of the
    model itself: it depends on the tower, the feature strategy and any-resolution tiles)."""
    kw = {k: v for k, v in x.items() if k in ("pixel_values", "image_sizes")}
    with torch.no_grad():
        feats = lm.model.get_image_features(**{k: v[:1] for k, v in kw.items()})
    feats = getattr(feats, "pooler_output", feats)
    if isinstance(feats, (list, tuple)):
        return int(sum(f.shape[0] if f.dim() == 2 else f.shape[1] for f in feats))
    return int(feats.shape[1] if feats.dim() == 3 else feats.shape[0])


def make_inputs(lm: LoadedModel, batch: int, seq: int | None, device: Device, torch: ModuleType,
                float_dtype: Any, labels: bool = False, generate: bool = False,
                seed: int = SEED) -> tuple[dict, str]:
    """Random inputs of the model's modality, seeded, on the device; and their shapes as text
    (``input_ids=4x128``). ``labels`` adds training targets; ``generate`` leaves out what
    ``generate()`` builds itself (decoder inputs); ``seed``: each data-parallel rank its own."""
    spec, config = lm.spec, lm.config
    g = torch.Generator().manual_seed(seed)
    text_cfg = _sub(config, "text_config")
    vocab = int(_cfg(text_cfg, "vocab_size", default=1000))
    dev = device.torch_device

    def ids(n: int, high: int = vocab):
        return torch.randint(0, high, (batch, n), generator=g).to(dev)

    def floats(*shape: int):
        return torch.randn(*shape, generator=g).to(dev, float_dtype)

    # Only a model class with a loss head takes labels; others train on a surrogate loss.
    labels = labels and spec.training_class is not None
    x: dict[str, Any] = {}
    if spec.inputs == VISION:
        h, w = _image_hw(config, spec)
        chans = _cfg(config, "num_channels", default=3)
        x["pixel_values"] = floats(batch, chans, h, w)
        if spec.family == "detr":
            x["pixel_mask"] = torch.ones(batch, h, w, dtype=torch.long, device=dev)
            if labels:  # one random box per image
                x["labels"] = [{"class_labels": torch.randint(0, int(config.num_labels), (1,), generator=g).to(dev),
                                "boxes": (torch.rand(1, 4, generator=g) * 0.5 + 0.25).to(dev)}
                               for _ in range(batch)]
        elif labels:
            x["labels"] = torch.randint(0, max(1, int(_cfg(config, "num_labels", default=2))), (batch,), generator=g).to(dev)
    elif spec.inputs == WAVEFORM:
        x["input_values"] = floats(batch, int(spec.input_args.get("audio_samples", 16000)))
        if labels:
            x["labels"] = torch.randint(1, vocab, (batch, 8), generator=g).to(dev)  # CTC targets
    elif spec.inputs == AUDIO:
        mels = _cfg(config, "num_mel_bins", default=80)
        frames = 2 * _cfg(config, "max_source_positions", default=1500)  # conv stride 2
        x["input_features"] = floats(batch, mels, frames)
        if labels:
            x["labels"] = ids(seq)
        elif not generate:
            x["decoder_input_ids"] = ids(seq)
    elif spec.inputs == IMAGE_CAUSAL:
        vis = _sub(config, "vision_config")
        h, w = _image_hw(vis, spec)
        image_token = int(_cfg(config, "image_token_id", "image_token_index"))
        if spec.family == "llava-next":
            from transformers.models.llava_next.modeling_llava_next import image_size_to_num_patches

            tiles = image_size_to_num_patches((h, w), config.image_grid_pinpoints, vis.image_size)
            x["pixel_values"] = floats(batch, tiles, 3, h, w)
            x["image_sizes"] = torch.tensor([[h, w]] * batch, device=dev)
        else:
            x["pixel_values"] = floats(batch, 3, h, w)
        n_img = _image_tokens(lm, x, torch)
        prompt = ids(seq, min(vocab, image_token))
        x["input_ids"] = torch.cat([torch.full((batch, n_img), image_token, device=dev), prompt], dim=1)
        x["attention_mask"] = torch.ones_like(x["input_ids"])
        if labels:
            x["labels"] = x["input_ids"].clone()
    else:
        x["input_ids"] = ids(seq)
        x["attention_mask"] = torch.ones(batch, seq, dtype=torch.long, device=dev)
        if spec.inputs == TEXT_IMAGE:
            h, w = _image_hw(_sub(config, "vision_config"), spec)
            x["pixel_values"] = floats(batch, 3, h, w)
        elif spec.inputs == TEXT_VIDEO:
            vis = _sub(config, "vision_config")
            h, w = _image_hw(vis, spec)
            x["pixel_values"] = floats(batch, int(vis.num_frames), 3, h, w)
        elif spec.inputs == TEXT_AUDIO:
            mels = int(_sub(config, "audio_config").num_mel_bins)
            x["input_features"] = floats(batch, 1, int(spec.input_args.get("audio_frames", 1001)), mels)
        elif spec.inputs == TEXT2TEXT:
            if labels:
                x["labels"] = ids(seq)
            elif not generate:
                x["decoder_input_ids"] = ids(seq)
        elif labels:
            x["labels"] = x["input_ids"].clone()  # MLM / causal LM on its own tokens
        if labels and spec.inputs in (TEXT_IMAGE, TEXT_VIDEO, TEXT_AUDIO):
            x["return_loss"] = True  # contrastive loss of the matching pairs
    if not labels and not generate and spec.can_generate:
        x["use_cache"] = False  # a forward pass, not a generation step: no KV cache built
    shape = ";".join(f"{k}={'x'.join(str(d) for d in v.shape)}" for k, v in x.items()
                     if hasattr(v, "shape") and k not in ("attention_mask", "pixel_mask", "image_sizes"))
    return x, shape


def generate_kwargs(lm: LoadedModel, new_tokens: int) -> dict:
    """Greedy decoding of exactly ``new_tokens`` tokens (EOS suppressed until then)."""
    kw = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, num_beams=1)
    if lm.spec.inputs in (CAUSAL, IMAGE_CAUSAL):
        pad = _cfg(_sub(lm.config, "text_config"), "pad_token_id", "eos_token_id")
        if pad is not None:
            kw["pad_token_id"] = pad
    return kw
