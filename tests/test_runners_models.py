"""Every named model is its real architecture (parameter counts of the published checkpoints)
and runs on inputs of its modality: forward, generation, and a training step."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch", reason="runner tests need torch (pip install 'benchwh[runners]')")
transformers = pytest.importorskip("transformers", reason="runner tests need transformers (pip install 'benchwh[runners]')")

from benchwh.runners import inference, training  # noqa: E402
from benchwh.runners.common import SweepSpec  # noqa: E402
from benchwh.runners.environment import capture  # noqa: E402
from benchwh.runners.loading import load, make_inputs, resolve_device  # noqa: E402
from benchwh.runners.models import MODELS  # noqa: E402

pytestmark = [pytest.mark.runners, pytest.mark.slow]

# Parameter counts of the published checkpoints (inference classes as the registry names them).
PUBLISHED = {
    "bert-tiny": 4_385_920, "bert-base": 109_482_240, "t5-small": 60_506_624,
    "gpt2": 124_439_808, "vit-base": 86_567_656, "whisper-tiny": 37_760_640,
}
OUTPUT = {"bert-tiny": "last_hidden_state", "bert-base": "last_hidden_state", "t5-small": "logits",
          "gpt2": "logits", "vit-base": "logits", "whisper-tiny": "logits"}


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_named_model_is_the_real_architecture(key):
    device = resolve_device("cpu", torch)
    lm = load(MODELS[key], device, "fp32", torch, transformers)
    assert lm.model.num_parameters() == PUBLISHED[key]
    seq = 4 if MODELS[key].uses_seq() else None
    inputs, shape = make_inputs(lm, 1, seq, device, torch, lm.dtype)
    with torch.inference_mode():
        out = getattr(lm.model(**inputs), OUTPUT[key])
    assert out.shape[0] == 1 and torch.isfinite(out).all()
    expected = {"vit-base": "pixel_values=1x3x224x224", "whisper-tiny": "input_features=1x80x3000;decoder_input_ids=1x4",
                "t5-small": "input_ids=1x4;decoder_input_ids=1x4"}.get(key, "input_ids=1x4")
    assert shape == expected


# Same classes, inputs and heads as the named models, at toy sizes: the modality code paths
# (labels, decoder inputs, generation) without minutes of CPU time.
TOY = {
    "t5-small": dict(d_model=32, d_kv=8, d_ff=64, num_layers=1, num_decoder_layers=1, num_heads=2),
    "whisper-tiny": dict(d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                         decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                         max_source_positions=50, max_target_positions=32),
    "vit-base": dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                     image_size=32, patch_size=16),
    "gpt2": dict(n_embd=32, n_layer=1, n_head=2, n_positions=64),
}


def toy(key: str):
    spec = MODELS[key]
    return dataclasses.replace(spec, config=dict(spec.config, **TOY[key]))


@pytest.mark.parametrize("key", ["t5-small", "whisper-tiny", "gpt2"])
def test_generation_of_each_generating_kind(key):
    run = capture("test", torch=torch)
    device = resolve_device("cpu", torch)
    spec = toy(key)
    lm = load(spec, device, "fp32", torch, transformers)
    sweep = SweepSpec(models=[key], iterations=2, warmup=0, scenario="generate", new_tokens=3)
    seq = 4 if spec.uses_seq("generate") else None
    *_, r = inference.measure_generation(lm, device, 2, seq, "fp32", sweep, run, torch, None)
    assert r.status == "completed" and r.scenario == "generate", r.error
    assert r.throughput_tokens_per_s == pytest.approx(2 * 3 * 1000.0 / r.latency_ms_mean)
    assert "decoder_input_ids" not in r.input_shape  # generate() builds the decoder side itself


@pytest.mark.parametrize("key", sorted(TOY))
def test_training_step_of_each_modality(key):
    run = capture("test", torch=torch)
    device = resolve_device("cpu", torch)
    spec = toy(key)
    lm = load(spec, device, "fp32", torch, transformers, training=True)
    sweep = SweepSpec(models=[key], iterations=2, warmup=1)
    seq = 4 if spec.uses_seq() else None
    r = training.measure_config(lm, device, 2, seq, "fp32", sweep, run, torch, None)
    assert r.status == "completed", r.error
    assert r.metrics["loss"] == "model loss on random labels" and "labels=" in r.input_shape
    assert len(r.metrics["loss_per_step"]) == 2 and all(x > 0 for x in r.metrics["loss_per_step"])
