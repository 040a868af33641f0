"""``--backend compile``: ``torch.compile`` (inductor, static shapes), compiled afresh for each
configuration; the first call, where compilation happens, is the compile time, apart from the
timed calls."""

from __future__ import annotations

import time

from benchwh.runners.backends import Prepared, flatten
from benchwh.runners.loading import synchronize

MODE = "default"


def version() -> str:
    import torch

    return f"torch {torch.__version__} inductor"


def check(device) -> None:
    pass


def prepare(lm, inputs: dict, device, torch, precision: str) -> Prepared:
    torch._dynamo.reset()  # no graphs or guards of an earlier configuration
    compiled = torch.compile(lm.model, mode=MODE, dynamic=False, fullgraph=False)
    synchronize(device, torch)
    t0 = time.perf_counter()
    with torch.inference_mode():
        compiled(**inputs)
    synchronize(device, torch)
    compile_ms = (time.perf_counter() - t0) * 1000.0
    return Prepared(call=lambda: compiled(**inputs), outputs=lambda out: flatten(out, torch),
                    compile_time_ms=compile_ms,
                    details={"backend": "compile", "compile_mode": MODE, "dynamic": False,
                             "compile_time_method": "first call after torch.compile (tracing + codegen)"})
