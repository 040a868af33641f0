"""The named models: each family's architecture at a ``tiny`` size (seconds on a CPU, for smoke
runs and CI) and at the published sizes of a real checkpoint (``realistic``).

Sizes are copied from the published ``config.json`` of the checkpoint named in ``model_name``;
the weights are random (weights do not change speed). Nothing here imports torch or
transformers: the values are plain dicts handed to the config class when a model is built.
"""

from __future__ import annotations

from benchwh.runners.models import (
    AUDIO, CAUSAL, IMAGE_CAUSAL, TEXT, TEXT2TEXT, TEXT_AUDIO, TEXT_IMAGE, TEXT_VIDEO, VISION,
    WAVEFORM, ModelSpec,
)

TINY, REALISTIC = "tiny", "realistic"

# A one-layer, 32-wide transformer: the shared shape of the tiny presets.
_T = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
_TINY_LM = dict(vocab_size=1000, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                num_key_value_heads=1, intermediate_size=64, max_position_embeddings=256)

_BERT_BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)
_T5_SMALL = dict(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6,
                 num_decoder_layers=6, num_heads=8, relative_attention_num_buckets=32,
                 feed_forward_proj="relu", is_encoder_decoder=True, decoder_start_token_id=0,
                 pad_token_id=0, eos_token_id=1)
_GPT2 = dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
             bos_token_id=50256, eos_token_id=50256)
_VIT_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, image_size=224, patch_size=16, num_channels=3,
                 num_labels=1000)
_WHISPER_TINY = dict(vocab_size=51865, num_mel_bins=80, encoder_layers=4, encoder_attention_heads=6,
                     decoder_layers=4, decoder_attention_heads=6, d_model=384, encoder_ffn_dim=1536,
                     decoder_ffn_dim=1536, max_source_positions=1500, max_target_positions=448,
                     decoder_start_token_id=50258, pad_token_id=50257, bos_token_id=50257,
                     eos_token_id=50257)
_LLAMA_32_1B = dict(vocab_size=128256, hidden_size=2048, num_hidden_layers=16, num_attention_heads=32,
                    num_key_value_heads=8, intermediate_size=8192, max_position_embeddings=131072,
                    rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True,
                    bos_token_id=128000, eos_token_id=128001)
_QWEN25_05B = dict(vocab_size=151936, hidden_size=896, num_hidden_layers=24, num_attention_heads=14,
                   num_key_value_heads=2, intermediate_size=4864, max_position_embeddings=32768,
                   rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                   bos_token_id=151643, eos_token_id=151643)
_CLIP_TEXT_B = dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                    num_attention_heads=8, max_position_embeddings=77)
_CLIP_VISION_B32 = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                        num_attention_heads=12, image_size=224, patch_size=32)
_CLIP_VISION_L336 = dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                         num_attention_heads=16, image_size=336, patch_size=14, projection_dim=768)
_VICUNA_7B = dict(vocab_size=32064, hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=32, intermediate_size=11008, max_position_embeddings=4096,
                  rms_norm_eps=1e-5, pad_token_id=0)
_LLAVA_TINY_VISION = dict(_T, image_size=32, patch_size=8, projection_dim=16)
_LLAVA_COMMON = dict(vision_feature_layer=-2, vision_feature_select_strategy="default",
                     projector_hidden_act="gelu")
_RESNET50 = dict(model_type="resnet", depths=[3, 4, 6, 3], hidden_sizes=[256, 512, 1024, 2048],
                 embedding_size=64, layer_type="bottleneck", out_features=["stage4"])
_RESNET_TINY = dict(model_type="resnet", depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 32, 64],
                    embedding_size=8, layer_type="basic", out_features=["stage4"])
_DETR = dict(use_timm_backbone=False, use_pretrained_backbone=False, backbone=None)


def _family(family, modality, inputs, config_class, inference_class, training_class=None, *,
            tiny: tuple, realistic: tuple) -> tuple[ModelSpec, ModelSpec]:
    """A family's two specs: ``tiny`` (random weights, for tests) and ``realistic`` (the
    published checkpoint's architecture), each ``(key, name, config[, input_args])``; the
    family's modality, inputs and classes are given once (training class: the inference
    class unless named)."""
    return tuple(ModelSpec(key, name, family, modality, inputs, config_class, config, inference_class,
                           training_class or inference_class, size=size, input_args=args[0] if args else {})
                 for size, (key, name, config, *args) in ((TINY, tiny), (REALISTIC, realistic)))


