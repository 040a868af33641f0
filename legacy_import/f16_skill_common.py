"""Shared reading of a skill test's result dict (the ``__test__`` output of skills/test_hf_*.py).

The same dict appears standalone (F20), wrapped by run_performance_tests.py (F16 ``results``,
F18/F19 ``json_result``) and split per hardware (F17 ``performance_metrics {hw: ...}``). It comes
in two shapes: structured ``{status {...}, examples [...], metadata {...}}`` and flat (statuses,
outputs, ``<hw>_<what>_example`` dicts and ``metadata`` at the top level). This module exposes
no importer; F16-F21 call :func:`skill_records`.

What each part honestly is (decided here once for every skill format):

- A status string (``"cpu_init": "Success (REAL)"``, ``"Failed Qualcomm initialization"``,
  ``"Error: ..."``, ``"Apple Silicon not available"``, F19's bare ``REAL``/``MOCK``/``UNKNOWN``)
  is one sub-test outcome -> ``TestOutcome`` (test_name = the key, hardware from the key's
  prefix: cpu/cuda/openvino/apple->mps/qualcomm->qnn). ``MOCK``/``Simulated`` in the text marks
  it simulated. Strings that are outputs, shapes or dtypes are not outcomes and are not kept.
- An example (``examples[]`` entry or ``<hw>_..._example`` dict; a list entry equal to a keyed
  one is the same example) is one timed handler call. It becomes a ``Result`` only when it
  carries a measured number: ``elapsed_time`` (seconds, ``time.time()`` differences) is the
  call's latency (``latency_ms_mean``, one call: no iterations claimed); without it
  ``inference_time``/``execution_time`` (s) or ``processing_time_ms`` are. ``tokens_per_second``
  -> ``throughput_tokens_per_s``; ``gpu_memory_mb``/``memory_allocated_mb``/
  ``gpu_memory_allocated_gb`` (GiB, x1024) -> ``memory_peak_mb`` (first present); every other
  measured number (``generation_time``, ``total_time``, ``memory_reserved_mb``,
  ``realtime_factor``, ``generated_tokens``...) -> ``metrics`` with a unit suffix (``_s``,
  ``_ms``, ``_mb``; GB values converted to MiB). An example whose output is an ``Error ...``
  text is a failed call: ``Result(status='failed', error=output)`` keeping the call's timings. Examples
  with no number and no error (shape-only) yield nothing: the status keys already say they ran.
- Simulated: ``implementation_type``/``implementation`` MOCK, ``is_simulated: true`` anywhere in
  the example or its metrics, a ``(mock)`` device, an output text that says ``Simulated``/
  ``simulation``/``(MOCK``, or ``metadata.platform_status[hw]``/``metadata.transformers_mocked``
  saying so. The reason names the marker.
- Hardware-level numbers (``cuda_tokens_per_second``, ``cuda_metrics {...}``, ``cuda_timing``,
  ``cuda_metadata``, a section's ``performance_metrics``/``capabilities``) repeat or complete the
  example on that hardware: values equal to an example's are dropped as repeats; the rest are
  added to the hardware's single example, or become one ``Result`` of their own (scenario
  ``handler``) when the hardware has none or several examples. A ``<hw>_benchmark`` dict is a
  separate benchmark (scenario ``benchmark``, ``average_inference_time`` s, ``iterations``).
- Batch size: an example's ``batch_size`` key, else its input text ("Batch of 2 texts").
- Times: an example's own ``timestamp`` (ISO naive as recorded, epoch floats -> UTC), else the
  caller's time for the skill result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, ptr
from benchwh.legacy_import.fields import str_at
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo, TestOutcome

HW_PREFIXES = ("cpu", "cuda", "openvino", "apple", "mps", "qualcomm", "rocm", "webnn", "webgpu")
_NUMBER_DICTS = ("performance_metrics", "metrics", "timing", "performance", "metadata")
# Key -> the benchwh.normalize conversion of its unit (seconds, ms, GiB, MiB).
_LATENCY = (("elapsed_time", nz.s_to_ms), ("inference_time", nz.s_to_ms), ("average_inference_time", nz.s_to_ms),
            ("execution_time", nz.s_to_ms), ("avg_time", nz.s_to_ms), ("processing_time_ms", nz.ms),
            ("inference_time_ms", nz.ms))
_MEMORY = (("memory_peak_mb", nz.mib), ("gpu_memory_mb", nz.mib),
           ("gpu_memory_allocated_gb", nz.gb_to_mib), ("memory_allocated_gb", nz.gb_to_mib),
           ("memory_allocated_mb", nz.mib), ("cuda_memory_used_mb", nz.mib),
           ("memory_mb", nz.mib), ("memory_usage_mb", nz.mib))
_LOAD = (("model_load_time", nz.s_to_ms), ("load_time", nz.s_to_ms))
_COUNTS = {"generated_tokens", "tokens", "realtime_factor", "real_time_factor"}
_SIM_TEXT = re.compile(r"\bsimulat|\bmock\b", re.IGNORECASE)
_ERROR_OUT = re.compile(r"^\s*(\(mock\)\s*)?error\b", re.IGNORECASE)


@dataclass(slots=True)
class SkillContext:
    """What a caller knows about one skill result dict."""

    run: RunInfo
    ctx: ImportContext
    model_name: str | None
    module: str | None = None
    model_family: str | None = None
    base_time: datetime | None = None  # the skill result's own time (fallback for examples)
    pointer: tuple = ()


def hw_of_key(key: str) -> str | None:
    """``cuda_init`` -> ``cuda``; ``apple_tests`` -> ``mps``; ``init`` -> None."""
    head = key.split("_", 1)[0].lower()
    return nz.hardware_type(head) if head in HW_PREFIXES else None


def status_of(value: Any) -> tuple[str, str | None, str | None] | None:
    """A status string -> ``(status, error, simulation marker)``; None if it is not one."""
    if not isinstance(value, str):
        return None
    s = value.strip()
    low = s.lower()
    sim = "status says MOCK" if nz.is_mock_text(s) else ("status says simulated" if "simulat" in low else None)
    if low in ("real", "mock"):
        return "completed", None, sim
    if low == "unknown":
        return "unknown", None, None
    if low.startswith("success"):
        return "completed", None, sim
    if low.startswith("fail"):
        return "failed", s, sim
    if low.startswith("error"):
        return "failed", s, sim  # an error text is a failure; the text is kept verbatim
    if "not available" in low:
        return "skipped", None, None
    return None


def skill_model_name(d: Any, fallback: str) -> str:
    """The model a skill dict names (metadata.model_name/test_model/model_id, model_name);
    ``fallback`` (the skill's own name, e.g. ``hf_bert``) when it names none."""
    meta = d.get("metadata") if isinstance(d, dict) else None
    cands = []
    if isinstance(meta, dict):
        cands += [meta.get("model_name"), meta.get("test_model"), meta.get("model_id")]
    if isinstance(d, dict):
        cands.append(d.get("model_name"))
    for c in cands:
        if isinstance(c, str) and c.strip() and c.strip().lower() != "unknown":
            return c.strip()
    return fallback


def skill_time(d: Any) -> datetime | None:
    """metadata.test_timestamp, else metadata.timestamp of a skill dict."""
    meta = d.get("metadata") if isinstance(d, dict) else None
    if not isinstance(meta, dict):
        return None
    return nz.parse_time(meta.get("test_timestamp")) or nz.parse_time(meta.get("timestamp"))


def _is_measure(name: str) -> bool:
    n = name.lower()
    if "timestamp" in n:
        return False
    return (n in _COUNTS or n in ("iterations", "num_runs")
            or n.endswith(("_time", "_ms", "_mb", "_gb", "_seconds", "_per_second")))


def raw_numbers(d: Any, strip_prefix: str | None = None) -> dict[str, float]:
    """Measured numbers of one dict and its metric sub-dicts (``performance_metrics``,
    ``metrics``, ``timing``, ``performance``, ``metadata``, an ``output`` dict; two levels deep).
    The first value of a name wins; a different value under a repeated name is kept as
    ``<container>.<name>``. ``strip_prefix`` drops a ``<hw>_`` key prefix (flat keys)."""
    out: dict[str, float] = {}

    def take(src: Any, where: str, depth: int) -> None:
        if not isinstance(src, dict):
            return
        for k, v in src.items():
            if not isinstance(k, str):
                continue
            name = k[len(strip_prefix) + 1:] if strip_prefix and k.startswith(strip_prefix + "_") else k
            if isinstance(v, dict) and depth < 2 and (k in _NUMBER_DICTS or depth == 0 and k == "output"):
                take(v, f"{where}{k}.", depth + 1)
                continue
            f = nz.to_float(v) if nz.is_number(v) else None
            if f is None or not _is_measure(name):
                continue
            if name not in out:
                out[name] = f
            elif out[name] != f:
                out[f"{where}{name}"] = f

    take(d, "", 0)
    return out


def _metric_name(name: str, value: float) -> tuple[str, float]:
    base = name.rsplit(".", 1)[-1]
    prefix = name[: len(name) - len(base)]
    if base.endswith("_seconds"):
        return prefix + base[: -len("_seconds")] + "_s", value
    if base.endswith("_time"):
        return prefix + base + "_s", value
    if base.endswith("_gb"):
        return prefix + base[:-3] + "_mb", nz.gb_to_mib(value)
    return name, value


def fields_from_numbers(nums: dict[str, float]) -> dict[str, Any]:
    """Raw numbers -> Result keyword arguments (latency ms, memory MiB, ...) and ``metrics``."""
    rest = dict(nums)
    out: dict[str, Any] = {}
    for target, table in (("latency_ms_mean", _LATENCY), ("memory_peak_mb", _MEMORY), ("load_time_ms", _LOAD)):
        for key, convert in table:
            # a 0.0 memory read (a device status snapshot) is not a peak: it stays a metric
            if key in rest and not (target == "memory_peak_mb" and rest[key] == 0):
                out[target] = convert(rest.pop(key))
                break
    if "tokens_per_second" in rest:
        out["throughput_tokens_per_s"] = rest.pop("tokens_per_second")
    for key in ("iterations", "num_runs"):
        if key in rest and nz.to_int(rest[key]) is not None:
            out["iterations"] = nz.to_int(rest.pop(key))
            break
    metrics = dict(_metric_name(k, v) for k, v in rest.items())
    if metrics:
        out["metrics"] = metrics
    return out


def _device_names(src: Any) -> list[str]:
    if not isinstance(src, dict):
        return []
    found = []
    for k in ("device_name", "cuda_device", "device", "cuda_device_used"):
        v = src.get(k)
        if isinstance(v, str) and v.strip():
            found.append(v.strip())
    for k in ("metadata", "capabilities", "performance_metrics"):
        if isinstance(src.get(k), dict):
            found += _device_names(src[k])
    return found


def pick_device(names: list[str], hw: str) -> str | None:
    """The most telling device spelling: a GPU name before ``cuda:0``; None for a bare 'CPU'."""
    # benchwh.normalize.device: 'CUDA' restates hw, 'cuda:0' does not; '(mock)' is no part of a name
    devs = [(t, d) for t, d, _m in map(nz.device, names) if d is not None and (t is None or t == hw)]
    named = [d for t, d in devs if t is None]
    return (named or [d for _t, d in devs] or [None])[0]


def _sim_markers(ex: dict, section_impl: Any = None) -> list[str]:
    reasons = []
    impl = ex.get("implementation_type", ex.get("implementation"))
    if nz.is_mock_text(impl) or (impl is None and nz.is_mock_text(section_impl)):
        reasons.append("implementation_type MOCK")
    flags = [ex.get("is_simulated")]
    for k in ("performance_metrics", "metadata", "performance"):
        if isinstance(ex.get(k), dict):
            flags.append(ex[k].get("is_simulated"))
    out = ex.get("output")
    if isinstance(out, dict):
        flags.append(out.get("is_simulated"))
        if isinstance(out.get("performance_metrics"), dict):
            flags.append(out["performance_metrics"].get("is_simulated"))
        out = out.get("text")
    if any(f is True for f in flags):
        reasons.append("is_simulated: true")
    if any(nz.hardware(d)[1] for d in _device_names(ex)):
        reasons.append("device marked (mock)")
    if isinstance(out, str) and _SIM_TEXT.search(out):
        reasons.append("output text says simulated/mock")
    return reasons


class _Collector:
    """Per-hardware examples and hardware-level numbers of one skill dict."""

    def __init__(self) -> None:
        self.examples: list[tuple[tuple, dict, str | None, str | None]] = []
        self.hw_nums: dict[str, dict[str, float]] = {}
        self.hw_ptr: dict[str, tuple] = {}
        self.hw_devices: dict[str, list[str]] = {}
        self.hw_time: dict[str, datetime] = {}
        self.hw_sims: dict[str, list[str]] = {}
        self.benchmarks: list[tuple[tuple, str, dict]] = []

    def add_example(self, where: tuple, ex: dict, scenario: str | None, hw: str | None) -> None:
        if any(ex == other for _, other, _, _ in self.examples):
            return  # the examples[] list repeats the keyed example dicts
        self.examples.append((where, ex, scenario, hw))

    def add_hw(self, hw: str, where: tuple, key: str, value: Any) -> None:
        if key.endswith("_timestamp") and nz.parse_time(value):
            self.hw_time.setdefault(hw, nz.parse_time(value))  # type: ignore[arg-type]
            return
        if key.endswith("_benchmark") and isinstance(value, dict):
            self.benchmarks.append((where, hw, value))
            return
        if isinstance(value, dict):
            nums = raw_numbers(value)
            self.hw_devices.setdefault(hw, []).extend(_device_names(value))
            if nums:
                self.hw_sims.setdefault(hw, []).extend(_sim_markers(value))
        elif isinstance(value, str) and key.endswith(("_device", "_device_used")):
            self.hw_devices.setdefault(hw, []).append(value)
            return
        else:
            nums = raw_numbers({key: value}, strip_prefix=key.split("_", 1)[0])
        if nums:
            bucket = self.hw_nums.setdefault(hw, {})
            for k, v in nums.items():
                bucket.setdefault(k, v)
            self.hw_ptr.setdefault(hw, where)


def _walk(d: dict, sc: SkillContext, col: _Collector, hw_hint: str | None, outcomes: list) -> None:
    sources: list[tuple[tuple, dict]] = [(sc.pointer, d)]
    if isinstance(d.get("status"), dict):
        sources.append((sc.pointer + ("status",), d["status"]))
    for base, src in sources:
        for key, val in src.items():
            if not isinstance(key, str) or key in ("metadata", "examples", "status") or key.endswith(
                    "implementation_type"):
                continue  # implementation_type is a marker (read per example), not a sub-test
            hw = hw_of_key(key) or (nz.hardware_type(key) if key in HW_PREFIXES else None) or hw_hint
            where = base + (key,)
            if key.endswith("_example") and isinstance(val, dict):
                mid = key[: -len("_example")]
                if hw_of_key(mid):
                    mid = mid.split("_", 1)[1] if "_" in mid else ""
                col.add_example(where, val, mid or None, hw)
            elif status_of(val) is not None:
                outcomes.append((where, key, hw, val))
            elif hw is not None:
                col.add_hw(hw, where, key, val)
    for i, ex in enumerate(d.get("examples") if isinstance(d.get("examples"), list) else []):
        if isinstance(ex, dict):
            col.add_example(sc.pointer + ("examples", i), ex, str_at(ex, "test_type"), hw_hint)


def _mock_endpoints(d: dict, hw_hint: str | None) -> dict[str | None, str]:
    """Hardware -> the reason, for each endpoint the skill dict says was a mock object
    (``"cpu_endpoint_type": "MagicMock"``); an endpoint key without a hardware prefix is the
    hint's hardware (None: every hardware of the dict)."""
    out: dict[str | None, str] = {}
    for src in (d, d.get("status")):
        for key, val in (src.items() if isinstance(src, dict) else ()):
            if nz.is_mock_endpoint(key, val):
                out.setdefault(hw_of_key(key) or hw_hint, f"{key}: {val.strip()[:60]!r} (a mock endpoint)")
    return out


def _endpoint_sim(mocks: dict[str | None, str], hw: str | None) -> list[str]:
    return [r for r in (mocks.get(hw), mocks.get(None) if hw is not None else None) if r]


def _doc_sim(d: dict, hw: str | None) -> list[str]:
    meta = d.get("metadata")
    if not isinstance(meta, dict):
        return []
    reasons = []
    if meta.get("transformers_mocked") is True:
        reasons.append("metadata.transformers_mocked: true")
    ps = meta.get("platform_status")
    if isinstance(ps, dict) and hw:
        for k, v in ps.items():
            if isinstance(k, str) and nz.hardware_type(k) == hw and isinstance(v, str) and (
                    nz.is_mock_text(v) or "simulat" in v.lower()):
                reasons.append(f"metadata.platform_status.{k}: {v}")
    return reasons


_BATCH_TEXT = re.compile(r"^\s*batch of (\d+)\b", re.IGNORECASE)


def example_batch(ex: dict) -> int | None:
    """The batch size an example states: a ``batch_size`` key (in it, its output or metrics),
    else an input text like "Batch of 2 texts"; None when it states none."""
    for src in (ex, ex.get("output"), ex.get("performance_metrics"), ex.get("metrics")):
        if isinstance(src, dict) and nz.to_int(src.get("batch_size")) is not None:
            return nz.to_int(src.get("batch_size"))
    inp = ex.get("input")
    m = _BATCH_TEXT.match(inp) if isinstance(inp, str) else None
    return int(m.group(1)) if m else None


def _result(sc: SkillContext, hw: str | None, where: tuple, scenario: str | None, when: datetime | None,
            sims: list[str], device: str | None, **kw: Any) -> Result:
    return Result(
        run=sc.run, model_name=sc.model_name, model_family=sc.model_family,
        modality=nz.modality(None, sc.model_family), hardware_type=hw or "unknown",
        device_name=device, scenario=scenario, measured_at=when,
        is_simulated=bool(sims), simulation_reason="; ".join(dict.fromkeys(sims)) or None,
        provenance=sc.ctx.prov(ptr(*where)), **kw)


def skill_records(d: Any, sc: SkillContext, hw_hint: str | None = None,
                  section_impl: Any = None) -> Iterator[Record]:
    """Records of one skill dict ``d`` (see the module docstring). ``hw_hint`` is the hardware
    of an F17 per-hardware section (keys without a prefix belong to it)."""
    if not isinstance(d, dict):
        return
    col, outcomes = _Collector(), []
    _walk(d, sc, col, hw_hint, outcomes)
    mocks = _mock_endpoints(d, hw_hint)
    for where, key, hw, val in outcomes:
        st, err, sim = status_of(val)  # type: ignore[misc]
        sim = "; ".join(dict.fromkeys(([sim] if sim else []) + _endpoint_sim(mocks, hw))) or None
        yield TestOutcome(
            run=sc.run, module=sc.module, test_name=key, status=st, model_name=sc.model_name,
            hardware_type=hw, error=err, details={} if err == val else {"status_text": val},
            is_simulated=sim is not None, simulation_reason=sim, measured_at=sc.base_time,
            provenance=sc.ctx.prov(ptr(*where)))
    ordered: list[Result] = []  # example order, failed calls included
    per_hw: dict[str | None, list[tuple[Result, dict[str, float]]]] = {}
    for where, ex, scenario, key_hw in col.examples:
        plat = ex.get("platform")
        hw = nz.hardware_type(plat) or key_hw
        plat_dev = plat.strip() if isinstance(plat, str) and nz.hardware_type(plat) is None and plat.strip() else None
        sims = _sim_markers(ex, section_impl) + _doc_sim(d, hw) + _endpoint_sim(mocks, hw)
        device = plat_dev or pick_device(_device_names(ex) + col.hw_devices.get(hw or "", []), hw or "")
        when = nz.parse_time(ex.get("timestamp")) or sc.base_time
        out = ex.get("output")
        if isinstance(out, str) and _ERROR_OUT.match(out):
            # a failed call: its error text verbatim, and the time the call took is kept
            ordered.append(_result(sc, hw, where, scenario, when, sims, device, status=STATUS_FAILED,
                                   error=out.strip(), batch_size=example_batch(ex),
                                   **fields_from_numbers(raw_numbers(ex))))
            continue
        nums = raw_numbers(ex)
        if not nums:
            continue
        res = _result(sc, hw, where, scenario, when, sims, device, batch_size=example_batch(ex),
                      **fields_from_numbers(nums))
        per_hw.setdefault(hw, []).append((res, nums))
        ordered.append(res)
    handlers: list[Result] = []
    for hw, hnums in col.hw_nums.items():
        done = per_hw.get(hw, [])
        fresh = {k: v for k, v in hnums.items() if not any(n.get(k) == v for _, n in done)}
        if not fresh:
            continue
        if len(done) == 1:
            res, nums = done[0]
            merged = dict(fresh)
            merged.update(nums)  # the example's own values win
            for k, v in fields_from_numbers(merged).items():
                setattr(res, k, v)
            sims = ([res.simulation_reason] if res.simulation_reason else []) + col.hw_sims.get(hw, [])
            res.is_simulated = bool(sims)
            res.simulation_reason = "; ".join(dict.fromkeys(sims)) or None
            continue
        sims = (_doc_sim(d, hw) + col.hw_sims.get(hw, []) + _endpoint_sim(mocks, hw)
                + (["implementation_type MOCK"] if nz.is_mock_text(section_impl) else []))
        device = pick_device(col.hw_devices.get(hw, []), hw)
        handlers.append(_result(sc, hw, col.hw_ptr[hw], "handler", col.hw_time.get(hw, sc.base_time), sims,
                                device, **fields_from_numbers(fresh)))
    yield from ordered
    yield from handlers
    for where, hw, bench in col.benchmarks:
        nums = raw_numbers(bench)
        if nums:
            device = pick_device(_device_names(bench) + col.hw_devices.get(hw, []), hw)
            yield _result(sc, hw, where, "benchmark", sc.base_time, _doc_sim(d, hw) + _endpoint_sim(mocks, hw), device,
                          **fields_from_numbers(nums))
