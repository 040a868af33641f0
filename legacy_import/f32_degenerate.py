"""F32: degenerate files that hold nothing to import.

- ``{}`` (an empty object; this importer is the only one that claims it);
- an empty aggregate ``{inference: {}, training: {}, hardware_compatibility: {}}``, also with the
  ``WARNING`` block, ``simulated_hardware`` and ``warnings`` a later cleanup script injected;
- a code-fix report ``{total_files, files_fixed, total_issues_fixed, files_details}`` (a script
  that patched test files, with or without an injected ``WARNING``): not a benchmark.

Each is recognised and skipped with a reason. A non-empty aggregate is not claimed here.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record

_AGGREGATE = {"inference", "training", "hardware_compatibility"}
_ANNOTATIONS = {"WARNING", "simulated_hardware", "warnings"}
_FIX_REPORT = {"total_files", "files_fixed", "total_issues_fixed", "files_details"}


def _variant(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    if not doc:
        return "degenerate: empty JSON object {}"
    keys = set(doc)
    injected = " (with an injected WARNING block)" if isinstance(doc.get("WARNING"), dict) else ""
    if _AGGREGATE <= keys and keys <= _AGGREGATE | _ANNOTATIONS and all(doc[k] in ({}, []) for k in _AGGREGATE):
        return f"degenerate: empty aggregate (inference, training, hardware_compatibility all empty){injected}"
    if _FIX_REPORT <= keys and keys <= _FIX_REPORT | _ANNOTATIONS:
        fixed = doc.get("files_fixed")
        return f"not a benchmark: code-fix report ({doc.get('total_files')} files scanned, {fixed} fixed){injected}"
    return None


class DegenerateImporter(Importer, name="f32-degenerate", formats=("F32",),
                         keys=frozenset(_AGGREGATE | _FIX_REPORT | _ANNOTATIONS)):
    """empty object, empty aggregates, code-fix reports (skipped)"""

    def sniff(self, doc: Any) -> bool:
        return _variant(doc) is not None

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(_variant(doc) or "degenerate file")
        yield  # pragma: no cover


IMPORTERS = [DegenerateImporter()]
