"""Units, vocabularies and timestamps: the one place legacy spellings become benchwh values.

Rules (FORMATS.md, "Cross-cutting rules"): latency in ms, memory in MiB, throughput in items/s
with tokens/s apart; canonical hardware types; times naive as recorded, epoch and ``Z`` times
converted to UTC; anything missing stays ``None`` (never 0, never now()).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

HARDWARE_TYPES = (
    "cpu", "cuda", "rocm", "mps", "openvino", "qnn", "webnn", "webgpu", "wasm", "tpu", "xla", "unknown",
)

_HW_SPELLINGS = {
    "cpu": "cpu", "real_cpu": "cpu", "x86": "cpu", "x86_64": "cpu",
    "cuda": "cuda", "gpu": "cuda", "nvidia": "cuda", "nvidia cuda": "cuda",
    "rocm": "rocm", "amd rocm": "rocm", "amd": "rocm", "hip": "rocm",
    "mps": "mps", "apple mps": "mps", "apple": "mps", "metal": "mps",
    "openvino": "openvino", "intel openvino": "openvino",
    "qnn": "qnn", "qualcomm": "qnn", "qualcomm qnn": "qnn", "qualcomm ai engine": "qnn",
    "webnn": "webnn", "real_webnn": "webnn",
    "webgpu": "webgpu", "real_webgpu": "webgpu", "real_webgpu_transformers_js": "webgpu",
    "wasm": "wasm", "webassembly": "wasm",
    "tpu": "tpu", "xla": "xla",
    "unknown": "unknown",
}
_MOCK_RE = re.compile(r"\s*[\(\[]?\bmock\b[\)\]]?\s*", re.IGNORECASE)
_DEVICE_INDEX_RE = re.compile(r"^([a-z_ ]+?)\s*:\s*\d+$")


def hardware(spelling: Any) -> tuple[str | None, bool]:
    """Map a legacy hardware spelling to ``(canonical type, is_mock)``.

    ``cuda:0 (mock)`` -> ``("cuda", True)``; ``AMD ROCm`` -> ``("rocm", False)``. An OS string
    (``Linux-6.8.0-...``) or anything unrecognised gives ``(None, mock)``: callers decide
    whether that is ``unknown`` or an error; it is never guessed.
    """
    if not isinstance(spelling, str) or not spelling.strip():
        return None, False
    text = spelling.strip()
    mock = bool(_MOCK_RE.search(text))
    if mock:
        text = _MOCK_RE.sub(" ", text).strip()
    key = text.lower()
    m = _DEVICE_INDEX_RE.match(key)
    if m:
        key = m.group(1).strip()
    return _HW_SPELLINGS.get(key), mock


def hardware_type(spelling: Any) -> str | None:
    return hardware(spelling)[0]


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def to_float(x: Any) -> float | None:
    """A finite number from a number or numeric string; ``None`` otherwise (bools too)."""
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (int, float)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, str):
        s = x.strip().rstrip("%").strip()
        if "_" in s:  # float() accepts "20250101_000000"; a legacy timestamp is not a number
            return None
        try:
            v = float(s)
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


def to_int(x: Any) -> int | None:
    v = to_float(x)
    if v is None or v != int(v):
        return None
    return int(v)


def s_to_ms(x: Any) -> float | None:
    v = to_float(x)
    return None if v is None else v * 1000.0


def ms(x: Any) -> float | None:
    return to_float(x)


def gb_to_mib(x: Any) -> float | None:
    """Legacy "GB" values came from ``bytes / 1024**3`` (torch allocator): GiB -> MiB."""
    v = to_float(x)
    return None if v is None else v * 1024.0


def bytes_to_mib(x: Any) -> float | None:
    v = to_float(x)
    return None if v is None else v / (1024.0 * 1024.0)


def samples_s_to_ms(values: Any) -> list[float] | None:
    return _samples(values, 1000.0)


def samples_ms(values: Any) -> list[float] | None:
    return _samples(values, 1.0)


def _samples(values: Any, factor: float) -> list[float] | None:
    if not isinstance(values, list) or not values:
        return None
    out = []
    for v in values:
        f = to_float(v)
        if f is None:
            return None  # a list with holes is not a sample list we can trust
        out.append(f * factor)
    return out


# --- time -------------------------------------------------------------------------------

_COMPACT_RE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?!\d)")
_EPOCH_IN_NAME_RE = re.compile(r"(?<!\d)(1[5-9]\d{8})(?!\d)")
EPOCH_MIN, EPOCH_MAX = 946684800, 4102444800  # 2000-01-01 .. 2100-01-01


def parse_time(value: Any) -> datetime | None:
    """Any legacy timestamp style -> naive datetime, or None.

    ISO naive (as recorded), ``YYYY-MM-DD HH:MM:SS``, ``YYYYMMDD_HHMMSS``, ISO with ``Z`` or an
    offset (converted to UTC), Unix epoch seconds as number or numeric string (UTC).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or not (EPOCH_MIN <= value < EPOCH_MAX):
            return None
        return datetime.fromtimestamp(value, tz=timezone.utc).replace(tzinfo=None)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    m = _COMPACT_RE.fullmatch(s)
    if m:
        try:
            return datetime(*map(int, m.groups()))
        except ValueError:
            return None
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return parse_time(float(s))
    iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def time_from_path(path: str) -> datetime | None:
    """The time a file's name, else its nearest folder, carries (``_YYYYMMDD_HHMMSS`` or epoch
    seconds like ``_1741232337``); None when none does."""
    parts = re.split(r"[\\/]", path)
    for part in reversed(parts):
        m = _COMPACT_RE.search(part)
        if m:
            try:
                return datetime(*map(int, m.groups()))
            except ValueError:
                pass
        m = _EPOCH_IN_NAME_RE.search(part)
        if m:
            return parse_time(int(m.group(1)))
    return None


