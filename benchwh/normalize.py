"""Units, vocabularies and timestamps: the one place legacy spellings become benchwh values.

Rules (FORMATS.md, "Cross-cutting rules"): latency in ms, memory in MiB, throughput in items/s
with tokens/s apart; canonical hardware types; times naive as recorded, epoch and ``Z`` times
converted to UTC; anything missing stays ``None`` (never 0, never now()).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from itertools import repeat
from typing import Any, Callable

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


# --- numbers with a unit in a string ("12 ms", "1.5 GiB") -----------------------------------
# Factors to benchwh's units: time -> ms, memory -> MiB, rate -> per second.
UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "ns": ("ms", 1e-6), "us": ("ms", 1e-3), "µs": ("ms", 1e-3), "μs": ("ms", 1e-3), "ms": ("ms", 1.0),
    "s": ("ms", 1000.0), "sec": ("ms", 1000.0), "secs": ("ms", 1000.0), "seconds": ("ms", 1000.0),
    "min": ("ms", 60_000.0),
    "b": ("MiB", 1 / (1 << 20)), "bytes": ("MiB", 1 / (1 << 20)), "kb": ("MiB", 1 / 1024), "kib": ("MiB", 1 / 1024),
    "mb": ("MiB", 1.0), "mib": ("MiB", 1.0), "gb": ("MiB", 1024.0), "gib": ("MiB", 1024.0),
    "items/s": ("/s", 1.0), "it/s": ("/s", 1.0), "samples/s": ("/s", 1.0), "tokens/s": ("/s", 1.0),
    "tok/s": ("/s", 1.0),
}
_QUANTITY_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ/]+)\s*$")


def quantity(x: Any) -> tuple[float, str] | None:
    """``"12 ms"`` -> ``(12.0, "ms")``: a finite number followed by a unit benchwh knows (the
    unit as written, lower-cased); None for anything else (plain numbers included)."""
    if not isinstance(x, str):
        return None
    m = _QUANTITY_RE.match(x)
    if not m or m.group(2).lower() not in UNIT_FACTORS:
        return None
    v = float(m.group(1))
    return (v, m.group(2).lower()) if math.isfinite(v) else None


def in_unit(x: Any, target: str) -> float | None:
    """A string with a unit converted to ``target`` ("ms", "MiB" or "/s"), or None when it has
    no unit, an unknown one or one of another dimension ("12 MB" is not a latency)."""
    q = quantity(x)
    if q is None:
        return None
    dim, factor = UNIT_FACTORS[q[1]]
    return q[0] * factor if dim == target else None


# Values a conversion met that were numbers with a unit where a plain number was expected: the
# per-file boundary of an import collects them (``unit_values``) so they are reported, never
# dropped silently.
_UNIT_SEEN: list[list[str]] = []


class unit_values:
    """``with unit_values() as seen:`` - the unit-bearing strings ``to_float`` refused inside."""

    def __enter__(self) -> list[str]:
        self.seen: list[str] = []
        _UNIT_SEEN.append(self.seen)
        return self.seen

    def __exit__(self, *exc) -> None:
        _UNIT_SEEN.remove(self.seen)


def to_float(x: Any) -> float | None:
    """A finite number from a number or numeric string; ``None`` otherwise (bools too). A
    number with a unit (``"12 ms"``) is not a plain number: None here (the caller's field may
    want another unit; ``in_unit`` converts), and it is noted for the import report."""
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
            if _UNIT_SEEN and quantity(s) is not None:
                _UNIT_SEEN[-1].append(s)
            return None
        return v if math.isfinite(v) else None
    return None


def to_int(x: Any) -> int | None:
    v = to_float(x)
    if v is None or v != int(v):
        return None
    return int(v)


def _read(x: Any, unit: str, scale: Callable[[float], float] | None = None) -> float | None:
    """``x`` in ``unit``: a string with its own unit ("12 ms", "3 GiB") is read in that unit; a
    plain number is taken as given, through ``scale`` when its legacy unit differs from ``unit``."""
    u = in_unit(x, unit)
    if u is not None:
        return u
    v = to_float(x)
    return None if v is None else v if scale is None else scale(v)


def s_to_ms(x: Any) -> float | None:
    """Seconds -> ms; a string with its own time unit ("12 ms") is read in that unit."""
    return _read(x, "ms", lambda v: v * 1000.0)


def ms(x: Any) -> float | None:
    return _read(x, "ms")


def mib(x: Any) -> float | None:
    """A memory value already in MiB (legacy ``_mb`` keys: ``bytes / 1024**2``); a string with
    its own memory unit is read in that unit."""
    return _read(x, "MiB")


def gb_to_mib(x: Any) -> float | None:
    """Legacy "GB" values came from ``bytes / 1024**3`` (torch allocator): GiB -> MiB. A string
    with its own memory unit is read in that unit."""
    return _read(x, "MiB", lambda v: v * 1024.0)


def bytes_to_mib(x: Any) -> float | None:
    return _read(x, "MiB", lambda v: v / (1024.0 * 1024.0))


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
    return iso_time(s)


def iso_time(text: str) -> datetime | None:
    """ISO-8601 text (a date, a naive time, or one with ``Z`` or an offset, converted to UTC)
    -> naive datetime, or None when it is not one. The one ISO reader: legacy files, ``since``/
    ``until`` bounds, a baseline date and an annotation time all go through it."""
    s = text.strip()
    iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def epoch_ms_time(value: Any) -> datetime | None:
    """Unix epoch milliseconds (asv's ``date``) -> naive UTC datetime, or None."""
    v = to_float(value)
    return None if v is None else parse_time(v / 1000.0)


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


def path_time_is_naive(path: str) -> bool:
    """Whether the time ``time_from_path`` finds in ``path`` is ``YYYYMMDD_HHMMSS`` text (a
    naive local time) rather than epoch seconds (an instant)."""
    for part in reversed(re.split(r"[\\/]", path)):
        if _COMPACT_RE.search(part):
            return True
        if _EPOCH_IN_NAME_RE.search(part):
            return False
    return False


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
    """Legacy status words -> completed | failed | skipped | other lower-case word. ``error``
    words are failures (``failed``): the source's error text is kept beside, verbatim."""
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
        return "failed"
    if s.startswith("skip"):
        return "skipped"
    return s


def is_mock_text(value: Any) -> bool:
    """``(mock)``, ``MOCK``, ``Success (MOCK)``, implementation_type ``MOCK``."""
    return isinstance(value, str) and bool(re.search(r"\bmock\b", value, re.IGNORECASE))


_MOCK_OBJECT_RE = re.compile(r"\b(magic|async|non_callable_)?mock\b", re.IGNORECASE)


# A spelling as a word of its own; ``_`` separates words here (``qualcomm_init`` names qualcomm).
_HW_WORD_RE = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(sorted((re.escape(k) for k in _HW_SPELLINGS if k != "unknown"),
                                                               key=len, reverse=True)) + r")(?![A-Za-z0-9])",
                         re.IGNORECASE)


