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


class NonBenchmarkImporter(Importer, name="f30-non-benchmark", formats=("F30",), keys={"api", "backoff_test",
                           "queue_test", "total_requests", "successful_requests", "apis", "tests",
                           "success_count", "total_tests", "models", "error", "traceback"}):
    """API queue/back-off tests, API status and error dumps, remote API timings (skipped)"""

    def sniff(self, doc: Any) -> bool:
        return isinstance(doc, dict) and _variant(doc) is not None

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(_variant(doc) or "not a model benchmark")
        yield  # pragma: no cover


# --- recognised by content when no format claims a document ---------------------------------
# Words of API-client behaviour in a test's keys (endpoint handlers, requests, queues, retries).
_API_WORDS = re.compile(r"endpoint|request|queue|retr(y|ies)|backoff|stream|error_handling|multiplex|"
                        r"headers|api|chat|container|upload|download|model_list|usage|concurren|"
                        r"moderation|speech|embedding|image|format", re.IGNORECASE)
# A key names a measured quantity (a duration, rate, size or count of tokens)...
_MEASURE_KEY = re.compile(r"latenc|throughput|memory|_ms$|_mb$|_gb$|_s$|tokens?_per|tokens?$|duration|"
                          r"elapsed|time|seconds|per_second|fps|speed|real_?time_factor", re.IGNORECASE)
# ...unless it names a moment, a limit or a setting.
_NOT_MEASURE_KEY = re.compile(r"timestamp|date|_at$|timeout|limit|max_|budget|threshold|interval|delay",
                              re.IGNORECASE)
_STAT_KEY = re.compile(r"^(min|max|mean|median|avg|average|std|p\d+|value|\d+)$", re.IGNORECASE)
_VERSIONED = re.compile(r"@\d|/v\d|\bv\d+$")
_EPOCH = (946684800, 4102444800)


def has_measurement(doc: Any) -> bool:
    """Whether ``doc`` holds a number under a key naming a measured quantity (or in a stats
    dict or list under one): what a benchmark result, however shaped, must hold. Epoch numbers
    under a time key are moments, not measurements."""
    stack: list[tuple[Any, str, bool]] = [(doc, "", False)]
    while stack:
        node, key, measure = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                k = str(k)
                m = not _NOT_MEASURE_KEY.search(k) and (bool(_MEASURE_KEY.search(k)) or (measure and bool(_STAT_KEY.match(k))))
                stack.append((v, k, m))
        elif isinstance(node, list):
            stack.extend((v, key, measure) for v in node)
        elif measure and isinstance(node, (int, float)) and not isinstance(node, bool):
            if not (_EPOCH[0] <= node < _EPOCH[1] and "time" in key.lower()):
                return True
    return False


def _error_texts(node: Any) -> bool:
    """Every leaf is an error text (``Error ...``, ``[Errno 2] ...``, a traceback)."""
    if isinstance(node, dict):
        return bool(node) and all(_error_texts(v) for v in node.values())
    return isinstance(node, str) and bool(re.match(r"\s*(error|\[errno|traceback|exception)", node, re.IGNORECASE)
                                          or "Traceback (most recent call last)" in node)


def content_reason(doc: Any) -> str | None:
    """Why a document that no format claims is not a benchmark result, read from its content;
    None when it may hold measurements (then it is quarantined as unknown)."""
    if isinstance(doc, dict):
        keys = set(map(str, doc))
        if "$schema" in keys or ("$id" in keys and ({"properties", "$defs", "type"} & keys)):
            return f"not a benchmark: a JSON Schema document ({_s(doc.get('title', doc.get('$id')))})"
        if "cid" in keys and keys <= {"cid", "name", "data", "metadata", "timestamp", "size", "type"}:
            return f"not a benchmark: a content-addressed cache entry (cid {_s(doc.get('cid'))})"
        for k in ("schema", "schema_version", "interface"):
            v = doc.get(k)
            if isinstance(v, str) and _VERSIONED.search(v):
                return (f"not a benchmark: a document of schema {v} (a fixture, manifest or catalogue "
                        f"of another tool)")
        if {"generation_stats", "generation_results"} & keys:
            return "not a benchmark: test-code generation summary (which generated tests ran)"
        if {"files_analyzed", "issue_types"} <= keys:
            return f"not a benchmark: static analysis of {doc.get('total_files', '?')} test files"
        if _error_texts(doc):
            return f"not a benchmark: error texts of a crashed test run ({', '.join(sorted(keys))[:80]})"
        statuses = [k for k, v in doc.items() if isinstance(v, (str, bool))]
        api = [k for k in statuses if _API_WORDS.search(str(k))]
        if len(doc) >= 3 and len(statuses) * 2 >= len(doc) and len(api) * 2 >= len(doc) and not has_measurement(doc):
            return f"not a model benchmark: API client test ({', '.join(api[:4])}, ...)"
    if not has_measurement(doc):
        what = (f"keys {', '.join(sorted(map(str, doc))[:6])}" if isinstance(doc, dict)
                else f"a list of {len(doc)}" if isinstance(doc, list) else type(doc).__name__)
        return (f"not a benchmark: no number in it names a time, latency, throughput, memory or token "
                f"count ({what})")
    return None


class NotABenchmarkImporter(Importer, name="f30-not-a-benchmark", formats=("F30",), fallback=True):
    """by content, when no format claims it: schemas, caches, tool fixtures, API client tests, no measurement
    (skipped)

    Claims a document only when no format does (``fallback``): recognises by its content what is not a
    benchmark result, so that quarantine keeps meaning "may hold measurements and could not be read"."""

    def sniff(self, doc: Any) -> bool:
        return content_reason(doc) is not None

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(content_reason(doc) or "not a benchmark")
        yield  # pragma: no cover


IMPORTERS = [NonBenchmarkImporter(), NotABenchmarkImporter()]
