"""F23: model test batch summaries (``critical_model_tests_<TS>.json``,
``new_model_tests_<TS>.json``).

Two shapes: ``{test_timestamp, summary {total, passed, failed, pass_rate "0.0%"}, model_results
{<model>: {status, return_code, elapsed_time, stdout, stderr}}}`` and ``{summary {total,
success, failure, success_rate "5.9%"}, tests [{status, model, elapsed_time?, timestamp?,
platform_status?, error?, traceback?}]}``.

Each model's test -> one ``TestOutcome`` (test_name and model_name = the model key the batch
uses, e.g. ``canine``; status via normalize.status; duration_s = ``elapsed_time`` (s, the test
subprocess' wall time, not a model latency); error = ``error`` or the last stderr/traceback line;
return_code and platform_status kept in details). No performance number exists here.
``summary`` is derived from the entries (counts, rates): kept as run metadata, not re-imported.

Times: an entry's ``timestamp``, else ``test_timestamp``, else the file name's time. Run:
origin ``model_test_batch``, started_at = ``test_timestamp`` or the file name's time.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.fields import str_at, tail
from benchwh.records import Record, RunInfo, TestOutcome


class ModelTestBatchImporter(Importer, name="f23-model-test-batch", formats=("F23",),
                             keys={"test_timestamp", "summary", "model_results", "tests"},
                             required_keys={'summary'}):
    """model test batch summary {summary{pass_rate|success_rate}, model_results{} | tests[]}"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or not isinstance(doc.get("summary"), dict):
            return False
        return isinstance(doc.get("model_results"), dict) or isinstance(doc.get("tests"), list)

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        batch_time = nz.parse_time(doc.get("test_timestamp")) or ctx.path_time
        run = RunInfo(origin="model_test_batch", started_at=batch_time, metadata={"summary": doc["summary"]})
        entries: list[tuple[tuple, Any, Any]] = []
        if isinstance(doc.get("model_results"), dict):
            entries += [(("model_results", k), k, v) for k, v in doc["model_results"].items()]
        if isinstance(doc.get("tests"), list):
            entries += [(("tests", i), v.get("model") if isinstance(v, dict) else None, v)
                        for i, v in enumerate(doc["tests"])]
        count = 0
        for where, model, e in entries:
            if not isinstance(e, dict) or not isinstance(model, str) or not model.strip():
                continue
            details: dict[str, Any] = {}
            rc = nz.to_int(e.get("return_code"))
            if rc is not None:
                details["return_code"] = rc
            if isinstance(e.get("platform_status"), dict) and e["platform_status"]:
                details["platform_status"] = e["platform_status"]
            error = str_at(e, "error")
            status = nz.status(e.get("status")) or "unknown"
            if error is None and status != "completed":
                error = tail(e.get("stderr")) or tail(e.get("traceback"))
            count += 1
            yield TestOutcome(run=run, module=None, test_name=model, status=status, model_name=model,
                              duration_s=nz.to_float(e.get("elapsed_time")), error=error, details=details,
                              measured_at=nz.parse_time(e.get("timestamp")) or batch_time,
                              provenance=ctx.prov(ptr(*where)))
        if not count:
            raise SkipFile("model test batch lists no model test")


IMPORTERS = [ModelTestBatchImporter()]
