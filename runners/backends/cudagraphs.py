"""``--backend cudagraphs`` (cuda only): one forward pass captured in a CUDA graph on static
input buffers after warm-up on a side stream; the timed call is ``graph.replay()``, whose
outputs are the static tensors the capture produced."""

from __future__ import annotations

import time

from benchwh.runners.backends import Prepared, flatten
from benchwh.runners.models import RunnerError

WARMUP_BEFORE_CAPTURE = 3


def version() -> str:
    import torch

    return f"torch {torch.__version__} CUDA {torch.version.cuda}"


def check(device) -> None:
    if device.hardware_type != "cuda":
        raise RunnerError(f"--backend cudagraphs needs --hardware cuda (this run is on {device.hardware_type})")


def prepare(lm, inputs: dict, device, torch, precision: str) -> Prepared:
    model = lm.model
    t0 = time.perf_counter()
    with torch.cuda.device(device.torch_device), torch.inference_mode():
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):  # the allocator's warm-up happens off the capture
            for _ in range(WARMUP_BEFORE_CAPTURE):
                model(**inputs)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = model(**inputs)
        torch.cuda.synchronize()
    capture_ms = (time.perf_counter() - t0) * 1000.0
    if not flatten(static_out, torch):
        raise RunnerError("the captured forward pass returned no tensor")

    def replay():
        graph.replay()
        return static_out

    return Prepared(call=replay, outputs=lambda out: flatten(out, torch), compile_time_ms=capture_ms,
                    details={"backend": "cudagraphs", "warmup_before_capture": WARMUP_BEFORE_CAPTURE,
                             "compile_time_method": "side-stream warm-up + torch.cuda.graph capture"})
