"""H04: Google Benchmark JSON (``--benchmark_out=FILE --benchmark_out_format=json`` or
``--benchmark_format=json``).

``{context: {date, host_name, executable, num_cpus, mhz_per_cpu, caches, load_avg,
library_build_type...}, benchmarks: [{name, run_name, run_type, repetitions, repetition_index,
iterations, real_time, cpu_time, time_unit, <counters>...}]}``. Each row has its own
``time_unit``. Rows of ``run_type: iteration`` are measurements (one per repetition: the
samples); ``aggregate`` rows (``_mean``, ``_median``, ``_stddev``, ``_cv``) and the complexity
rows (``BigO``, ``RMS``) are derived from them: they are not results of their own but the
statistics of the run they summarise (``_cv`` is a fraction, not a percentage).
One result per ``run_name``; its name's ``/`` segments are its parameters.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, ptr
from benchwh.legacy_import.harness_common import drop_none
from benchwh.normalize import bytes_to_mib, is_number, parse_stamp, samples_to_ms, to_float, to_int, to_ms
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo

_ROW_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
             "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
             "aggregate_name", "aggregate_unit", "error_occurred", "error_message", "label", "skipped",
             "skip_message", "max_bytes_used"}


_OLD_AGG = re.compile(r"_(mean|median|stddev|cv|BigO|RMS)$")


def _is_row(r: Any) -> bool:
    return isinstance(r, dict) and isinstance(r.get("name"), str) and ("real_time" in r or "run_type" in r
                                                                         or "error_occurred" in r)


def _params(run_name: str) -> dict[str, Any] | None:
    """``BM_Sort/1024`` -> {arg0: 1024}; ``BM_X/n:64/threads:2`` -> {n: 64, threads: 2}."""
    parts = run_name.split("/")[1:]
    out: dict[str, Any] = {}
    for i, seg in enumerate(parts):
        if ":" in seg:
            k, _, v = seg.partition(":")
            n = to_float(v)
            out[k] = (int(n) if n is not None and n == int(n) else n) if n is not None else v
        else:
            n = to_int(seg)
            out[f"arg{i}" if n is not None else seg] = n if n is not None else True
    return out or None


def _counters(row: dict) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _ROW_KEYS and k != "items_per_second" and is_number(v)}


class GoogleBenchmarkImporter(Importer, name="google-benchmark", formats=("H04",),
                              keys={"context", "benchmarks"}, required_keys={"context", "benchmarks"}):
    """Google Benchmark --benchmark_out JSON"""

    def sniff(self, doc: Any) -> bool:
        ctx = doc.get("context") if isinstance(doc, dict) else None
        return (isinstance(ctx, dict) and ("executable" in ctx or "num_cpus" in ctx)
                and isinstance(doc.get("benchmarks"), list) and all(_is_row(r) for r in doc["benchmarks"]))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        c = doc["context"]
        started = parse_stamp(c.get("date"))
        run = RunInfo(origin="google-benchmark", started_at=started, run_key=c.get("executable"),
                      host=c.get("host_name"), library_versions=drop_none({"benchmark_build": c.get("library_build_type")}),
                      metadata=c)
        groups: dict[str, list[tuple[int, dict]]] = {}
        aggregates: dict[str, dict[str, dict]] = {}
        complexity: dict[Any, dict[str, Any]] = {}
        for i, row in enumerate(doc["benchmarks"]):
            run_name = row.get("run_name") or row["name"]
            kind = row.get("run_type", "iteration")
            agg = row.get("aggregate_name")
            if "run_type" not in row:  # before 1.5: aggregates are told by their name's suffix
                m = _OLD_AGG.search(row["name"])
                if m:
                    kind, agg, run_name = "aggregate", m.group(1), row["name"][: m.start()]
            if kind == "aggregate" and agg in ("BigO", "RMS"):
                fam = complexity.setdefault(row.get("family_index", run_name), {})
                if agg == "BigO":
                    fam.update(big_o=row.get("big_o"), big_o_real_coefficient=to_float(row.get("real_coefficient")),
                               big_o_cpu_coefficient=to_float(row.get("cpu_coefficient")))
                else:
                    fam["big_o_rms"] = to_float(row.get("rms"))
            elif kind == "aggregate":
                aggregates.setdefault(run_name, {})[str(agg)] = row
            else:
                groups.setdefault(run_name, []).append((i, row))
        order = list(groups) + [n for n in aggregates if n not in groups]
        for run_name in order:
            # --benchmark_report_aggregates_only: a run known only by its aggregate rows
            rows = groups.get(run_name) or []
            aggs = aggregates.get(run_name, {})
            if rows:
                first_i, first = rows[0]
            else:
                first = next(iter(aggs.values()))
                first_i = doc["benchmarks"].index(first)
            unit = first.get("time_unit", "ns")
            metrics: dict[str, Any] = {"repetitions": len(rows) if rows else to_int(first.get("repetitions")),
                                       "threads": to_int(first.get("threads"))}
            r = Result(run=run, model_name=None, hardware_type="cpu", benchmark=run_name,
                       benchmark_params=_params(run_name), reported_unit=unit, measured_at=started,
                       iterations=to_int(first.get("iterations")) if rows else None,
                       provenance=ctx.prov(ptr("benchmarks", first_i)))
            errors = [row.get("error_message") or "error" for _, row in rows if row.get("error_occurred")]
            if errors:
                r.status, r.error = STATUS_FAILED, errors[0]
            elif rows and all(row.get("skipped") for _, row in rows):
                r.status, r.error = "skipped", first.get("skip_message")
            peaks = [row["max_bytes_used"] for _, row in rows if is_number(row.get("max_bytes_used"))]
            if peaks:  # a MemoryManager's peak heap, bytes
                r.memory_peak_mb = bytes_to_mib(max(peaks))
            times = [row.get("real_time") for _, row in rows]
            units = {row.get("time_unit", "ns") for _, row in rows}
            if not rows:
                pass  # the aggregates below are all there is
            elif len(rows) == 1:
                r.latency_ms_mean = to_ms(first.get("real_time"), unit)
                metrics["cpu_time_ms"] = to_ms(first.get("cpu_time"), unit)
                r.throughput_items_per_s = to_float(first.get("items_per_second"))
                metrics.update(_counters(first))
            elif len(units) == 1 and not errors:
                r.latency_samples_ms = samples_to_ms(times, unit)
                metrics["cpu_time_samples_ms"] = samples_to_ms([row.get("cpu_time") for _, row in rows], unit)
                metrics["items_per_second_samples"] = [row["items_per_second"] for _, row in rows
                                                       if is_number(row.get("items_per_second"))] or None
                metrics["counter_samples"] = {k: [row.get(k) for _, row in rows] for k in _counters(first)} or None
            for name, field in (("mean", "latency_ms_mean"), ("median", "latency_ms_p50"), ("stddev", "latency_ms_std")):
                a = aggs.get(name)
                if a is not None:
                    setattr(r, field, to_ms(a.get("real_time"), a.get("time_unit", unit)))
                    metrics[f"cpu_time_ms_{name}"] = to_ms(a.get("cpu_time"), a.get("time_unit", unit))
                    for k, v in _counters(a).items():
                        metrics[f"{k}_{name}"] = v
                    if name == "mean" and is_number(a.get("items_per_second")):
                        r.throughput_items_per_s = a["items_per_second"]
            cv = aggs.get("cv")
            if cv is not None:
                metrics["real_time_cv"] = to_float(cv.get("real_time"))  # a fraction (0.0068 = 0.68 %)
                metrics["cpu_time_cv"] = to_float(cv.get("cpu_time"))
                for k, v in _counters(cv).items():
                    metrics[f"{k}_cv"] = v
            for name, a in aggs.items():
                if name not in ("mean", "median", "stddev", "cv"):
                    metrics[f"aggregate_{name}_ms"] = to_ms(a.get("real_time"), a.get("time_unit", unit))
            if first.get("label"):
                metrics["label"] = first["label"]
            metrics.update(complexity.get(first.get("family_index", run_name), {}))
            r.metrics = drop_none(metrics)
            yield r


IMPORTERS = [GoogleBenchmarkImporter()]
