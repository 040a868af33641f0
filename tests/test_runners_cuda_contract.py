"""No GPU is lent to these tests, so the CUDA branch of the timing loop and memory probe is
driven here with a recording stand-in for ``torch.cuda``: it checks the order of calls that
makes CUDA numbers right (synchronise before timing, one event pair per call waited for,
samples from ``elapsed_time``, peak counter reset before warm-up and read after a final
synchronise). It does not prove anything about real GPU numbers."""

from __future__ import annotations

from types import SimpleNamespace

from benchwh.runners.loading import Device
from benchwh.runners.timing import MemoryProbe, time_calls


class FakeCuda:
    def __init__(self):
        self.log: list[str] = []
        self.elapsed = iter([1.5, 2.5, 3.5])
        cuda = self

        class Event:
            def __init__(self, enable_timing=False):
                assert enable_timing
                self.name = f"e{len([x for x in cuda.log if x.startswith('new')])}"
                cuda.log.append(f"new {self.name}")

            def record(self):
                cuda.log.append(f"record {self.name}")

            def synchronize(self):
                cuda.log.append(f"wait {self.name}")

            def elapsed_time(self, end):
                cuda.log.append(f"elapsed {self.name}->{end.name}")
                return next(cuda.elapsed)

        class DeviceCtx:
            def __init__(self, dev):
                cuda.log.append(f"device {dev}")

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

        self.Event, self.device = Event, DeviceCtx

    def synchronize(self, device=None):
        self.log.append("sync")

    def reset_peak_memory_stats(self, device=None):
        self.log.append(f"reset-peak {device}")

    def max_memory_allocated(self, device=None):
        self.log.append(f"peak {device}")
        return 3 * 1024 * 1024


def test_cuda_timing_and_memory_call_order():
    cuda = FakeCuda()
    torch = SimpleNamespace(cuda=cuda)
    dev = Device("cuda", "cuda:0", "Fake GPU")
    calls = []

    def fn():
        cuda.log.append("call")
        calls.append(1)

    probe = MemoryProbe(dev, torch, baseline_rss=None)
    probe.start()
    fn()  # warm-up: before timing, after the peak reset
    samples, _ = time_calls(fn, 3, dev, torch)
    peak = probe.peak_mib()
    assert samples == [1.5, 2.5, 3.5] and len(calls) == 4
    assert peak == 3.0 and probe.method == "cuda max_memory_allocated"
    assert cuda.log == [
        "sync", "reset-peak cuda:0", "call",           # probe.start, warm-up
        "device cuda:0", "sync", "new e0", "new e1",   # timing starts after the warm-up finished
        *["record e0", "call", "record e1", "wait e1", "elapsed e0->e1"] * 3,
        "sync", "peak cuda:0",
    ]