SPECS: tuple[ModelSpec, ...] = (
    # --- bert ---------------------------------------------------------------------------------
    *_family("bert", "text", TEXT, "BertConfig", "BertModel", "BertForMaskedLM",
             tiny=("bert-tiny", "prajjwal1/bert-tiny", dict(_BERT_BASE, hidden_size=128, num_hidden_layers=2,
                num_attention_heads=2, intermediate_size=512)),
             realistic=("bert-base", "bert-base-uncased", dict(_BERT_BASE))),
    # --- t5 -----------------------------------------------------------------------------------
    *_family("t5", "text", TEXT2TEXT, "T5Config", "T5ForConditionalGeneration",
             tiny=("t5-tiny", "benchwh/t5-tiny", dict(_T5_SMALL, vocab_size=1000, d_model=32, d_kv=8, d_ff=64,
                num_layers=1,
                num_decoder_layers=1, num_heads=2)),
             realistic=("t5-small", "t5-small", dict(_T5_SMALL))),
    # --- gpt2 ---------------------------------------------------------------------------------
    *_family("gpt2", "text", CAUSAL, "GPT2Config", "GPT2LMHeadModel",
             tiny=("gpt2-tiny", "benchwh/gpt2-tiny", dict(_GPT2, vocab_size=1000, n_embd=32, n_layer=1,
                n_head=2, n_positions=256,
                bos_token_id=999, eos_token_id=999)),
             realistic=("gpt2", "gpt2", dict(_GPT2))),
    # --- llama --------------------------------------------------------------------------------
    *_family("llama", "text", CAUSAL, "LlamaConfig", "LlamaForCausalLM",
             tiny=("llama-tiny", "benchwh/llama-tiny", dict(_TINY_LM, bos_token_id=1, eos_token_id=2)),
             realistic=("llama-3.2-1b", "meta-llama/Llama-3.2-1B", dict(_LLAMA_32_1B))),
    # --- qwen2 --------------------------------------------------------------------------------
    *_family("qwen2", "text", CAUSAL, "Qwen2Config", "Qwen2ForCausalLM",
             tiny=("qwen2-tiny", "benchwh/qwen2-tiny", dict(_TINY_LM, bos_token_id=1, eos_token_id=2)),
             realistic=("qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B", dict(_QWEN25_05B))),
    # --- vit ----------------------------------------------------------------------------------
    *_family("vit", "vision", VISION, "ViTConfig", "ViTForImageClassification",
             tiny=("vit-tiny", "benchwh/vit-tiny", dict(_VIT_BASE, **_T, image_size=32, patch_size=16,
                num_labels=10)),
             realistic=("vit-base", "google/vit-base-patch16-224", dict(_VIT_BASE))),
    # --- detr ---------------------------------------------------------------------------------
    *_family("detr", "vision", VISION, "DetrConfig", "DetrForObjectDetection",
             tiny=("detr-tiny", "benchwh/detr-tiny", dict(_DETR, backbone_config=_RESNET_TINY, d_model=32,
                encoder_layers=1, decoder_layers=1,
                encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                decoder_ffn_dim=64, num_queries=10, num_labels=5), dict(image_size=64)),
             realistic=("detr-resnet-50", "facebook/detr-resnet-50", dict(_DETR, backbone_config=_RESNET50,
                d_model=256, encoder_layers=6, decoder_layers=6,
                encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048,
                decoder_ffn_dim=2048, num_queries=100, num_labels=91), dict(image_size=800))),
    # --- clip ---------------------------------------------------------------------------------
    *_family("clip", "multimodal", TEXT_IMAGE, "CLIPConfig", "CLIPModel",
             tiny=("clip-tiny", "benchwh/clip-tiny", dict(text_config=dict(_T, vocab_size=1000,
                max_position_embeddings=77, bos_token_id=0, eos_token_id=2),
                vision_config=dict(_T, image_size=32, patch_size=16), projection_dim=16)),
             realistic=("clip-vit-base-patch32", "openai/clip-vit-base-patch32", dict(text_config=_CLIP_TEXT_B,
                vision_config=_CLIP_VISION_B32, projection_dim=512))),
    # --- xclip (video) ------------------------------------------------------------------------
    *_family("xclip", "multimodal", TEXT_VIDEO, "XCLIPConfig", "XCLIPModel",
             tiny=("xclip-tiny", "benchwh/xclip-tiny", dict(text_config=dict(_T, vocab_size=1000,
                max_position_embeddings=77),
                vision_config=dict(_T, image_size=32, patch_size=16, num_frames=2, mit_hidden_size=32,
                mit_intermediate_size=64, mit_num_hidden_layers=1,
                mit_num_attention_heads=2),
                projection_dim=32, prompt_layers=1, prompt_attention_heads=2)),
             realistic=("xclip-base-patch32", "microsoft/xclip-base-patch32", dict(text_config=_CLIP_TEXT_B,
                vision_config=dict(_CLIP_VISION_B32, num_frames=8), projection_dim=512))),
    # --- clap (text + audio) ------------------------------------------------------------------
    *_family("clap", "multimodal", TEXT_AUDIO, "ClapConfig", "ClapModel",
             tiny=("clap-tiny", "benchwh/clap-tiny", dict(text_config=dict(_T, vocab_size=1000,
                max_position_embeddings=80),
                audio_config=dict(hidden_size=32, depths=[1, 1], num_attention_heads=[2, 2], window_size=4,
                spec_size=64, patch_embeds_hidden_size=16, num_mel_bins=16,
                enable_fusion=False, patch_stride=[4, 4]),
                projection_dim=16), dict(audio_frames=64)),
             realistic=("clap-htsat-unfused", "laion/clap-htsat-unfused",
                dict(text_config=dict(vocab_size=50265, hidden_size=768, num_hidden_layers=12,
                num_attention_heads=12, intermediate_size=3072, max_position_embeddings=514),
                audio_config=dict(enable_fusion=False), projection_dim=512), dict(audio_frames=1001))),
    # --- wav2vec2 (raw waveform) --------------------------------------------------------------
    *_family("wav2vec2", "audio", WAVEFORM, "Wav2Vec2Config", "Wav2Vec2ForCTC",
             tiny=("wav2vec2-tiny", "benchwh/wav2vec2-tiny", dict(_T, conv_dim=(16, 16), conv_stride=(5, 4),
                conv_kernel=(10, 8), num_conv_pos_embeddings=16,
                num_conv_pos_embedding_groups=2, vocab_size=32), dict(audio_samples=1600)),
             realistic=("wav2vec2-base", "facebook/wav2vec2-base-960h", dict(vocab_size=32),
                dict(audio_samples=16000))),
    # --- whisper ------------------------------------------------------------------------------
    *_family("whisper", "audio", AUDIO, "WhisperConfig", "WhisperForConditionalGeneration",
             tiny=("whisper-tiny-toy", "benchwh/whisper-tiny-toy", dict(_WHISPER_TINY, vocab_size=1000,
                d_model=32, encoder_layers=1, decoder_layers=1,
                encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                decoder_ffn_dim=64, max_source_positions=50, max_target_positions=64,
                decoder_start_token_id=1, pad_token_id=0, bos_token_id=0, eos_token_id=2)),
             realistic=("whisper-tiny", "openai/whisper-tiny", dict(_WHISPER_TINY))),
    # --- llava (image + causal LM) ------------------------------------------------------------
    *_family("llava", "multimodal", IMAGE_CAUSAL, "LlavaConfig", "LlavaForConditionalGeneration",
             tiny=("llava-tiny", "benchwh/llava-tiny", dict(_LLAVA_COMMON,
                vision_config=dict(_LLAVA_TINY_VISION, model_type="clip_vision_model"),
                text_config=dict(_TINY_LM, model_type="llama"), image_token_index=999, vision_feature_layer=-1)),
             realistic=("llava-1.5-7b", "llava-hf/llava-1.5-7b-hf", dict(_LLAVA_COMMON,
                vision_config=dict(_CLIP_VISION_L336, model_type="clip_vision_model"),
                text_config=dict(_VICUNA_7B, vocab_size=32064, model_type="llama"), image_token_index=32000))),
    # --- llava-next (any-resolution tiles) ----------------------------------------------------
    *_family("llava-next", "multimodal", IMAGE_CAUSAL, "LlavaNextConfig", "LlavaNextForConditionalGeneration",
             tiny=("llava-next-tiny", "benchwh/llava-next-tiny", dict(_LLAVA_COMMON,
                vision_config=dict(_LLAVA_TINY_VISION, model_type="clip_vision_model"),
                text_config=dict(_TINY_LM, model_type="llama"), image_token_index=999, vision_feature_layer=-1,
                image_grid_pinpoints=[[32, 64], [64, 32]])),
             realistic=("llava-v1.6-vicuna-7b", "llava-hf/llava-v1.6-vicuna-7b-hf", dict(_LLAVA_COMMON,
                vision_config=dict(_CLIP_VISION_L336, model_type="clip_vision_model"),
                text_config=dict(_VICUNA_7B, model_type="llama"), image_token_index=32000,
                image_grid_pinpoints=[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]))),
)

# The legacy project's key families (and today's), in the order `benchwh run models` lists them.
FAMILIES = ("bert", "clap", "clip", "detr", "llama", "llava", "llava-next", "qwen2", "t5", "vit",
            "wav2vec2", "whisper", "xclip", "gpt2")
