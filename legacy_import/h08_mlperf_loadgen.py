"""H08: MLPerf loadgen logs: ``mlperf_log_summary.txt`` and ``mlperf_log_detail.txt``, with
the system description JSON beside them (``system_meta.json``).

The summary's ``key : value`` lines hold the SUT, scenario, mode, validity, the scenario's
headline metric and the latency statistics in ns (``Additional Stats``). The scenario decides
the headline: Offline -> samples per second; Server -> completed samples per second (and the
99th percentile latency); SingleStream -> the 90th percentile latency; MultiStream -> the 99th
percentile latency per query. The detail log (``:::MLLOG`` events) carries the test's time
(``test_datetime``) and the loadgen version, and holds the same results: with a summary beside
it, the summary is read (with the detail's time) and the detail is skipped; alone, the detail
is read. The hardware comes from the system description: the accelerator when the node has
one, else the host CPU; without it, ``unknown``. Loadgen names no model: in a submission's
``results/<system>/<model>/<scenario>/...`` folders the model and the system (its description
``systems/<system>.json``) come from the folders; elsewhere a result is the SUT's generic
benchmark (``benchmark`` = the SUT name, no model).
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.decode import LoadgenDetail, LoadgenSummary
from benchwh.legacy_import.harness_common import digest, drop_none
from benchwh.normalize import parse_time, to_float, to_int, to_ms
from benchwh.records import Record, Result, RunInfo

SYSTEM_FILE = "system_meta.json"
_SYS_KEYS = {"accelerator_model_name", "host_processor_model_name", "system_name"}
_PCT_RE = re.compile(r"^(\d+(?:\.\d+)?) percentile latency \(ns\)$")
_DETAIL_PCT_RE = re.compile(r"^result_(\d+(?:\.\d+)?)_percentile_latency_ns$")
_PCT_FIELD = {"50.00": "latency_ms_p50", "90.00": "latency_ms_p90", "95.00": "latency_ms_p95", "99.00": "latency_ms_p99"}
_HEADLINE = {  # scenario -> (summary key, what it is)
    "Offline": "Samples per second",
    "Server": "Completed samples per second",
    "SingleStream": "90th percentile latency (ns)",
    "MultiStream": "99th percentile latency (ns)",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "_", text.lower()).strip("_")


def _number(text: str) -> Any:
    """A summary value as a number when it is one (integers exact: rng seeds are 64-bit)."""
    try:
        return int(text)
    except ValueError:
        v = to_float(text)
        return text if v is None else v


def _is_system(doc: Any) -> bool:
    return isinstance(doc, dict) and _SYS_KEYS <= doc.keys() and ("division" in doc or "submitter" in doc)


def _hardware(sys_doc: dict | None) -> tuple[str, str | None]:
    if not sys_doc:
        return "unknown", None
    acc = str(sys_doc.get("accelerator_model_name") or "").strip()
    n_acc = to_int(sys_doc.get("accelerators_per_node"))
    if acc and acc.upper() not in ("N/A", "NONE") and (n_acc is None or n_acc > 0):
        low = acc.lower()
        if "nvidia" in low:
            return "cuda", acc
        if "amd" in low or "instinct" in low:
            return "rocm", acc
        return "unknown", acc
    cpu = str(sys_doc.get("host_processor_model_name") or "").strip()
    return "cpu", cpu or None


def _layout(ctx: ImportContext, scenario: Any) -> tuple[str | None, str | None]:
    """(system, model) when the file sits in a submission's
    ``results/<system>/<model>/<scenario>/...`` folders; (None, None) otherwise."""
    parts = (ctx.abs_path or ctx.rel_path).replace("\\", "/").split("/")[:-1]
    for i in range(len(parts) - 4, -1, -1):
        if parts[i] == "results" and parts[i + 3].lower() == str(scenario).lower():
            return parts[i + 1], parts[i + 2]
    return None, None


def _system(ctx: ImportContext, system: str | None) -> tuple[str | None, dict | None]:
    """The system description: ``system_meta.json`` beside or above the logs, else a
    submission's ``systems/<system>.json``."""
    names = [SYSTEM_FILE] + ([f"systems/{system}.json"] if system else [])
    for name in names:
        found = ctx.find_up(name)
        if found and _is_system(found[1]):
            return found[0], found[1]
    return None, None


