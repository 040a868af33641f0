"""``benchwh run compatibility``: can each model load and run one forward pass on each
hardware? One CompatFact per model x hardware, with the error when not.

Hardware that this machine does not have is not evidence either way: that fact is
``compatible=None`` with status ``skipped`` and the reason, never ``False``.
"""

from __future__ import annotations

import time
from typing import Iterator

from benchwh.normalize import hardware_type
from benchwh.records import CompatFact, RunInfo
from benchwh.runners.common import Say, error_text, quiet
from benchwh.runners.deps import require
from benchwh.runners.environment import utc_now
from benchwh.runners.loading import HardwareAbsent, load, make_inputs, resolve_device, synchronize
from benchwh.runners.models import resolve_model
from benchwh.runners.timing import release

ORIGIN = "benchwh.runner.compatibility"
PROBE_BATCH, PROBE_SEQ = 1, 16


def run_compatibility(models: list[str], hardware: list[str], run: RunInfo,
                      say: Say = quiet) -> Iterator[CompatFact]:
    """Load each model (fp32) on each hardware and run one forward pass of batch 1."""
    torch, transformers = require("benchwh run compatibility")
    specs = [resolve_model(m) for m in models]
    for hw in hardware:
        try:
            device = resolve_device(hw, torch)
        except HardwareAbsent as e:
            for spec in specs:
                say(f"  {spec.key} on {hw}: skipped ({e})")
                yield CompatFact(run=run, model_name=spec.model_name, model_family=spec.family,
                                 hardware_type=hardware_type(hw) or hw.strip().lower(), compatible=None,
                                 status="skipped", error=str(e), measured_at=utc_now())
            continue
        for spec in specs:
            at = utc_now()
            details: dict = {"precision": "fp32", "weights": "random" if spec.random_weights else "pretrained"}
            try:
                lm = load(spec, device, "fp32", torch, transformers)
                details["load_time_ms"] = lm.load_time_ms
                seq = PROBE_SEQ if spec.uses_seq() else None
                inputs, details["input_shape"] = make_inputs(lm, PROBE_BATCH, seq, device, torch, lm.dtype)
                with torch.inference_mode():
                    t0 = time.perf_counter()
                    lm.model(**inputs)
                    synchronize(device, torch)
                    details["forward_ms"] = (time.perf_counter() - t0) * 1000.0
                del lm, inputs
                fact = CompatFact(run=run, model_name=spec.model_name, model_family=spec.family,
                                  hardware_type=device.hardware_type, device_name=device.device_name,
                                  compatible=True, status="completed", details=details, measured_at=at)
            except Exception as e:
                fact = CompatFact(run=run, model_name=spec.model_name, model_family=spec.family,
                                  hardware_type=device.hardware_type, device_name=device.device_name,
                                  compatible=False, status="failed", error=error_text(e),
                                  details=details, measured_at=at)
            release(device, torch)
            say(f"  {spec.key} on {device.hardware_type}: "
                + ("ok" if fact.compatible else f"FAILED {fact.error}"))
            yield fact
