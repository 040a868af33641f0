"""H01: pytest-benchmark JSON: ``--benchmark-json`` exports and ``.benchmarks/`` autosaves.

``{machine_info, commit_info, benchmarks: [{name, fullname, params, group, extra_info, options,
stats}], datetime, version}``. Its ``stats`` are per iteration (the tool divides each round's
time by the round's iterations), in seconds; ``stats.data`` (``--benchmark-save-data``) holds
one time per round: the samples. ``commit_info`` (commit, branch, dirty...) and ``machine_info``
are kept on the run.

The export and the autosave of one session hold the same benchmarks and differ only in their
``datetime`` (written a moment apart): the run is identified by the session's content and its
time to the second, so the two files are one run and one set of results.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, ptr, shaped
from benchwh.legacy_import.harness_common import digest, drop_none, flat_params
from benchwh.normalize import parse_time, s_to_ms, samples_s_to_ms, to_float, to_int
from benchwh.records import Record, Result, RunInfo

# stats (seconds per iteration) kept as metrics in ms, beside the ones with their own fields
_STAT_MS = ("q1", "q3", "iqr", "ld15iqr", "hd15iqr", "total")


def _is_bench(b: Any) -> bool:
    return isinstance(b, dict) and isinstance(b.get("stats"), dict) and isinstance(b.get("fullname"), str)


class PytestBenchmarkImporter(Importer, name="pytest-benchmark", formats=("H01",),
                              keys={"machine_info", "commit_info", "benchmarks", "datetime", "version"},
                              required_keys={"machine_info", "benchmarks", "datetime"}):
    """pytest-benchmark --benchmark-json exports and .benchmarks autosaves"""

    def sniff(self, doc: Any) -> bool:
        return (shaped(doc, {"machine_info": dict, "benchmarks": list, "datetime": str})
                and all(_is_bench(b) for b in doc["benchmarks"]))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        when = parse_time(doc["datetime"])
        if when is None:
            raise Quarantine(f"pytest-benchmark datetime {doc['datetime']!r} is not a time")
        started = when.replace(microsecond=0)
        machine = doc["machine_info"]
        commit = doc.get("commit_info") if isinstance(doc.get("commit_info"), dict) else {}
        cpu = machine.get("cpu") if isinstance(machine.get("cpu"), dict) else {}
        session = [(b["fullname"], b.get("params"), b["stats"]) for b in doc["benchmarks"]]
        run = RunInfo(
            origin="pytest-benchmark", started_at=started,
            run_key=digest([machine.get("node"), commit.get("id"), session]),
            git_commit=commit.get("id"), git_branch=commit.get("branch"), host=machine.get("node"),
            python_version=machine.get("python_version"),
            library_versions=drop_none({"pytest-benchmark": doc.get("version")}),
            metadata={"commit_info": commit, "machine_info": machine, "dirty": commit.get("dirty")},
        )
        device = cpu.get("brand_raw") or machine.get("processor") or None
        for i, b in enumerate(doc["benchmarks"]):
            st = b["stats"]
            metrics: dict[str, Any] = {f"{k}_ms": s_to_ms(st.get(k)) for k in _STAT_MS if st.get(k) is not None}
            for k in ("outliers", "iqr_outliers", "stddev_outliers"):
                if st.get(k) is not None:
                    metrics[k] = st[k]
            metrics["iterations_per_round"] = to_int(st.get("iterations"))
            for k in ("group", "name", "param", "extra_info", "options"):
                if b.get(k) not in (None, {}):
                    metrics[k] = b[k]
            yield Result(
                run=run, model_name=None, hardware_type="cpu", device_name=device,
                benchmark=b["fullname"], benchmark_params=flat_params(b.get("params")), reported_unit="s",
                latency_ms_mean=s_to_ms(st.get("mean")), latency_ms_p50=s_to_ms(st.get("median")),
                latency_ms_min=s_to_ms(st.get("min")), latency_ms_max=s_to_ms(st.get("max")),
                latency_ms_std=s_to_ms(st.get("stddev")), latency_samples_ms=samples_s_to_ms(st.get("data")),
                throughput_items_per_s=to_float(st.get("ops")), iterations=to_int(st.get("rounds")),
                metrics=drop_none(metrics), measured_at=started, provenance=ctx.prov(ptr("benchmarks", i)),
            )


IMPORTERS = [PytestBenchmarkImporter()]
