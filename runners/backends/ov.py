"""``--backend openvino``: the PyTorch model converted with ``openvino.convert_model`` (static
shapes, from example inputs) and compiled for OpenVINO's CPU device, with the inference
precision pinned to the requested one (OpenVINO's CPU default may be bf16 where the CPU has
it, which would not be the fp32 model)."""

from __future__ import annotations

import time

from benchwh.runners.backends import Prepared, flat_module, require
from benchwh.runners.models import RunnerError

_HINT = {"fp32": "f32", "fp16": "f16", "bf16": "bf16"}


def version() -> str:
    ov = require("openvino", "openvino")
    return f"openvino {ov.__version__}"


def devices() -> list[str]:
    ov = require("openvino", "openvino")
    return list(ov.Core().available_devices)


def check(device) -> None:
    require("openvino", "openvino")
    if device.hardware_type != "cpu":
        raise RunnerError(f"--backend openvino runs on OpenVINO's CPU device: use --hardware cpu "
                          f"(OpenVINO devices here: {', '.join(devices())})")


def prepare(lm, inputs: dict, device, torch, precision: str) -> Prepared:
    ov = require("openvino", "openvino")
    module, args, names = flat_module(lm.model, inputs, torch)
    t0 = time.perf_counter()
    with torch.no_grad():
        converted = ov.convert_model(module, example_input=args)
    convert_ms = (time.perf_counter() - t0) * 1000.0
    threads = torch.get_num_threads()
    compiled = ov.Core().compile_model(converted, "CPU", {"INFERENCE_PRECISION_HINT": _HINT[precision],
                                                           "INFERENCE_NUM_THREADS": threads})
    request = compiled.create_infer_request()
    feeds = [a.detach().cpu().numpy() for a in args]
    outs = list(compiled.outputs)

    def call():
        request.infer(feeds)
        return request

    def outputs(req):
        return [req.get_tensor(o).data.copy() for o in outs]

    return Prepared(call=call, outputs=outputs, compile_time_ms=(time.perf_counter() - t0) * 1000.0,
                    details={"backend": "openvino", "device": "CPU", "convert_ms": convert_ms,
                             "inference_precision_hint": _HINT[precision], "inference_num_threads": threads,
                             "compile_time_method": "openvino.convert_model + compile_model"})