def _beside(ctx: ImportContext, name: str):
    found = ctx.find_up(name)
    if found and os.path.dirname(found[0]) == os.path.dirname(ctx.rel_path):
        return found
    return None


def _result(ctx, *, sut, scenario, mode, validity, stats, headline, when, version, extra, key):
    system, model = _layout(ctx, scenario)
    sys_file, sys_doc = _system(ctx, system)
    hw, device = _hardware(sys_doc)
    run = RunInfo(origin="mlperf-loadgen", started_at=when, run_key=key,
                  library_versions=drop_none({"loadgen": version}),
                  metadata=drop_none({"system_description": sys_doc, "system_description_file": sys_file}))
    r = Result(run=run, model_name=model, hardware_type=hw, device_name=device, scenario=scenario,
               benchmark=sut, benchmark_params=drop_none({"mode": mode}) or None, measured_at=when,
               provenance=ctx.prov(None))
    metrics: dict[str, Any] = {"result_validity": validity, **extra}
    for name, ns in stats.items():
        v = to_ms(ns, "ns")
        if name == "min":
            r.latency_ms_min = v
        elif name == "max":
            r.latency_ms_max = v
        elif name == "mean":
            r.latency_ms_mean = v
        elif name in _PCT_FIELD:
            setattr(r, _PCT_FIELD[name], v)
        else:
            metrics[f"p{name}_ms"] = v
    hkey, hval = headline
    metrics["headline"] = hkey
    if hkey is not None and "latency" in hkey:
        metrics["headline_ms"] = to_ms(hval, "ns")
        r.reported_unit = "ns"
    else:
        r.throughput_items_per_s = to_float(hval)
        r.reported_unit = "samples/s"
    r.throughput_tokens_per_s = to_float(extra.pop("tokens_per_second", None))
    r.metrics = drop_none(metrics)
    return r


class LoadgenSummaryImporter(Importer, name="mlperf-loadgen", formats=("H08",)):
    """MLPerf loadgen mlperf_log_summary.txt (+ mlperf_log_detail.txt, system_meta.json)"""

    def sniff(self, doc: Any) -> bool:
        return isinstance(doc, LoadgenSummary) and doc.get("Scenario") is not None and doc.get("SUT name") is not None

    def convert(self, doc: LoadgenSummary, ctx: ImportContext) -> Iterator[Record]:
        scenario = doc.get("Scenario")
        stats: dict[str, Any] = {}
        params: dict[str, Any] = {}
        additional: dict[str, Any] = {}
        for section, k, v in doc.fields:
            if section == "Additional Stats":
                m = _PCT_RE.match(k)
                if m:
                    stats[m.group(1)] = _number(v)
                elif k in ("Min latency (ns)", "Max latency (ns)", "Mean latency (ns)"):
                    stats[k.split()[0].lower()] = _number(v)
                elif "(ns)" in k:  # first-token, per-output-token... latencies of LLM scenarios
                    additional[_slug(k.replace("(ns)", "")) + "_ms"] = to_ms(_number(v), "ns")
                else:
                    additional[_slug(k)] = _number(v)
            elif section == "Test Parameters Used":
                params[k] = _number(v)
        hkey = _HEADLINE.get(scenario)
        hval = doc.get(hkey) if hkey else None
        detail = _beside(ctx, "mlperf_log_detail.txt")
        when = version = None
        if detail and isinstance(detail[1], LoadgenDetail):
            when = parse_time(detail[1].value("test_datetime"))
            version = detail[1].value("loadgen_version")
        extra = drop_none({
            "tokens_per_second": doc.get("Tokens per second") or doc.get("Tokens per second (inferred)"),
            "test_parameters": params or None,
            "additional_stats": additional or None,
            "summary_fields": {k: v for sec, k, v in doc.fields if sec == "MLPerf Results Summary"},
        })
        sut = doc.get("SUT name")
        yield _result(ctx, sut=sut, scenario=scenario, mode=doc.get("Mode"), validity=doc.get("Result is"),
                      stats=stats, headline=(hkey, hval), when=when, version=version,
                      extra=extra, key=digest([sut, scenario, stats, params, hval]))


