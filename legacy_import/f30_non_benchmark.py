"""F30: JSON that is not a model benchmark at all (API queue/back-off tests, API status dumps,
crashed-test error dumps, remote API response times). The old converter imported these as
performance rows full of zeros; here each variant is recognised by its own keys and skipped
with a reason naming what it is:

- back-off/queue test of one API: ``{api, model, backoff_test [...], queue_test [...]}``;
- comprehensive queue test: ``{model, total_requests, successful_requests, success_rate,
  results {<test>: [{request_id, time_taken, ...}]}}``;
- queue/back-off suite summary: ``{tests {api_backoff {...}, ...}, success_count, total_tests}``;
- API implementation status: ``{timestamp, apis {<api>: {status, implementation_type}}}``;
- remote API model timings: ``{timestamp, models [{model, response_time, queue_time,
  tokens_per_second, ...}]}``: response times of models served by a remote API (network and
  provider queue included), no local hardware was measured, so not a model-on-hardware result;
- error dump of a crashed test: exactly ``{status, error, traceback, timestamp}`` (subset).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record

_ERROR_DUMP_KEYS = {"status", "error", "traceback", "timestamp"}
_SCRIPT_RE = re.compile(r'File "[^"]*?([\w.-]+\.py)"')


def _s(v: Any) -> str:
    return v if isinstance(v, str) else "?"


def _requests(results: Any) -> bool:
    if not isinstance(results, dict):
        return False
    return any(isinstance(v, list) and v and isinstance(v[0], dict) and "request_id" in v[0]
               for v in results.values())


def _variant(doc: dict) -> str | None:
    """The reason a recognised non-benchmark document is skipped; None if not one of them."""
    if isinstance(doc.get("backoff_test"), list) or isinstance(doc.get("queue_test"), list):
        return f"not a model benchmark: API queue/back-off test ({_s(doc.get('api'))}, model {_s(doc.get('model'))})"
    if "total_requests" in doc and _requests(doc.get("results")):
        tests = ", ".join(k for k in doc["results"] if isinstance(k, str))
        return f"not a model benchmark: API queue/back-off test (model {_s(doc.get('model'))}: {tests})"
    tests = doc.get("tests")
    if isinstance(tests, dict) and {"success_count", "total_tests"} <= set(doc) and any(
            isinstance(k, str) and re.search(r"api|backoff|queue", k) for k in tests):
        return f"not a model benchmark: API queue/back-off test suite summary ({', '.join(map(str, tests))})"
    if isinstance(doc.get("apis"), dict) and set(doc) <= {"timestamp", "apis"}:
        return f"not a model benchmark: API implementation status of {', '.join(map(str, doc['apis']))}"
    models = doc.get("models")
    if (isinstance(models, list) and models and isinstance(models[0], dict)
            and {"response_time", "queue_time"} <= set(models[0])):
        names = ", ".join(_s(m.get("model")) for m in models if isinstance(m, dict))
        return ("not a model-on-hardware benchmark: response_time/queue_time/tokens_per_second of models "
                f"served by a remote API ({names}); no local hardware was measured")
    if {"error", "traceback"} <= set(doc) and set(doc) <= _ERROR_DUMP_KEYS:
        scripts = _SCRIPT_RE.findall(_s(doc.get("traceback")))
        where = f" ({scripts[0]})" if scripts else ""
        return f"not a benchmark: error dump of a crashed test{where}: {_s(doc.get('error'))}"
    return None


class NonBenchmarkImporter(Importer):
    name = "f30-non-benchmark"
    formats = ("F30",)
    description = "API queue/back-off tests, API status and error dumps, remote API timings (skipped)"
    keys = frozenset({"api", "backoff_test", "queue_test", "total_requests", "successful_requests", "apis",
                      "tests", "success_count", "total_tests", "models", "error", "traceback"})

    def sniff(self, doc: Any) -> bool:
        return isinstance(doc, dict) and _variant(doc) is not None

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(_variant(doc) or "not a model benchmark")
        yield  # pragma: no cover


IMPORTERS = [NonBenchmarkImporter()]
