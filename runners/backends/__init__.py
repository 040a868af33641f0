"""Inference backends: how a loaded model is turned into the call that is timed.

``eager`` calls the PyTorch model; ``compile`` wraps it in ``torch.compile``; ``cudagraphs``
captures one call in a CUDA graph and replays it (cuda only); ``onnxruntime`` exports it with
``torch.onnx`` and runs the file in ONNX Runtime (CPU or CUDA provider); ``openvino`` converts
it with OpenVINO and runs it on OpenVINO's CPU device. Each non-eager backend is prepared per
configuration (shapes are static), its preparation time is recorded apart from the timed calls
(``compile_time_ms``), and its outputs are checked against eager before anything is timed
(``parity``). The optional libraries are imported only by the backend that uses them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from benchwh.runners.models import RunnerError

BACKENDS = ("eager", "compile", "cudagraphs", "onnxruntime", "openvino")
_MODULES = {"eager": "eager", "compile": "compiled", "cudagraphs": "cudagraphs",
            "onnxruntime": "ort", "openvino": "ov"}
# Largest |backend - eager| allowed, relative to the largest |eager| value (at least 1).
TOLERANCE = {"fp32": 1e-3, "fp16": 1e-2, "bf16": 5e-2}


@dataclass
class Prepared:
    """A backend ready for one configuration.

    ``call``: the zero-argument call that is timed. ``outputs``: its return value as a list of
    arrays, in the order of ``flatten(eager output)``. ``sync``: for a backend that runs
    outside torch's CUDA stream, a function that waits for its work (the timing loop then reads
    the wall clock after it instead of CUDA events). ``compile_time_ms``: preparation (export,
    conversion, compilation, capture and the first call where that is when compiling happens).
    """

    call: Callable[[], Any]
    outputs: Callable[[Any], list]
    compile_time_ms: float | None = None
    sync: Callable[[], None] | None = None
    details: dict[str, Any] = field(default_factory=dict)


def backend(name: str):
    """The module implementing ``name`` (each has ``version()``, ``check(device)``,
    ``prepare(lm, inputs, device, torch)``); RunnerError for an unknown name."""
    if name not in _MODULES:
        raise RunnerError(f"unknown backend '{name}': use {', '.join(BACKENDS)}")
    return importlib.import_module(f"benchwh.runners.backends.{_MODULES[name]}")


def flatten(out: Any, torch) -> list:
    """Every tensor of a model output (ModelOutput, tuple, dict), depth first, in order;
    caches and other objects are left out."""
    if torch.is_tensor(out):
        return [out]
    if isinstance(out, dict):  # ModelOutput is a dict of the fields that are set
        return [t for v in out.values() for t in flatten(v, torch)]
    if isinstance(out, (list, tuple)):
        return [t for v in out for t in flatten(v, torch)]
    return []


def parity(reference: list, got: list, precision: str, torch) -> dict[str, Any]:
    """Compare a backend's outputs with eager's: ``{"max_abs_diff", "scale", "relative",
    "tolerance", "outputs", "passed"}``. Reads tensors or numpy arrays; writes nothing."""
    import numpy as np

    tol = TOLERANCE[precision]
    if len(reference) != len(got):
        return {"passed": False, "tolerance": tol, "outputs": len(got),
                "reason": f"{len(got)} output(s), eager gives {len(reference)}"}
    worst, scale = 0.0, 1.0
    for ref, x in zip(reference, got):
        a = ref.detach().float().cpu().numpy() if torch.is_tensor(ref) else np.asarray(ref, dtype=np.float32)
        b = x.detach().float().cpu().numpy() if torch.is_tensor(x) else np.asarray(x, dtype=np.float32)
        if a.shape != b.shape:
            return {"passed": False, "tolerance": tol, "outputs": len(got),
                    "reason": f"output shape {b.shape}, eager gives {a.shape}"}
        if a.size:
            worst = max(worst, float(np.nanmax(np.abs(a - b))) if np.isfinite(b).all() else float("inf"))
            scale = max(scale, float(np.abs(a).max()))
    rel = worst / scale
    return {"max_abs_diff": worst, "scale": scale, "relative": rel, "tolerance": tol,
            "outputs": len(got), "passed": bool(rel <= tol)}


def flat_module(model: Any, inputs: dict, torch):
    """``(module, args, names)``: a module taking the tensor inputs positionally (in ``names``
    order; non-tensor inputs such as ``use_cache`` fixed inside) and returning the flattened
    output tuple: the form exporters and converters take."""
    names = [k for k, v in inputs.items() if torch.is_tensor(v)]
    fixed = {k: v for k, v in inputs.items() if not torch.is_tensor(v)}

    class Flat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            kw = dict(zip(names, tensors))
            kw.update(fixed)
            return tuple(flatten(self.model(**kw), torch))

    return Flat().eval(), tuple(inputs[k] for k in names), names


def require(module: str, extra: str):
    """Import an optional backend library or say which extra to install."""
    from benchwh.errors import MissingExtraError

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(extra, f"--backend {extra} (needs {module})") from None
