"""The models the runners know by name, and local Hugging Face folders.

No model hub is reachable where benchmarks run, and weights do not change speed, so a named
model is its real architecture built from a config with random weights (sizes copied from the
published configs). A local folder (with ``config.json``) is loaded with its own weights.
Nothing here imports torch: ``benchwh run models`` lists these without the runner extra.
"""

from __future__ import annotations

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

SEQ_MEANING = {
    TEXT: "input tokens",
    CAUSAL: "prompt tokens",
    TEXT2TEXT: "encoder and decoder tokens (generate: encoder tokens)",
    VISION: "not used (fixed image size)",
    AUDIO: "decoder tokens; the encoder always sees 30 s of log-mel frames (generate: not used)",
}


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

    @property
    def random_weights(self) -> bool:
        return self.folder is None

    @property
    def can_generate(self) -> bool:
        return self.inputs in (CAUSAL, TEXT2TEXT, AUDIO)

    def uses_seq(self, scenario: str = "forward") -> bool:
        """Whether sequence length is a dimension of this model's configurations."""
        if self.inputs == VISION:
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
            "can_generate": self.can_generate,
        }


_BERT_BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)

MODELS: dict[str, ModelSpec] = {s.key: s for s in (
    ModelSpec(
        "bert-tiny", "prajjwal1/bert-tiny", "bert", "text", TEXT, "BertConfig",
        dict(_BERT_BASE, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
             intermediate_size=512),
        "BertModel", "BertForMaskedLM"),
    ModelSpec("bert-base", "bert-base-uncased", "bert", "text", TEXT, "BertConfig",
              dict(_BERT_BASE), "BertModel", "BertForMaskedLM"),
    ModelSpec(
        "t5-small", "t5-small", "t5", "text", TEXT2TEXT, "T5Config",
        dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6,
             num_decoder_layers=6, num_heads=8, relative_attention_num_buckets=32,
             feed_forward_proj="relu", is_encoder_decoder=True, decoder_start_token_id=0,
             pad_token_id=0, eos_token_id=1),
        "T5ForConditionalGeneration", "T5ForConditionalGeneration"),
    ModelSpec(
        "gpt2", "gpt2", "gpt2", "text", CAUSAL, "GPT2Config",
        dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
             bos_token_id=50256, eos_token_id=50256),
        "GPT2LMHeadModel", "GPT2LMHeadModel"),
    ModelSpec(
        "vit-base", "google/vit-base-patch16-224", "vit", "vision", VISION, "ViTConfig",
        dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
             intermediate_size=3072, image_size=224, patch_size=16, num_channels=3,
             num_labels=1000),
        "ViTForImageClassification", "ViTForImageClassification"),
    ModelSpec(
        "whisper-tiny", "openai/whisper-tiny", "whisper", "audio", AUDIO, "WhisperConfig",
        dict(vocab_size=51865, num_mel_bins=80, encoder_layers=4, encoder_attention_heads=6,
             decoder_layers=4, decoder_attention_heads=6, d_model=384, encoder_ffn_dim=1536,
             decoder_ffn_dim=1536, max_source_positions=1500, max_target_positions=448,
             decoder_start_token_id=50258, pad_token_id=50257, bos_token_id=50257,
             eos_token_id=50257),
        "WhisperForConditionalGeneration", "WhisperForConditionalGeneration"),
)}

_VISION_TYPES = {"vit", "deit", "beit", "swin", "convnext", "resnet", "dinov2", "mobilevit", "efficientnet"}
_AUDIO_TYPES = {"whisper"}


def list_models() -> list[dict[str, Any]]:
    return [s.describe() for s in MODELS.values()]


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
    if text in MODELS:
        return MODELS[text]
    for spec in MODELS.values():
        if spec.model_name == text:
            return spec
    path = Path(text).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return _folder_spec(path.resolve())
    from difflib import get_close_matches

    close = get_close_matches(text, list(MODELS) + [s.model_name for s in MODELS.values()], n=3)
    hint = f" did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    raise RunnerError(
        f"unknown model '{text}':{hint} `benchwh run models` lists the named models; "
        "a local Hugging Face folder (with config.json) also works"
    )
