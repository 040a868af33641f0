"""The models the runners know by name, and local Hugging Face folders.

No model hub is reachable where benchmarks run, and weights do not change speed, so a named
model is its real architecture built from a config with random weights (sizes copied from the
published configs). A local folder (with ``config.json``) is loaded with its own weights.
Nothing here imports torch: ``benchwh run models`` lists these without the runner extra.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchwh.errors import BenchwhError

# Input kinds: what a forward pass is fed (see benchwh.runners.loading.make_inputs).
TEXT = "text"            # encoder: input_ids + attention_mask
CAUSAL = "causal"        # decoder-only LM: input_ids + attention_mask
TEXT2TEXT = "text2text"  # encoder-decoder: input_ids + attention_mask + decoder_input_ids
VISION = "vision"        # pixel_values
AUDIO = "audio"          # input_features (log-mel frames) + decoder_input_ids
WAVEFORM = "waveform"    # input_values (raw 16 kHz samples)
TEXT_IMAGE = "text_image"  # input_ids + attention_mask + pixel_values (contrastive)
TEXT_AUDIO = "text_audio"  # input_ids + attention_mask + input_features (contrastive)
TEXT_VIDEO = "text_video"  # input_ids + attention_mask + pixel_values of frames (contrastive)
IMAGE_CAUSAL = "image_causal"  # image tokens + prompt tokens + pixel_values: a multimodal LM

SEQ_MEANING = {
    TEXT: "input tokens",
    CAUSAL: "prompt tokens",
    TEXT2TEXT: "encoder and decoder tokens (generate: encoder tokens)",
    VISION: "not used (fixed image size)",
    AUDIO: "decoder tokens; the encoder always sees 30 s of log-mel frames (generate: not used)",
    WAVEFORM: "not used (fixed waveform length)",
    TEXT_IMAGE: "text tokens (the image has the model's fixed size)",
    TEXT_AUDIO: "text tokens (the audio has a fixed number of log-mel frames)",
    TEXT_VIDEO: "text tokens (the video has the model's fixed frames and size)",
    IMAGE_CAUSAL: "prompt tokens after the image's tokens (image at the vision tower's size)",
}
FIXED_SIZE = (VISION, WAVEFORM)
GENERATING = (CAUSAL, TEXT2TEXT, AUDIO, IMAGE_CAUSAL)


class RunnerError(BenchwhError):
    """A runner was asked for something it cannot do (unknown model, absent hardware)."""


@dataclass(frozen=True)
class ModelSpec:
    """How to build, feed and name one model."""

    key: str                 # short name on the command line (``bert-tiny``) or a folder
    model_name: str          # name in results: the hub id (``prajjwal1/bert-tiny``) or folder name
    family: str
    modality: str
    inputs: str              # TEXT | CAUSAL | TEXT2TEXT | VISION | AUDIO
    config_class: str | None = None      # transformers config class for random weights
    config: dict[str, Any] = field(default_factory=dict)
    inference_class: str = "AutoModel"
    training_class: str | None = None    # a class whose forward returns a loss from labels
    folder: str | None = None            # local Hugging Face folder (weights as saved)
    size: str | None = None              # preset: tiny (smoke/CI) | realistic (published sizes)
    input_args: dict[str, Any] = field(default_factory=dict)  # fixed input sizes (frames, samples)

    @property
    def random_weights(self) -> bool:
        return self.folder is None

    @property
    def can_generate(self) -> bool:
        return self.inputs in GENERATING

    def uses_seq(self, scenario: str = "forward") -> bool:
        """Whether sequence length is a dimension of this model's configurations."""
        if self.inputs in FIXED_SIZE:
            return False
        if scenario == "generate" and self.inputs == AUDIO:
            return False
        return True

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key, "model_name": self.model_name, "family": self.family,
            "modality": self.modality, "inputs": self.inputs,
            "sequence_length": SEQ_MEANING[self.inputs],
            "weights": "random (built from config)" if self.random_weights else f"from {self.folder}",
            "inference_class": self.inference_class, "training_class": self.training_class,
            "can_generate": self.can_generate, "size": self.size,
        }