def hardware_named(text: Any) -> set[str]:
    """The canonical hardware types a free text names (``"Using mock implementation for CPU
    CLAP"`` -> ``{"cpu"}``); empty for a text naming none."""
    if not isinstance(text, str):
        return set()
    return {_HW_SPELLINGS[m.group(1).lower()] for m in _HW_WORD_RE.finditer(text)}


def is_mock_endpoint(key: Any, value: Any) -> bool:
    """A key naming an endpoint (``cpu_endpoint_type``, ``endpoint``) whose text says it was a
    mock object (``MagicMock``, ``mock``): whatever ran through that endpoint was no model."""
    return (isinstance(key, str) and "endpoint" in key.lower() and isinstance(value, str)
            and bool(_MOCK_OBJECT_RE.search(value)))


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


# --- one clock ----------------------------------------------------------------------------
# Every stored time is naive UTC, except times whose zone nothing settles: those are kept as the
# source wrote them and marked ``unknown`` (benchwh.records.TIME_BASES says how each was got).

_NAIVE_TEXT_RE = re.compile(r"^\s*(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?|20\d{6}_\d{6})\s*$")
_ZONED_TEXT_RE = re.compile(r"^\s*\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|z|[+-]\d\d:?\d\d)\s*$")
_TIME_KEY_RE = re.compile(r"time|date|stamp|created|started|finished|_at$", re.IGNORECASE)
# Evidence that a naive text and an explicit instant describe one moment: their differences all
# lie within CLOCK_SLACK_S of one whole half-hour offset (the zones of nearly all the world; the
# stamps of one run, written seconds apart) and span at most CLOCK_SPREAD_S.
CLOCK_GRID_S = 1800
CLOCK_SLACK_S = 120
CLOCK_SPREAD_S = 600
MAX_OFFSET_S = 14 * 3600


