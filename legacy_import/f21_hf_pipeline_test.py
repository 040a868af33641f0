"""F21: Hugging Face pipeline / from_pretrained test (``test_<model>_<hw...>_<TS>.json``,
``<family>_test_<model>_<TS>.json``).

Shape: ``{results {<method>_<hw>: {model, device, task?, class?, success | <method>_success,
<method>_avg_time, <method>_min_time, <method>_max_time, ...load times, model_size_mb,
<method>_error_type}}, examples [...], performance {<method>_<hw>: {avg_time, min_time,
max_time, num_runs, load_time...}}, hardware {...}, metadata {model, timestamp, task, ...}}``.

Each ``results`` entry -> one ``TestOutcome`` (test_name = the entry key, status from
``success``/``<method>_success``) and, when it measured times, one ``Result``: scenario = the
method (``pipeline``, ``from_pretrained``, ``openvino``), hardware from ``device``;
``avg_time``/``min_time``/``max_time`` (seconds) -> latency mean/min/max in ms, ``num_runs`` ->
iterations, ``model_load_time``/``load_time``/``pipeline_load_time`` (s) -> load_time_ms,
``inference_time`` (s) -> latency when there is no avg, ``tokenizer_load_time`` (s) and
``model_size_mb`` -> metrics. ``performance[key]`` and the entry repeat the same numbers: read
once (performance first). A failed entry -> Result(status='failed', error) without numbers.

Simulated: no marker exists in this format, but some files carry placeholder timings: every
min/max exactly avg x 0.9 / avg x 1.1 around a round avg (the corpus' 2025-03-01 17:30 file).
When any entry of a file shows that exact pattern, all of the file's results are flagged
``is_simulated`` with that reason; the numbers are kept as written.

Run: origin ``hf_model_test``, started_at = ``metadata.timestamp``; ``hardware`` (availability
flags) goes to the run's environment.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, ptr, shaped
from benchwh.legacy_import.fields import str_at
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo, TestOutcome

_TIME_KEYS = ("avg_time", "min_time", "max_time", "load_time", "inference_time")
PLACEHOLDER_REASON = "placeholder timings: min/max are exactly avg x 0.9 / avg x 1.1"


def _numbers(entry: dict, perf: dict, method: str) -> dict[str, float]:
    """Seconds/counts of one test, from ``performance[key]`` then the entry's prefixed keys."""
    out: dict[str, float] = {}
    for src, prefix in ((perf, ""), (entry, f"{method}_")):
        for k, v in src.items():
            if not isinstance(k, str) or not nz.is_number(v):
                continue
            name = k[len(prefix):] if prefix and k.startswith(prefix) else k
            if name in _TIME_KEYS or name.endswith("_load_time") or name in ("num_runs", "model_size_mb"):
                out.setdefault(name, float(v))
    return out


def _placeholder(n: dict[str, float]) -> bool:
    avg, lo, hi = n.get("avg_time"), n.get("min_time"), n.get("max_time")
    return (avg is not None and lo is not None and hi is not None and avg > 0
            and math.isclose(lo, avg * 0.9, rel_tol=1e-9) and math.isclose(hi, avg * 1.1, rel_tol=1e-9))


def _success(entry: dict, method: str) -> bool | None:
    for k in ("success", f"{method}_success"):
        if isinstance(entry.get(k), bool):
            return entry[k]
    return None


class HfPipelineTestImporter(Importer, name="f21-hf-pipeline-test", formats=("F21",),
                             keys={"results", "examples", "performance", "hardware", "metadata"},
                             required_keys={'results', 'performance', 'hardware'}):
    """HF pipeline/from_pretrained test {results{method_hw}, performance{}, hardware{}, metadata{}}"""

    def sniff(self, doc: Any) -> bool:
        return shaped(doc, {"results": dict, "performance": dict}) and "hardware" in doc

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        started = nz.parse_time(meta.get("timestamp")) or ctx.path_time
        hw_flags = doc.get("hardware") if isinstance(doc.get("hardware"), dict) else {}
        run_meta = {k: meta[k] for k in ("task", "class", "description") if isinstance(meta.get(k), str)}
        run = RunInfo(origin="hf_model_test", started_at=started,
                      run_key=str_at(meta, "model"),
                      environment={"hardware": hw_flags} if hw_flags else {}, metadata=run_meta)
        entries = []
        for key, entry in doc["results"].items():
            if not isinstance(key, str) or not isinstance(entry, dict):
                continue
            device = entry.get("device")
            hw = nz.hardware_type(device) or nz.hardware_type(key.rsplit("_", 1)[-1])
            method = key[: -len(device) - 1] if isinstance(device, str) and key.endswith("_" + device) else key
            perf = doc["performance"].get(key)
            entries.append((key, entry, hw, method, _numbers(entry, perf if isinstance(perf, dict) else {}, method)))
        placeholder = any(_placeholder(n) for *_, n in entries)
        for key, entry, hw, method, n in entries:
            model = entry.get("model") if isinstance(entry.get("model"), str) else meta.get("model")
            if not isinstance(model, str) or not model.strip():
                continue
            ok = _success(entry, method)
            err_type = entry.get(f"{method}_error_type", entry.get("error_type"))
            error = entry.get("error") if isinstance(entry.get("error"), str) else (
                err_type if isinstance(err_type, str) and err_type != "none" else None)
            status = "unknown" if ok is None else ("completed" if ok else STATUS_FAILED)
            yield TestOutcome(run=run, module=None, test_name=key, status=status, model_name=model,
                              hardware_type=hw, error=error, measured_at=started,
                              is_simulated=placeholder, simulation_reason=PLACEHOLDER_REASON if placeholder else None,
                              provenance=ctx.prov(ptr("results", key)))
            common = dict(run=run, model_name=model, hardware_type=hw or "unknown",
                          device_name=device if isinstance(device, str) and nz.hardware_type(device) is None else None,
                          scenario=method, measured_at=started, is_simulated=placeholder,
                          simulation_reason=PLACEHOLDER_REASON if placeholder else None,
                          provenance=ctx.prov(ptr("results", key)))
            if ok is False:
                yield Result(status=STATUS_FAILED, error=error or "test reported success: false", **common)
                continue
            if not n:
                continue
            yield Result(**common, **_fields(n))


def _fields(n: dict[str, float]) -> dict[str, Any]:
    rest = dict(n)
    ms = nz.s_to_ms  # every time of this format is in seconds
    out: dict[str, Any] = {}
    if "avg_time" in rest:
        out["latency_ms_mean"] = ms(rest.pop("avg_time"))
    elif "inference_time" in rest:
        out["latency_ms_mean"] = ms(rest.pop("inference_time"))
    if "min_time" in rest:
        out["latency_ms_min"] = ms(rest.pop("min_time"))
    if "max_time" in rest:
        out["latency_ms_max"] = ms(rest.pop("max_time"))
    for k in ("model_load_time", "load_time", "pipeline_load_time"):
        if k in rest:
            out["load_time_ms"] = ms(rest.pop(k))
            break
    if "num_runs" in rest and nz.to_int(rest["num_runs"]) is not None:
        out["iterations"] = nz.to_int(rest.pop("num_runs"))
    metrics = {(k if k.endswith("_mb") else f"{k}_s"): v for k, v in rest.items()}
    if metrics:
        out["metrics"] = metrics
    return out


IMPORTERS = [HfPipelineTestImporter()]