# --- configuration keys -----------------------------------------------------------------

_CONFIG_RE = re.compile(
    r"^batch_(?P<b>\d+)"
    r"(?:_seq_(?P<seq>\d+)"
    r"|_img_(?P<h>\d+)x(?P<w>\d+)"
    r"|_audio_(?P<audio>\d+(?:\.\d+)?)s)?$"
)


def parse_config_key(key: str) -> dict[str, Any] | None:
    """``batch_4_seq_128`` / ``batch_2_img_224x224`` / ``batch_1_audio_5s`` / ``batch_1`` ->
    ``{batch_size, sequence_length, input_shape}``; None if the key is not of that shape."""
    m = _CONFIG_RE.match(key.strip())
    if not m:
        return None
    out: dict[str, Any] = {"batch_size": int(m["b"]), "sequence_length": None, "input_shape": None}
    if m["seq"]:
        out["sequence_length"] = int(m["seq"])
    elif m["h"]:
        out["input_shape"] = f"img_{m['h']}x{m['w']}"
    elif m["audio"]:
        out["input_shape"] = f"audio_{m['audio']}s"
    return out


def parse_int_list(value: Any) -> list[int] | None:
    """``"1,4,16"`` / ``[1, 4]`` / ``8`` -> list of ints; None if not that."""
    if isinstance(value, list):
        out = [to_int(v) for v in value]
        return None if any(v is None for v in out) else out  # type: ignore[return-value]
    if isinstance(value, str):
        items = [p for p in re.split(r"[,\s]+", value.strip()) if p]
        out = [to_int(v) for v in items]
        return None if not out or any(v is None for v in out) else out  # type: ignore[return-value]
    v = to_int(value)
    return None if v is None else [v]


# --- vocabularies -----------------------------------------------------------------------

_MODALITY = {
    "text": "text", "nlp": "text", "language": "text",
    "vision": "vision", "image": "vision", "images": "vision",
    "audio": "audio", "speech": "audio",
    "multimodal": "multimodal", "vision-language": "multimodal",
}
_FAMILY_MODALITY = {
    "embedding": "text", "text_generation": "text", "text-generation": "text",
    "vision": "vision", "audio": "audio", "multimodal": "multimodal",
    "bert": "text", "t5": "text", "gpt": "text", "gpt2": "text", "llama": "text",
    "vit": "vision", "deit": "vision", "clip": "multimodal", "whisper": "audio",
    "wav2vec2": "audio", "clap": "audio", "llava": "multimodal",
}


def modality(value: Any, family: Any = None) -> str | None:
    if isinstance(value, str) and value.strip():
        return _MODALITY.get(value.strip().lower(), value.strip().lower())
    if isinstance(family, str):
        return _FAMILY_MODALITY.get(family.strip().lower())
    return None


_PRECISION = {
    "fp32": "fp32", "float32": "fp32", "float": "fp32", "full": "fp32",
    "fp16": "fp16", "float16": "fp16", "half": "fp16",
    "bf16": "bf16", "bfloat16": "bf16",
    "int8": "int8", "int4": "int4", "fp8": "fp8",
}


def precision(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return _PRECISION.get(value.strip().lower(), value.strip().lower())


def status(value: Any) -> str | None:
    """Legacy status words -> completed | failed | error | skipped | other lower-case word."""
    if isinstance(value, bool):
        return "completed" if value else "failed"
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip().lower()
    if s.startswith("success") or s in ("completed", "complete", "ok", "passed", "pass"):
        return "completed"
    if s.startswith("fail") or s in ("failure",):
        return "failed"
    if s.startswith("error"):
        return "error"
    if s.startswith("skip"):
        return "skipped"
    return s


def is_mock_text(value: Any) -> bool:
    """``(mock)``, ``MOCK``, ``Success (MOCK)``, implementation_type ``MOCK``."""
    return isinstance(value, str) and bool(re.search(r"\bmock\b", value, re.IGNORECASE))


def informative_device_name(spelling: Any, canonical: str | None) -> str | None:
    """The hardware spelling when it says more than its canonical type (``cuda:0``, a GPU model,
    an OS string), else None: ``CPU``, ``AMD ROCm`` or ``Apple MPS`` are only other names for the
    type. A ``(mock)`` marker is not part of a device's name (callers flag it separately)."""
    if not isinstance(spelling, str) or not spelling.strip():
        return None
    text = _MOCK_RE.sub(" ", spelling).strip()
    if not text or _HW_SPELLINGS.get(text.lower()) == canonical:
        return None
    return text