def time_evidence(doc: Any) -> tuple[set[datetime], set[datetime]]:
    """The times ``doc`` states, split by what they say about their zone: (naive: ISO or
    ``YYYYMMDD_HHMMSS`` text without a zone, as written; explicit: epoch numbers under a key
    naming a time, and texts with ``Z`` or an offset, both as UTC)."""
    naive: set[datetime] = set()
    explicit: set[datetime] = set()
    stack: list[tuple[Any, str]] = [(doc, "")]
    pop, extend = stack.pop, stack.extend
    while stack:
        node, key = pop()
        kind = type(node)
        if kind is str:
            # both time texts start with a digit (after spaces): most strings are ruled out unread
            if len(node) > 40 or not (node[:1].isdigit() or node[:1].isspace()):
                continue
            if _NAIVE_TEXT_RE.match(node):
                t = parse_time(node)
                if t is not None:
                    naive.add(t)
            elif _ZONED_TEXT_RE.match(node):
                t = parse_time(node)
                if t is not None:
                    explicit.add(t)
        elif kind is float or kind is int:  # NaN and the infinities fail the range test
            if EPOCH_MIN <= node < EPOCH_MAX and _TIME_KEY_RE.search(key):
                t = parse_time(node)
                if t is not None:
                    explicit.add(t)
        elif kind is dict or isinstance(node, dict):
            extend(zip(node.values(), map(str, node)))
        elif kind is list or isinstance(node, list):
            if _TIME_KEY_RE.search(key) is None:  # numbers under this key are no times
                node = [v for v in node if type(v) is not float]
            extend(zip(node, repeat(key)))
        elif isinstance(node, str):  # a str subclass
            stack.append((str(node), key))
        elif is_number(node) and EPOCH_MIN <= node < EPOCH_MAX and _TIME_KEY_RE.search(key):
            t = parse_time(node)
            if t is not None:
                explicit.add(t)
    return naive, explicit


