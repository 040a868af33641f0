"""F2: run and suite configuration files (``benchmark_config*.json``). Configuration, not
results: each yields one RunMeta and nothing else.

Two shapes:

* run_model_benchmarks.py run config: ``{timestamp, models_set, models, hardware_types,
  batch_sizes, verify_functionality, ..., available_hardware}``. Its ``timestamp`` is the run's,
  so the RunMeta joins the same run as that run's F1 aggregate.
* run_benchmark_suite.py suite config: ``{batch_sizes, [sequence_lengths], warmup_iterations,
  benchmark_iterations, timeout, model_families {family: [model, ...]}, hardware_types, ...}``.
  No time inside: the run is the one named by the file's folder (``<output>/<YYYYMMDD_HHMMSS>/
  benchmark_config.json``), and None when the path carries no time.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer
from benchwh.legacy_import.fields import undated_key
from benchwh.records import Record, RunInfo, RunMeta

# Keys that make a document something other than a configuration.
_RESULT_KEYS = {"results", "benchmarks", "batch_results", "functionality_verification",
                "performance_benchmarks", "detailed_results"}


def _is_run_config(doc: dict) -> bool:
    return "models_set" in doc or "available_hardware" in doc or "verify_functionality" in doc


def _is_suite_config(doc: dict) -> bool:
    fams = doc.get("model_families")
    return (isinstance(fams, dict) and bool(fams)
            and all(isinstance(v, list) for v in fams.values())
            and ("batch_sizes" in doc or "hardware_types" in doc))


class BenchmarkConfigImporter(Importer, name="f02-benchmark-config", formats=("F2",), keys={"batch_sizes",
                              "sequence_lengths", "warmup_iterations", "benchmark_iterations", "timeout",
                              "model_families", "hardware_types", "models_set", "available_hardware"}):
    """benchmark_config*.json: run/suite configuration (run metadata only)"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or _RESULT_KEYS & set(doc):
            return False
        return _is_run_config(doc) or _is_suite_config(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        origin = "run_model_benchmarks" if _is_run_config(doc) else "run_benchmark_suite"
        started = nz.parse_time(doc.get("timestamp")) or ctx.path_time
        yield RunMeta(run=RunInfo(origin=origin, started_at=started, run_key=undated_key(started, ctx),
                                  metadata={"config": doc}))


IMPORTERS = [BenchmarkConfigImporter()]
