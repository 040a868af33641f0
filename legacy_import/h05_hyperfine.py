"""H05: hyperfine ``--export-json`` files.

``{results: [{command, mean, stddev, median, user, system, min, max, times, exit_codes,
parameters?, memory_usage_byte?}]}``, times in seconds. A statistic of 0.0 is a measured value,
never "missing". ``parameters`` (``-P``/``-L`` values) are text, and stay text. hyperfine writes
no time and no machine: the run is identified by the file's content, its time is the one in
the file's name or folder (if any), and the commands ran on the host's CPU.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, ptr
from benchwh.legacy_import.harness_common import digest, drop_none, flat_params
from benchwh.normalize import bytes_to_mib, is_number, s_to_ms, samples_s_to_ms
from benchwh.records import Record, Result, RunInfo


def _is_result(r: Any) -> bool:
    return isinstance(r, dict) and isinstance(r.get("command"), str) and "mean" in r and ("times" in r or "median" in r)


class HyperfineImporter(Importer, name="hyperfine", formats=("H05",), keys={"results"},
                        required_keys={"results"}):
    """hyperfine --export-json results"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and set(doc) == {"results"} and isinstance(doc["results"], list)
                and bool(doc["results"]) and all(_is_result(r) for r in doc["results"]))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        run = RunInfo(origin="hyperfine", started_at=None, run_key=digest(doc["results"]))
        for i, res in enumerate(doc["results"]):
            codes = res.get("exit_codes") if isinstance(res.get("exit_codes"), list) else None
            mem = res.get("memory_usage_byte") if isinstance(res.get("memory_usage_byte"), list) else None
            metrics = drop_none({
                "user_ms": s_to_ms(res.get("user")), "system_ms": s_to_ms(res.get("system")),
                "exit_codes": codes, "failed_runs": sum(1 for c in codes if c not in (0, None)) if codes else None,
                "memory_usage_mib": [bytes_to_mib(v) for v in mem] if mem else None,
            })
            times = samples_s_to_ms(res.get("times"))
            yield Result(
                run=run, model_name=None, hardware_type="cpu", benchmark=res["command"],
                benchmark_params=flat_params(res.get("parameters")), reported_unit="s",
                latency_ms_mean=s_to_ms(res.get("mean")), latency_ms_p50=s_to_ms(res.get("median")),
                latency_ms_min=s_to_ms(res.get("min")), latency_ms_max=s_to_ms(res.get("max")),
                latency_ms_std=s_to_ms(res.get("stddev")), latency_samples_ms=times,
                iterations=len(times) if times else None,
                memory_peak_mb=bytes_to_mib(max(v for v in mem if is_number(v))) if mem and any(is_number(v) for v in mem) else None,
                metrics=metrics, measured_at=ctx.path_time, provenance=ctx.prov(ptr("results", i)),
            )


IMPORTERS = [HyperfineImporter()]
