"""The web tables (``web_platform_results`` + ``webgpu_advanced_features``) -> results.

Runs on the star converter (``adopt_star.StarConverter``): web rows resolve ``model_id`` and
``run_id`` through the same ``models`` and ``test_runs`` tables. The hardware type comes from the
row's ``platform`` (webnn/webgpu), the device from browser and version; inference time is the
latency, load time and memory usage keep their fields, the other timings go to ``metrics``.
A failed attempt (``success`` false) is carried as a failed result even without numbers; a row
with no timing and no failure is zero-filled and flagged.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.records import Result
from benchwh.legacy_import.adopt_base import (
    R_ZERO, as_json, legacy_hardware, measured, note_zeros, plain, text, when,
)

_WEB_ZEROS = {"inference_time_ms": "latency_ms_mean", "load_time_ms": "load_time_ms",
              "memory_usage_mb": "memory_peak_mb",
              "initialization_time_ms": "metrics.initialization_time_ms",
              "total_time_ms": "metrics.total_time_ms",
              "shader_compilation_time_ms": "metrics.shader_compilation_time_ms"}


def web_records(conv) -> Iterator[Result]:
    L, ctx = conv.ctx.ledger, conv.ctx
    feats = conv._children("webgpu_advanced_features", "result_id")
    for row in conv._real_rows("web_platform_results"):
        rid = row.get("result_id")
        vals = {k: measured(row.get(k)) for k in (
            "load_time_ms", "initialization_time_ms", "inference_time_ms", "total_time_ms",
            "shader_compilation_time_ms", "memory_usage_mb")}
        failed = row.get("success") is False or row.get("success") == 0
        if all(v is None for v in vals.values()) and not failed:
            L.flag("web_platform_results", R_ZERO)
            continue
        model = conv._model(row.get("model_id"))
        if isinstance(model, str):
            L.refuse("web_platform_results", model)
            continue
        hw, _, mock = legacy_hardware(row.get("platform"))
        if hw == "unknown":
            ref = conv._hardware(row.get("hardware_id"))
            if not isinstance(ref, str):
                hw, mock = ref[0], ref[2]
        browser = " ".join(p for p in (text(row.get("browser")), text(row.get("browser_version"))) if p) or None
        metrics = {k: v for k, v in vals.items() if v is not None and k not in (
            "load_time_ms", "inference_time_ms", "memory_usage_mb")}
        if text(row.get("test_file")):
            metrics["test_file"] = row["test_file"]
        metrics.update({k: plain(v) for k, v in as_json(row.get("metrics")).items()})
        if feats.of(rid):
            metrics["webgpu_features"] = [{k: plain(v) for k, v in f.items() if k not in (
                "feature_id", "result_id", "created_at") and v is not None} for f in feats.of(rid)]
        run = conv._run(row.get("run_id"))
        conv._carry("web_platform_results", row, rid, feats)
        note_zeros(ctx, row, _WEB_ZEROS)
        yield Result(
            run=run, model_name=model[0], model_family=model[1], modality=model[2],
            hardware_type=hw, device_name=browser,
            status="failed" if failed else "completed", error=text(row.get("error_message")),
            latency_ms_mean=vals["inference_time_ms"], load_time_ms=vals["load_time_ms"],
            memory_peak_mb=vals["memory_usage_mb"], metrics=metrics, is_simulated=mock,
            simulation_reason="platform spelled as mock in the legacy row" if mock else None,
            measured_at=when(row.get("created_at")) or run.started_at,
            provenance=ctx.prov("web_platform_results", rid),
        )
    feats.settle(L)