class LoadgenDetailImporter(Importer, name="mlperf-loadgen-detail", formats=("H08",)):
    """MLPerf loadgen mlperf_log_detail.txt (read when no summary is beside it)"""

    def sniff(self, doc: Any) -> bool:
        return isinstance(doc, LoadgenDetail) and doc.value("effective_scenario") is not None

    def convert(self, doc: LoadgenDetail, ctx: ImportContext) -> Iterator[Record]:
        if _beside(ctx, "mlperf_log_summary.txt"):
            raise SkipFile("MLPerf loadgen detail log: its results are read from mlperf_log_summary.txt beside it")
        scenario = doc.value("effective_scenario")
        stats: dict[str, Any] = {}
        for e in doc.events:
            k = str(e.get("key"))
            m = _DETAIL_PCT_RE.match(k)
            if m:
                stats[m.group(1)] = e.get("value")
            elif k in ("result_min_latency_ns", "result_max_latency_ns", "result_mean_latency_ns"):
                stats[k.split("_")[1]] = e.get("value")
        if scenario == "Offline":
            hkey, hval = "Samples per second", doc.value("result_samples_per_second")
        elif scenario == "Server":
            hkey, hval = "Completed samples per second", doc.value("result_completed_samples_per_sec")
        elif scenario in ("SingleStream", "MultiStream"):
            pct = "90.00" if scenario == "SingleStream" else "99.00"
            hkey, hval = _HEADLINE[scenario], stats.get(pct)
        else:
            hkey, hval = None, None
        sut = doc.value("sut_name")
        when = parse_time(doc.value("test_datetime"))
        used = {"result_samples_per_second", "result_completed_samples_per_sec", "result_validity",
                "result_min_latency_ns", "result_max_latency_ns", "result_mean_latency_ns", "result_tokens_per_second"}
        others = {}
        for e in doc.events:
            k = str(e.get("key"))
            if k.startswith("result_") and k not in used and not _DETAIL_PCT_RE.match(k):
                v = e.get("value")
                others[k[:-3] + "_ms" if k.endswith("_ns") else k] = to_ms(v, "ns") if k.endswith("_ns") else v
        yield _result(ctx, sut=sut, scenario=scenario, mode=doc.value("effective_test_mode"),
                      validity=doc.value("result_validity"), stats=stats, headline=(hkey, hval), when=when,
                      version=doc.value("loadgen_version"),
                      extra=drop_none({"tokens_per_second": doc.value("result_tokens_per_second"),
                                       "other_results": others or None}),
                      key=digest([sut, scenario, str(when)]))


class SystemDescriptionImporter(Importer, name="mlperf-system-description", formats=("H08",),
                                keys=frozenset(_SYS_KEYS | {"division", "submitter", "accelerators_per_node", "framework"}),
                                required_keys=frozenset(_SYS_KEYS)):
    """MLPerf system description JSON (skipped: read with the loadgen logs)"""

    def sniff(self, doc: Any) -> bool:
        return _is_system(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(f"MLPerf system description ({doc.get('system_name')}): read with the loadgen logs beside it")
        yield  # pragma: no cover


IMPORTERS = [LoadgenSummaryImporter(), LoadgenDetailImporter(), SystemDescriptionImporter()]
