"""``--backend onnxruntime``: the model exported with ``torch.onnx`` (TorchScript exporter,
static shapes) to a temporary file and run by ONNX Runtime: the CPU provider on cpu, the CUDA
provider on cuda (with inputs and outputs bound on the device, so no host copy is timed)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchwh.runners.backends import Prepared, flat_module, require
from benchwh.runners.models import RunnerError

OPSET = 17
_PROVIDER = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


def version() -> str:
    ort = require("onnxruntime", "onnxruntime")
    return f"onnxruntime {ort.__version__}"


def check(device) -> None:
    ort = require("onnxruntime", "onnxruntime")
    require("onnx", "onnxruntime")
    provider = _PROVIDER.get(device.hardware_type)
    if provider is None:
        raise RunnerError(f"--backend onnxruntime runs on cpu or cuda, not {device.hardware_type}")
    if provider not in ort.get_available_providers():
        raise RunnerError(f"--backend onnxruntime on {device.hardware_type}: this onnxruntime has no {provider} "
                          f"(it has {', '.join(ort.get_available_providers())}); install onnxruntime-gpu for cuda")


def prepare(lm, inputs: dict, device, torch, precision: str) -> Prepared:
    ort = require("onnxruntime", "onnxruntime")
    module, args, names = flat_module(lm.model, inputs, torch)
    provider = _PROVIDER[device.hardware_type]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="benchwh-onnx-") as tmp:
        path = Path(tmp) / "model.onnx"
        with torch.no_grad():
            torch.onnx.export(module, args, str(path), input_names=names, opset_version=OPSET, dynamo=False)
        export_ms = (time.perf_counter() - t0) * 1000.0
        opts = ort.SessionOptions()
        threads = torch.get_num_threads()
        opts.intra_op_num_threads = threads  # the same threads eager gets (--threads)
        session = ort.InferenceSession(str(path), sess_options=opts, providers=[provider])
    feeds_names = [i.name for i in session.get_inputs()]
    unknown = [n for n in feeds_names if n not in inputs]
    if unknown:
        raise RunnerError(f"the exported graph wants inputs {unknown} that the model was not given")
    details = {"backend": "onnxruntime", "provider": provider, "opset": OPSET, "exporter": "torch.onnx (TorchScript)",
               "export_ms": export_ms, "intra_op_threads": threads,
               "compile_time_method": "torch.onnx.export + InferenceSession creation"}
    if device.hardware_type == "cuda":
        binding = session.io_binding()
        bound = {n: inputs[n].contiguous() for n in feeds_names}
        for n, t in bound.items():
            binding.bind_input(n, "cuda", device.torch_device.index or 0, _np_dtype(t, torch), tuple(t.shape), t.data_ptr())
        for o in session.get_outputs():
            binding.bind_output(o.name, "cuda", device.torch_device.index or 0)

        def call():
            session.run_with_iobinding(binding)
            return binding

        call.bound_inputs = bound  # ORT reads these pointers: they live as long as the call

        prepared = Prepared(call=call, outputs=lambda b: b.copy_outputs_to_cpu(),
                            sync=binding.synchronize_outputs, details=details)
    else:
        feeds = {n: inputs[n].detach().cpu().numpy() for n in feeds_names}
        prepared = Prepared(call=lambda: session.run(None, feeds), outputs=list, details=details)
    prepared.compile_time_ms = (time.perf_counter() - t0) * 1000.0
    return prepared


def _np_dtype(t, torch):
    import numpy as np

    table = {torch.float32: np.float32, torch.float16: np.float16, torch.int64: np.int64,
             torch.int32: np.int32, torch.bool: np.bool_}
    if t.dtype not in table:
        raise RunnerError(f"onnxruntime cannot bind a {t.dtype} input")
    return table[t.dtype]
