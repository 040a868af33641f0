"""F12 web platform ``result.json`` (web_platform_test_runner.py) and F12b
``all_models_<platform>_<TS>.json`` (the same runner's list of F12 results).

F12 shape: ``{model_key, model_name, platform (webnn|webgpu), status, test_file, browser_opened,
headless, timestamp, platform_support {available, transformers_js, onnx_runtime, web_browser,
simulated}, implementation_type (REAL_WEBGPU...), is_simulation, modality, metrics
{inference_time_ms, load_time_ms, memory_mb, throughput_items_per_second}}``, sometimes with
later-injected ``simulated_hardware [...]`` and ``warnings [...]``.

Every corpus result says ``is_simulation: true`` and ``platform_support.simulated: true`` (its
numbers are the runner's fixed stand-ins: 80 or 120 ms, 480 or 350 ms load), despite an
``implementation_type`` of ``REAL_*``: the simulation markers win and are named in the reason.
No batch size is recorded: ``batch_size`` stays None.

F12b shape: ``{timestamp, platform, headless, models_tested [...], results [<F12>...]}``. Each
entry goes through the F12 conversion on its own (its run is identified by its own timestamp),
so the entry and the per-model ``result.json`` the runner wrote for it are the same record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr, shaped
from benchwh.legacy_import.fields import clean_text, hardware_of
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo

ORIGIN = "web_platform_test_runner"

_METRIC_COLUMNS = {
    "inference_time_ms": "latency_ms_mean",
    "load_time_ms": "load_time_ms",
    "memory_mb": "memory_peak_mb",
    "throughput_items_per_second": "throughput_items_per_s",
}
_RUN_FACTS = ("model_key", "test_file", "browser", "browser_opened", "headless", "platform_support",
              "implementation_type", "simulated_hardware", "warnings")


def simulation_markers(doc: dict, platform: Any) -> list[str]:
    """The simulation markers ``doc`` carries, as text a person reads."""
    marks = []
    if doc.get("is_simulation") is True:
        marks.append("is_simulation: true")
    support = doc.get("platform_support")
    if isinstance(support, dict) and support.get("simulated") is True:
        marks.append("platform_support.simulated: true")
    listed = doc.get("simulated_hardware")
    if isinstance(listed, list) and isinstance(platform, str) and platform.strip().lower() in [
            h.strip().lower() for h in listed if isinstance(h, str)]:
        marks.append(f"simulated_hardware lists {platform.strip()}")
    impl = doc.get("implementation_type")
    if nz.is_mock_text(impl) or (isinstance(impl, str) and "simulat" in impl.lower()):
        marks.append(f"implementation_type {impl}")
    return marks


def convert_web_result(doc: dict, ctx: ImportContext, prefix: tuple = (),
                       fallback_time: datetime | None = None) -> Iterator[Record]:
    """One Result from one F12 document (standalone, or an F12b entry at JSON path ``prefix``).

    Reads ``doc`` only; ``fallback_time`` is used when the document has no timestamp. Yields
    nothing when the document names no model."""
    model = clean_text(doc.get("model_name")) or clean_text(doc.get("model_key"))
    if model is None:
        return
    when = nz.parse_time(doc.get("timestamp")) or fallback_time
    # One runner invocation per model: the model key keeps two results that share a time (an
    # aggregate's entries without their own timestamp) apart.
    run = RunInfo(origin=ORIGIN, started_at=when, run_key=clean_text(doc.get("model_key")),
                  metadata={k: doc[k] for k in _RUN_FACTS if k in doc and doc[k] is not None})
    hw, device, mock = hardware_of(doc.get("platform"))
    marks = simulation_markers(doc, doc.get("platform"))
    if mock:
        marks.append(f"platform spelled {mock!r}")
    metrics = doc.get("metrics") if isinstance(doc.get("metrics"), dict) else {}
    family = clean_text(doc.get("model_key"))
    res = Result(
        run=run, model_name=model, model_family=family,
        modality=nz.modality(doc.get("modality"), family), hardware_type=hw, device_name=device,
        batch_size=nz.to_int(metrics.get("batch_size", doc.get("batch_size"))),
        measured_at=when, is_simulated=bool(marks),
        simulation_reason="; ".join(marks) or None,
        provenance=ctx.prov(ptr(*prefix) if prefix else None),
    )
    word = nz.status(doc.get("status"))
    if word in ("failed", "error"):
        res.status = STATUS_FAILED
        res.error = clean_text(doc.get("error")) or clean_text(doc.get("error_message")) or clean_text(doc.get("status"))
    else:
        for key, column in _METRIC_COLUMNS.items():
            setattr(res, column, nz.to_float(metrics.get(key)))
        res.metrics = {k: float(v) for k, v in metrics.items()
                       if k not in _METRIC_COLUMNS and k != "batch_size" and nz.is_number(v)}
    yield res


class WebResultImporter(Importer, name="f12-web-result", formats=("F12",), keys={"model_key", "model_name",
                        "platform", "status", "test_file", "timestamp", "platform_support",
                        "implementation_type", "is_simulation", "modality", "metrics"},
                        required_keys={"platform", "model_key"}):
    """web_platform_test_runner.py result.json: one model on webnn/webgpu (simulated)"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and "platform" in doc and "model_key" in doc
                and "hardware_key" not in doc and "results" not in doc
                and ("metrics" in doc or "platform_support" in doc or "is_simulation" in doc))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        records = list(convert_web_result(doc, ctx, fallback_time=ctx.path_time))
        if not records:
            raise SkipFile("web platform result naming no model")
        yield from records


class WebAggregateImporter(Importer, name="f12b-web-aggregate", formats=("F12b",),
                           keys={"timestamp", "platform", "headless", "models_tested", "results"},
                           required_keys={"results"}):
    """web_platform_test_runner.py all_models file: a list of result.json documents"""

    def sniff(self, doc: Any) -> bool:
        return shaped(doc, {"results": list}) and ("models_tested" in doc or "platform" in doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        """Reads the aggregate; yields the F12 records of each entry. An entry without its own
        timestamp falls back to the aggregate's, then to the file name's."""
        fallback = nz.parse_time(doc.get("timestamp")) or ctx.path_time
        records: list[Record] = []
        for i, entry in enumerate(doc["results"]):
            if isinstance(entry, dict):
                records.extend(convert_web_result(entry, ctx, ("results", i), fallback))
        if not records:
            raise SkipFile("web platform aggregate with no model result")
        yield from records


IMPORTERS = [WebResultImporter(), WebAggregateImporter()]
