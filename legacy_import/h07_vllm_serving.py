"""H07: vLLM ``benchmark_serving.py`` / ``vllm bench serve`` results: ``--save-result`` JSON
and ``--append-result`` JSON Lines (one result per line; the file may still be called
``.json``).

A result: ``date`` (``YYYYMMDD-HHMMSS``), ``backend``, ``model_id``, ``tokenizer_id``,
``num_prompts``, ``request_rate`` (a number or the text ``"inf"``), ``burstiness``,
``max_concurrency``, ``duration`` (s), ``completed``, token totals, ``request_throughput``
(req/s), ``output_throughput`` and ``total_token_throughput`` (tok/s), and per latency family
(TTFT, TPOT, ITL, E2EL) ``mean_*_ms``, ``median_*_ms``, ``std_*_ms``, ``pNN_*_ms``: summaries in
ms. With ``--save-detailed`` it also holds per-request arrays in *seconds*: ``ttfts``,
``itls`` (one list per request), ``e2els``/``latencies``, ``input_lens``, ``output_lens``,
``errors``. Extra top-level scalars (``--metadata k=v``) are the user's labels of the run.

Each latency family is its own result (``scenario`` = ``ttft``, ``tpot``, ``itl``, ``e2el``) and
the throughputs one more (``scenario`` = ``throughput``). The request rate, burstiness,
concurrency, prompt count, backend and the user's labels are the parameters. The hardware is
not in the file: ``unknown``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, ptr
from benchwh.legacy_import.decode import JsonLines
from benchwh.legacy_import.harness_common import drop_none, scalar
from benchwh.normalize import is_number, parse_stamp, samples_to_ms, to_float, to_int, to_ms
from benchwh.records import Record, Result, RunInfo

_STAT_RE = re.compile(r"^(mean|median|std|p(\d+(?:\.\d+)?))_(ttft|tpot|itl|e2el)_ms$")
_FAMILIES = ("ttft", "tpot", "itl", "e2el")
_PER_REQUEST = {"ttfts": "ttft", "itls": "itl", "e2els": "e2el", "latencies": "e2el"}
_KNOWN = {"date", "backend", "model_id", "tokenizer_id", "num_prompts", "request_rate", "burstiness",
          "max_concurrency", "duration", "completed", "failed", "total_input_tokens", "total_output_tokens",
          "request_throughput", "request_goodput", "request_goodput:", "output_throughput",
          "total_token_throughput", "input_lens", "output_lens", "errors", "generated_texts",
          "max_output_tokens_per_s", "max_concurrent_requests", "endpoint_type", "label"}
_PARAMS = ("backend", "request_rate", "burstiness", "max_concurrency", "num_prompts")
_FIELD = {"mean": "latency_ms_mean", "median": "latency_ms_p50", "std": "latency_ms_std",
          "p90": "latency_ms_p90", "p95": "latency_ms_p95", "p99": "latency_ms_p99", "p50": "latency_ms_p50"}


def _is_result(d: Any) -> bool:
    return (isinstance(d, dict) and isinstance(d.get("model_id"), str)
            and any(k in d for k in ("mean_ttft_ms", "median_ttft_ms", "mean_e2el_ms"))
            and ("request_throughput" in d or "completed" in d))


class VllmServingImporter(Importer, name="vllm-benchmark-serving", formats=("H07",), keys={"date", "backend",
                          "model_id", "tokenizer_id", "num_prompts", "request_rate", "duration", "completed",
                          "request_throughput", "mean_ttft_ms", "median_ttft_ms", "mean_tpot_ms",
                          "mean_itl_ms"}):
    """vLLM benchmark_serving / vllm bench serve results (JSON, JSON Lines)"""

    def sniff(self, doc: Any) -> bool:
        if isinstance(doc, JsonLines):
            return len(doc) > 0 and all(_is_result(d) for d in doc)
        return _is_result(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        if isinstance(doc, JsonLines):
            for i, d in enumerate(doc):
                yield from _convert(d, ctx, (i,))
        else:
            yield from _convert(doc, ctx, ())


def _convert(d: dict, ctx: ImportContext, base: tuple) -> Iterator[Result]:
    when = parse_stamp(d.get("date")) if d.get("date") is not None else ctx.path_time
    if d.get("date") is not None and when is None:
        raise Quarantine(f"vLLM result date {d['date']!r} is not a time")
    rate = d.get("request_rate")
    if not (rate is None or is_number(rate) or rate == "inf"):
        raise Quarantine(f"vLLM request_rate {rate!r} is neither a number nor \"inf\"")
    params = {k: scalar(d[k]) for k in _PARAMS if k in d}
    labels = {k: scalar(v) for k, v in d.items() if k not in _KNOWN and not _STAT_RE.match(k)
              and k not in _PER_REQUEST and (v is None or isinstance(v, (str, int, float, bool)))}
    params.update(labels)
    # anything else the file holds (lists, objects a newer version adds) is kept, never dropped
    other = {k: v for k, v in d.items() if k not in _KNOWN and k not in labels and not _STAT_RE.match(k)
             and k not in _PER_REQUEST and k != "generated_texts"}
    run = RunInfo(origin="vllm-benchmark-serving", started_at=when,
                  run_key="|".join(str(d.get(k)) for k in ("model_id", "backend", "request_rate", "num_prompts")),
                  metadata=drop_none({"tokenizer_id": d.get("tokenizer_id"), "labels": labels or None}))
    stats: dict[str, dict[str, float]] = {}
    for k, v in d.items():
        m = _STAT_RE.match(k)
        if m and (v is None or is_number(v)):
            stats.setdefault(m.group(3), {})[m.group(1)] = v
    common = dict(run=run, model_name=d["model_id"], hardware_type="unknown", benchmark="serving",
                  benchmark_params=params or None, measured_at=when)
    for fam in _FAMILIES:
        if fam not in stats and not any(_PER_REQUEST.get(a) == fam and a in d for a in _PER_REQUEST):
            continue
        r = Result(scenario=fam, reported_unit="ms", provenance=ctx.prov(ptr(*base, f"mean_{fam}_ms")), **common)
        metrics: dict[str, Any] = {}
        for stat, v in stats.get(fam, {}).items():
            field = _FIELD.get(stat)
            if field and getattr(r, field) is None:
                setattr(r, field, to_float(v))
            else:
                metrics[f"{stat}_ms"] = to_float(v)
        for arr, f in _PER_REQUEST.items():
            if f == fam and isinstance(d.get(arr), list):
                vals = d[arr]
                if fam == "itl":
                    vals = [x for req in vals if isinstance(req, list) for x in req]
                r.latency_samples_ms = samples_to_ms(vals, "s")  # per-request arrays are in seconds
                r.iterations = len(d[arr])
        r.metrics = drop_none(metrics)
        yield r
    errors = d.get("errors") if isinstance(d.get("errors"), list) else None
    yield Result(
        scenario="throughput", reported_unit="req/s", provenance=ctx.prov(ptr(*base, "request_throughput")),
        throughput_items_per_s=to_float(d.get("request_throughput")),
        throughput_tokens_per_s=to_float(d.get("output_throughput")),
        iterations=to_int(d.get("completed")),
        metrics=drop_none({
            "total_token_throughput": to_float(d.get("total_token_throughput")),
            "request_goodput": to_float(d.get("request_goodput", d.get("request_goodput:"))),
            "duration_ms": to_ms(d.get("duration"), "s"), "completed": to_int(d.get("completed")),
            "failed": to_int(d.get("failed")), "total_input_tokens": to_int(d.get("total_input_tokens")),
            "total_output_tokens": to_int(d.get("total_output_tokens")),
            "max_output_tokens_per_s": to_float(d.get("max_output_tokens_per_s")),
            "max_concurrent_requests": to_int(d.get("max_concurrent_requests")),
            "input_lens": d.get("input_lens") if isinstance(d.get("input_lens"), list) else None,
            "output_lens": d.get("output_lens") if isinstance(d.get("output_lens"), list) else None,
            "request_errors": sum(1 for e in errors if e) if errors is not None else None,
            "other": other or None,
        }),
        **common,
    )


IMPORTERS = [VllmServingImporter()]
