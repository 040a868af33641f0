"""Timing loops and memory probes, one implementation per device kind.

CPU: ``time.perf_counter_ns`` around each call. CUDA: a pair of CUDA events around each call,
waited for before the next call, so a sample is the device time of exactly that call (warm-up
is run and synchronised before the first sample). MPS: ``torch.mps.synchronize`` then the
wall clock. Memory: on CUDA the caching allocator's peak (``reset_peak_memory_stats`` before,
``max_memory_allocated`` after); on CPU the growth of the process's resident set (peak RSS
during the configuration minus RSS before the model was loaded).
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from benchwh.runners.loading import Device, synchronize

MIB = 1024.0 * 1024.0


def time_calls(fn: Callable[[], Any], iterations: int, device: Device, torch: ModuleType,
               keep: bool = False, sync: Callable[[], None] | None = None) -> tuple[list[float], list[Any]]:
    """Call ``fn`` ``iterations`` times; each call's latency in ms, and (``keep``) its
    return values. Between the two clock readings there is the call and, where the device
    needs one, its wait, nothing else: without ``keep`` the return value is dropped at once
    (as a bare ``fn()`` statement drops it, so the previous output never lives through the next
    call), with it the value is stored after the second reading. ``sync``: for work outside
    torch's streams (ONNX Runtime on CUDA), waited for after each call and timed with the wall
    clock instead of CUDA events."""
    if sync is not None:
        synchronize(device, torch)
        sync()
        return _wall_clock(fn, iterations, keep, sync)
    if device.hardware_type == "cuda":
        return _cuda_events(fn, iterations, device, torch, keep)
    if device.hardware_type == "mps":
        torch.mps.synchronize()
        return _wall_clock(fn, iterations, keep, torch.mps.synchronize)
    return _wall_clock(fn, iterations, keep, None)


def _wall_clock(fn: Callable[[], Any], iterations: int, keep: bool,
                sync: Callable[[], None] | None) -> tuple[list[float], list[Any]]:
    """``time.perf_counter_ns`` around each call (and its ``sync``)."""
    samples: list[float] = []
    kept: list[Any] = []
    clock = time.perf_counter_ns
    if sync is not None:
        call = fn

        def fn() -> Any:
            out = call()
            sync()
            return out
    if keep:
        put = kept.append
        for _ in range(iterations):
            t0 = clock()
            out = fn()
            t1 = clock()
            samples.append((t1 - t0) / 1e6)
            put(out)
    else:
        for _ in range(iterations):
            t0 = clock()
            fn()
            t1 = clock()
            samples.append((t1 - t0) / 1e6)
    return samples, kept


def _cuda_events(fn: Callable[[], Any], iterations: int, device: Device, torch: ModuleType,
                 keep: bool) -> tuple[list[float], list[Any]]:
    """A pair of CUDA events around each call, waited for before the next call."""
    samples: list[float] = []
    kept: list[Any] = []
    with torch.cuda.device(device.torch_device):
        torch.cuda.synchronize()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        if keep:
            for _ in range(iterations):
                start.record()
                out = fn()
                end.record()
                end.synchronize()
                samples.append(float(start.elapsed_time(end)))
                kept.append(out)
        else:
            for _ in range(iterations):
                start.record()
                fn()
                end.record()
                end.synchronize()
                samples.append(float(start.elapsed_time(end)))
    return samples, kept


# --- memory ---------------------------------------------------------------------------

def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def current_rss_bytes() -> int | None:
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib * 1024
    try:
        import psutil  # not on every GPU box; only used where /proc is missing (macOS)
    except ImportError:
        return None
    return int(psutil.Process().memory_info().rss)


def _reset_rss_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class MemoryProbe:
    """Peak memory of one configuration, in MiB, and how it was measured.

    ``baseline_rss`` is the process's RSS before the model was loaded (CPU)."""

    def __init__(self, device: Device, torch: ModuleType, baseline_rss: int | None):
        self.device, self.torch, self.baseline = device, torch, baseline_rss
        self.method: str | None = None

    def start(self) -> None:
        if self.device.hardware_type == "cuda":
            synchronize(self.device, self.torch)
            self.torch.cuda.reset_peak_memory_stats(self.device.torch_device)
            self.method = "cuda max_memory_allocated"
        elif self.device.hardware_type == "cpu":
            self.method = ("peak RSS (VmHWM) minus RSS before model load" if _reset_rss_peak()
                           else "RSS after the timed loop minus RSS before model load")

    def peak_mib(self) -> float | None:
        if self.device.hardware_type == "cuda":
            synchronize(self.device, self.torch)
            return self.torch.cuda.max_memory_allocated(self.device.torch_device) / MIB
        if self.device.hardware_type == "cpu" and self.baseline is not None:
            if self.method and self.method.startswith("peak RSS"):
                hwm = _status_kib("VmHWM")
                peak = hwm * 1024 if hwm is not None else None
            else:
                peak = current_rss_bytes()
            if peak is None:
                return None
            return (peak - self.baseline) / MIB
        return None  # MPS has no peak counter in torch's stable API


def release(device: Device, torch: ModuleType) -> None:
    """Return cached device memory after a model or a failed configuration."""
    import gc

    gc.collect()
    if device.hardware_type == "cuda":
        torch.cuda.empty_cache()
    elif device.hardware_type == "mps":
        torch.mps.empty_cache()