def infer_offset(naive: Any, explicit: Any) -> timedelta | None:
    """The offset (local − UTC) that naive times carry, when the evidence proves one: every
    difference between a naive time and an explicit one lies within ``CLOCK_SLACK_S`` of a
    single whole half-hour offset and the differences span at most ``CLOCK_SPREAD_S`` (stamps
    taken during one run, seconds to minutes apart). None when there is no pair or the pairs
    disagree: then the naive times keep their unknown zone."""
    diffs = sorted((n - e).total_seconds() for n in naive for e in explicit)
    if not diffs or diffs[-1] - diffs[0] > CLOCK_SPREAD_S:
        return None
    mid = diffs[len(diffs) // 2]
    offset = round(mid / CLOCK_GRID_S) * CLOCK_GRID_S
    if abs(offset) > MAX_OFFSET_S or any(abs(d - offset) > CLOCK_SLACK_S for d in diffs):
        return None
    return timedelta(seconds=offset)


def zone(name: str):
    """A ``ZoneInfo`` for an IANA name (``America/Los_Angeles``) or a fixed ``UTC±HH:MM``;
    ValueError naming the problem otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = name.strip()
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d\d))?", text, re.IGNORECASE)
    if m:
        sign = -1 if m[1] == "-" else 1
        return timezone(sign * timedelta(hours=int(m[2]), minutes=int(m[3] or 0)))
    if text.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}': give an IANA name such as America/Los_Angeles, "
                         f"or UTC-08:00") from None


def local_to_utc(value: datetime, tz) -> datetime:
    """A naive local time in zone ``tz`` -> naive UTC."""
    return value.replace(tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)


def device(spelling: Any) -> tuple[str | None, str | None, bool]:
    """The one hardware/device rule every importer uses: a spelling -> ``(canonical type,
    device name, is_mock)``. The type is None for an unrecognised spelling (an OS string...),
    whose text is then kept as the device name; the device name is None when the spelling is only
    another name for the type (``CPU``, ``AMD ROCm``, ``Apple MPS``, ``Intel OpenVINO``, ``gpu``);
    a ``(mock)`` marker never stays in a device name (``cuda:0 (mock)`` -> ``cuda``, ``cuda:0``,
    mock)."""
    if not isinstance(spelling, str) or not spelling.strip():
        return None, None, False
    hw, mock = hardware(spelling)
    text = _MOCK_RE.sub(" ", spelling).strip()
    if hw is None:
        return None, text or None, mock
    return hw, informative_device_name(text, hw), mock
# --- harness units (benchmark tools' own spellings) -----------------------------------

_TIME_UNIT_MS = {
    "s": 1000.0, "sec": 1000.0, "second": 1000.0, "seconds": 1000.0,
    "ms": 1.0, "millisecond": 1.0, "milliseconds": 1.0,
    "us": 1e-3, "µs": 1e-3, "microsecond": 1e-3, "microseconds": 1e-3,
    "ns": 1e-6, "nanosecond": 1e-6, "nanoseconds": 1e-6,
}


def time_unit_ms(unit: Any) -> float | None:
    """Milliseconds in one ``unit`` (``s``, ``ms``, ``us``, ``ns`` and their long spellings),
    None for anything that is not a time unit."""
    if not isinstance(unit, str):
        return None
    return _TIME_UNIT_MS.get(unit.strip().lower())


def to_ms(x: Any, unit: Any) -> float | None:
    """A time in ``unit`` -> ms; None when the value is missing or the unit is not a time."""
    v, f = to_float(x), time_unit_ms(unit)
    return None if v is None or f is None else v * f


def samples_to_ms(values: Any, unit: Any) -> list[float] | None:
    f = time_unit_ms(unit)
    return None if f is None else _samples(values, f)


def mb_to_mib(x: Any) -> float | None:
    """Decimal megabytes (10^6 bytes, as optimum-benchmark and MLPerf write "MB") -> MiB."""
    v = to_float(x)
    return None if v is None else v * 1e6 / (1024.0 * 1024.0)


_STAMP_RE = re.compile(r"^(\d{4})/?(\d{2})/?(\d{2})-(\d{2}):?(\d{2}):?(\d{2})$")


def parse_stamp(value: Any) -> datetime | None:
    """``YYYYMMDD-HHMMSS`` (vLLM's result ``date``) or ``YYYY/MM/DD-HH:MM:SS`` (older Google
    Benchmark contexts), local time as recorded -> naive datetime; anything else goes through
    ``parse_time``."""
    if isinstance(value, str):
        m = _STAMP_RE.match(value.strip())
        if m:
            try:
                return datetime(*map(int, m.groups()))
            except ValueError:
                return None
    return parse_time(value)
