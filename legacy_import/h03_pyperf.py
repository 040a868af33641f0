"""H03: pyperf JSON (``-o result.json``; ``.json.gz`` is read gunzipped).

``{version: "1.0", metadata: {...}, benchmarks: [{metadata: {name, unit?, loops...},
runs: [{metadata: {date, calibrate_loops?...}, warmups: [[loops, value]...], values: [...]}]}]}``.
Values are per loop already. A run without ``values`` is a calibration run (pyperf's first run
of each benchmark when it calibrates loops or warmups): it measured nothing and is counted, not
used. The file's and the benchmark's metadata are merged (the benchmark's wins); the unit is
``second`` (times: samples in ms) or ``byte`` (memory: MiB).
"""

from __future__ import annotations

import statistics
from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, ptr, shaped
from benchwh.legacy_import.harness_common import drop_none, scalar
from benchwh.normalize import bytes_to_mib, is_number, parse_time, samples_to_ms, to_int
from benchwh.records import Record, Result, RunInfo

_UNITS = {"second", "byte", "integer"}


def _is_bench(b: Any) -> bool:
    return isinstance(b, dict) and isinstance(b.get("runs"), list) and all(isinstance(r, dict) for r in b["runs"])


class PyperfImporter(Importer, name="pyperf", formats=("H03",), keys={"benchmarks", "metadata", "version"},
                     required_keys={"benchmarks", "version"}):
    """pyperf JSON results (.json, .json.gz)"""

    def sniff(self, doc: Any) -> bool:
        return (shaped(doc, {"version": str, "benchmarks": list}) and doc["version"].startswith("1.")
                and bool(doc["benchmarks"])
                and all(_is_bench(b) for b in doc["benchmarks"])
                and any("values" in r or "warmups" in r for b in doc["benchmarks"] for r in b["runs"]))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        top = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        dates = [parse_time(r.get("metadata", {}).get("date")) for b in doc["benchmarks"] for r in b["runs"]
                 if isinstance(r.get("metadata"), dict)]
        dates = [d for d in dates if d is not None]
        run = RunInfo(
            origin="pyperf", started_at=min(dates) if dates else None, run_key=top.get("hostname"),
            host=top.get("hostname"), python_version=top.get("python_version"),
            library_versions=drop_none({"pyperf": top.get("perf_version")}), metadata=top,
        )
        for i, b in enumerate(doc["benchmarks"]):
            md = {**top, **(b.get("metadata") or {})}
            name = md.get("name")
            if not isinstance(name, str):
                raise Quarantine(f"pyperf benchmark {i} has no name in its metadata")
            unit = md.get("unit", "second")
            if unit not in _UNITS:
                raise Quarantine(f"pyperf benchmark {name!r}: unknown unit {unit!r}")
            measured = [r for r in b["runs"] if r.get("values")]
            calibration = [r for r in b["runs"] if not r.get("values")]
            values = [v for r in measured for v in r["values"]]
            if not all(is_number(v) for v in values):
                raise Quarantine(f"pyperf benchmark {name!r}: a value is not a number")
            run_dates = [parse_time((r.get("metadata") or {}).get("date")) for r in measured]
            run_dates = [d for d in run_dates if d is not None]
            metrics: dict[str, Any] = {
                "runs": len(measured), "calibration_runs": len(calibration),
                "loops": to_int(md.get("loops")), "inner_loops": to_int(md.get("inner_loops")),
                "values_per_run": len(measured[0]["values"]) if measured else None,
            }
            metrics["metadata"] = {k: scalar(v) for k, v in (b.get("metadata") or {}).items()}
            r = Result(run=run, model_name=None, hardware_type="cpu", device_name=md.get("cpu_model_name"),
                       benchmark=name, benchmark_params=None, reported_unit=unit,
                       measured_at=min(run_dates) if run_dates else run.started_at,
                       iterations=len(values) or None,
                       warmup_iterations=len(measured[0]["warmups"]) if measured and isinstance(measured[0].get("warmups"), list) else None,
                       provenance=ctx.prov(ptr("benchmarks", i)))
            if unit == "second" and values:
                ms = samples_to_ms(values, "s")
                r.latency_samples_ms = ms
                r.latency_ms_mean, r.latency_ms_p50 = statistics.fmean(ms), statistics.median(ms)
                r.latency_ms_min, r.latency_ms_max = min(ms), max(ms)
                r.latency_ms_std = statistics.stdev(ms) if len(ms) > 1 else None
            elif unit == "byte" and values:
                mib = [bytes_to_mib(v) for v in values]
                r.memory_peak_mb = statistics.fmean(mib)
                metrics.update(memory_samples_mib=mib, memory_max_mib=max(mib), memory_min_mib=min(mib))
            elif values:
                metrics["values"] = values
            r.metrics = drop_none(metrics)
            yield r


IMPORTERS = [PyperfImporter()]
