"""F9 ``batch_benchmarks_<hw>_<TS>.json``, written by run_batch_benchmarks.py.

Shape: ``{models [...], hardware, batch_sizes: "1", timestamp, results {model: {model, hardware,
batch_sizes, command, timestamp, success, stdout, stderr, error?, benchmark_data: <F8 document>,
output_file, summary {"<b>": {latency_ms, throughput, memory_mb}}}}}``.

The wrapper ran run_direct_benchmark.py once per model and copied that run's F8 file into
``benchmark_data``; ``summary`` repeats the same numbers under other names. So:

- ``benchmark_data`` goes through the F8 conversion: its records equal the standalone F8
  file's (same run_id and result_id) and ``summary`` is not emitted again.
- ``summary`` without ``benchmark_data`` (the script never writes that, but an edited file
  might) is then the only copy of the numbers: emitted under the wrapper's own run, mapped
  ``latency_ms`` -> latency_ms_mean, ``throughput`` -> items/s, ``memory_mb`` -> MiB. These
  cannot be matched to an F8 file (the F8 run's time is not in the summary).
- A model whose command failed (no ``benchmark_data``) is a failed attempt under the wrapper's
  run, its error followed by the command's stderr.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.f08_direct_benchmark import convert_direct_doc
from benchwh.legacy_import.fields import clean_text, entry_failed, hardware_of
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo, RunMeta

ORIGIN = "run_batch_benchmarks"


def _single_batch(*values: Any) -> int | None:
    """The batch size when the command ran exactly one (``"1"``), else None."""
    for v in values:
        sizes = nz.parse_int_list(v)
        if sizes is not None:
            return sizes[0] if len(sizes) == 1 else None
    return None


def _summary_results(entry: dict, model: str, run: RunInfo, ctx: ImportContext, pointer: tuple,
                     doc: dict) -> Iterator[Result]:
    hw, device, mock = hardware_of(entry.get("hardware"), doc.get("hardware"))
    when = nz.parse_time(entry.get("timestamp")) or run.started_at
    for key, row in entry["summary"].items():
        if not isinstance(row, dict):
            continue
        yield Result(
            run=run, model_name=model, hardware_type=hw, device_name=device,
            batch_size=nz.to_int(key), measured_at=when,
            latency_ms_mean=nz.to_float(row.get("latency_ms")),
            throughput_items_per_s=nz.to_float(row.get("throughput")),
            memory_peak_mb=nz.to_float(row.get("memory_mb")),
            is_simulated=mock is not None,
            simulation_reason=f"hardware spelled {mock!r}" if mock else None,
            provenance=ctx.prov(ptr(*pointer, "summary", key)),
        )


def _failure(entry: dict, model: str, run: RunInfo, ctx: ImportContext, pointer: tuple,
             doc: dict) -> Result:
    hw, device, mock = hardware_of(entry.get("hardware"), doc.get("hardware"))
    parts = [p for p in (clean_text(entry.get("error")), clean_text(entry.get("stderr"))) if p]
    return Result(
        run=run, model_name=model, hardware_type=hw, device_name=device,
        batch_size=_single_batch(entry.get("batch_sizes"), doc.get("batch_sizes")),
        status=STATUS_FAILED, error="\n".join(parts) or None,
        measured_at=nz.parse_time(entry.get("timestamp")) or run.started_at,
        is_simulated=mock is not None,
        simulation_reason=f"hardware spelled {mock!r}" if mock else None,
        provenance=ctx.prov(ptr(*pointer)),
    )


class BatchBenchmarksImporter(Importer, name="f09-batch-benchmarks", formats=("F9",),
                              keys={"models", "hardware", "batch_sizes", "timestamp", "results"},
                              required_keys={'results'}):
    """run_batch_benchmarks.py wrapper: one embedded direct benchmark (F8) per model"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
            return False
        if isinstance(doc.get("models"), list):
            return True
        return any(isinstance(v, dict) and ("benchmark_data" in v or "command" in v)
                   for v in doc["results"].values())

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        """Reads the wrapper document; yields the wrapper run's RunMeta, the F8 records of each
        embedded ``benchmark_data``, and the wrapper-level failures or summary-only numbers."""
        run = RunInfo(
            origin=ORIGIN, started_at=nz.parse_time(doc.get("timestamp")) or ctx.path_time,
            metadata={k: doc[k] for k in ("models", "hardware", "batch_sizes")
                      if isinstance(doc.get(k), (str, list))},
        )
        records: list[Record] = []
        for key, entry in doc["results"].items():
            if not isinstance(entry, dict):
                continue
            model = clean_text(entry.get("model")) or clean_text(key)
            pointer = ("results", key)
            data = entry.get("benchmark_data")
            if isinstance(data, dict):
                # The time in the F8 file's own name is that file's fallback time: using it
                # here keeps the records equal to the standalone file's.
                out_file = entry.get("output_file")
                file_time = nz.time_from_path(out_file) if isinstance(out_file, str) else None
                embedded = list(convert_direct_doc(data, ctx, pointer + ("benchmark_data",),
                                                   file_time=file_time, model_fallback=model))
                if embedded:
                    records.extend(embedded)
                    continue
            if model is None:
                continue
            if isinstance(entry.get("summary"), dict) and entry["summary"]:
                records.extend(_summary_results(entry, model, run, ctx, pointer, doc))
            elif entry_failed(entry):
                records.append(_failure(entry, model, run, ctx, pointer, doc))
        if not records:
            raise SkipFile("batch benchmark wrapper with no model result, failure or summary")
        yield RunMeta(run=run)
        yield from records


IMPORTERS = [BatchBenchmarksImporter()]
