"""F11 ``benchmark_progress_<TS>.json`` / ``benchmark_progress_latest.json``, written by
execute_comprehensive_benchmarks.py after each model x hardware attempt.

Shape: ``{timestamp (YYYYMMDD_HHMMSS), completed_benchmarks [{model_type, hardware_type,
timestamp}], failed_benchmarks [{model_type, hardware_type, error, error_type?, stdout?, stderr?,
batch_errors?, timestamp}], skipped_benchmarks [{model_type, hardware_type, reason}], summary
{total, completed, failed, skipped, completion_percentage}}``.

Run bookkeeping, not measurements: completed entries carry no numbers (their results went to
the script's database), so they stay run metadata, as do skipped entries and the summary. A
failed entry is a failed attempt: ``Result(status='failed', error=...)`` with no metrics, the
model named by its ``model_type`` key (``bert``, ``vit``: the file does not say which checkpoint).
``benchmark_progress_latest.json`` is a copy of the newest progress file: same run timestamp,
so the same records.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, ptr
from benchwh.legacy_import.fields import clean_text, hardware_of
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo, RunMeta

ORIGIN = "execute_comprehensive_benchmarks"


def _error_text(entry: dict) -> str | None:
    """``<error_type>: <error>`` followed by the command's stderr (the real cause)."""
    head = ": ".join(p for p in (clean_text(entry.get("error_type")), clean_text(entry.get("error"))) if p)
    parts = [p for p in (head, clean_text(entry.get("stderr"))) if p]
    return "\n".join(parts) or None


class BenchmarkProgressImporter(Importer, name="f11-benchmark-progress", formats=("F11",), keys={"timestamp",
                                "completed_benchmarks", "failed_benchmarks", "skipped_benchmarks", "summary"},
                                required_keys={'failed_benchmarks'}):
    """execute_comprehensive_benchmarks.py progress file: failed attempts and bookkeeping"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and "failed_benchmarks" in doc
                and ("completed_benchmarks" in doc or "skipped_benchmarks" in doc))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        """Reads one progress file; yields its run (RunMeta, with the completed and skipped
        lists and the summary as metadata) and one failed Result per failed attempt."""
        meta = {k: doc[k] for k in ("completed_benchmarks", "skipped_benchmarks", "summary")
                if isinstance(doc.get(k), (list, dict))}
        run = RunInfo(origin=ORIGIN, started_at=nz.parse_time(doc.get("timestamp")) or ctx.path_time,
                      metadata=meta)
        yield RunMeta(run=run)
        failed = doc.get("failed_benchmarks")
        for i, entry in enumerate(failed if isinstance(failed, list) else []):
            if not isinstance(entry, dict):
                continue
            model = clean_text(entry.get("model_type"))
            if model is None:
                continue  # nothing to attach the failure to; the entry stays in the file
            hw, device, mock = hardware_of(entry.get("hardware_type"))
            base = dict(
                run=run, model_name=model, model_family=model,
                modality=nz.modality(None, model), hardware_type=hw, device_name=device,
                status=STATUS_FAILED,
                measured_at=nz.parse_time(entry.get("timestamp")) or run.started_at,
                is_simulated=mock is not None,
                simulation_reason=f"hardware spelled {mock!r}" if mock else None,
            )
            batch_errors = entry.get("batch_errors")
            per_batch = [b for b in batch_errors if isinstance(b, dict)] if isinstance(batch_errors, list) else []
            if per_batch:
                # The script found failed batch sizes inside an otherwise finished run.
                for j, b in enumerate(per_batch):
                    parts = [clean_text(b.get(k)) for k in ("error_type", "error_message", "error_output")]
                    yield Result(**base, batch_size=nz.to_int(b.get("batch_size")),
                                 error=": ".join(p for p in parts if p) or _error_text(entry),
                                 provenance=ctx.prov(ptr("failed_benchmarks", i, "batch_errors", j)))
            else:
                yield Result(**base, error=_error_text(entry),
                             provenance=ctx.prov(ptr("failed_benchmarks", i)))


IMPORTERS = [BenchmarkProgressImporter()]