@functools.cache
def registry() -> dict[str, ModelSpec]:
    """Every named model by key (``benchwh.runners.families``, which imports this module)."""
    from benchwh.runners.families import SPECS

    return {s.key: s for s in SPECS}


def __getattr__(name: str) -> Any:
    if name == "MODELS":  # the registry, read on first use
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_VISION_TYPES = {"vit", "deit", "beit", "swin", "convnext", "resnet", "dinov2", "mobilevit", "efficientnet"}
_AUDIO_TYPES = {"whisper"}


def missing_classes(spec: ModelSpec, transformers: Any) -> list[str]:
    """The transformers classes this spec needs that the installed transformers lacks (looked
    up by name in its lazy namespace: no model module is imported)."""
    names = [n for n in (spec.config_class, spec.inference_class, spec.training_class) if n]
    have = _names_of(transformers)
    return [n for n in dict.fromkeys(names) if n not in have]


_NAMES: dict[int, frozenset] = {}


def _names_of(module: Any) -> frozenset:
    # dir() of transformers' lazy module builds a list of ~5,000 names each call: once is enough
    key = id(module)
    if key not in _NAMES:
        _NAMES[key] = frozenset(dir(module))
    return _NAMES[key]


def buildability(spec: ModelSpec) -> tuple[bool | None, str | None]:
    """(True, None) when the installed transformers has every class the spec needs;
    (False, why) when it lacks one; (None, why) without transformers at all."""
    if spec.folder:
        return None, "a local folder: its config decides"
    try:
        import transformers
    except ImportError:
        return None, "transformers is not installed (pip install 'benchwh[runners]')"
    missing = missing_classes(spec, transformers)
    if missing:
        return False, f"transformers {transformers.__version__} has no {', '.join(missing)}"
    return True, None


def list_models() -> list[dict[str, Any]]:
    """Every named model, with whether the installed transformers can build it."""
    rows = []
    for s in registry().values():
        row = s.describe()
        row["buildable"], row["not_buildable_because"] = buildability(s)
        rows.append(row)
    return rows


def _folder_spec(path: Path) -> ModelSpec:
    """A spec for a local Hugging Face folder, from its config.json (read as JSON: no torch)."""
    try:
        cfg = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as e:
        raise RunnerError(f"{path}: cannot read config.json ({e}); pass a Hugging Face model folder") from None
    mtype = str(cfg.get("model_type") or "unknown")
    if mtype in _VISION_TYPES:
        kind, modality = VISION, "vision"
    elif mtype in _AUDIO_TYPES:
        kind, modality = AUDIO, "audio"
    elif cfg.get("is_encoder_decoder"):
        kind, modality = TEXT2TEXT, "text"
    elif any(a.endswith(("LMHeadModel", "ForCausalLM")) for a in cfg.get("architectures") or []):
        kind, modality = CAUSAL, "text"
    else:
        kind, modality = TEXT, "text"
    inference = "AutoModelForCausalLM" if kind == CAUSAL else "AutoModel"
    return ModelSpec(str(path), path.name, mtype, modality, kind, inference_class=inference,
                     training_class=None, folder=str(path))


def resolve_model(name: str) -> ModelSpec:
    """A registry key (``bert-tiny``), its hub id (``prajjwal1/bert-tiny``), or a local folder
    holding ``config.json``. RunnerError names close matches for anything else."""
    text = name.strip()
    if text in registry():
        return registry()[text]
    for spec in registry().values():
        if spec.model_name == text:
            return spec
    path = Path(text).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return _folder_spec(path.resolve())
    from benchwh.suggest import did_you_mean

    hint = did_you_mean(text, list(registry()) + [s.model_name for s in registry().values()], n=3, lead=" ")
    raise RunnerError(
        f"unknown model '{text}':{hint} `benchwh run models` lists the named models; "
        "a local Hugging Face folder (with config.json) also works"
    )
