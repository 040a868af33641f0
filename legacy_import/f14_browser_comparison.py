"""F14 ``<model>_firefox_vs_chrome_<epoch>.json``: a browser compute-shader comparison.

Shape: ``{model, tests [{success, model, browser, compute_shaders, performance
{improvement_percentage}, name}]}``; the epoch in the file name is its only time.

Every number is relative (``improvement_percentage`` of compute shaders, against a baseline
the file does not hold): no latency, throughput or memory, and no batch size. A percentage
is not a latency, and putting it in ``metrics`` of a Result with every column empty would
present a comparison as a measurement, so the file is skipped with that reason.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record


def _is_browser_test(t: Any) -> bool:
    return isinstance(t, dict) and "browser" in t and ("compute_shaders" in t or "performance" in t)


class BrowserComparisonImporter(Importer, name="f14-browser-comparison", formats=("F14",),
                                keys={"model", "tests"}, required_keys={'tests'}):
    """firefox vs chrome compute-shader comparison (relative numbers only; skipped)"""

    def sniff(self, doc: Any) -> bool:
        tests = doc.get("tests") if isinstance(doc, dict) else None
        return isinstance(tests, list) and any(_is_browser_test(t) for t in tests)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        model = doc.get("model") if isinstance(doc.get("model"), str) else "?"
        browsers = sorted({t["browser"] for t in doc["tests"]
                           if _is_browser_test(t) and isinstance(t["browser"], str)})
        raise SkipFile(
            f"browser comparison for {model} ({', '.join(browsers) or 'no browser'}): only "
            "relative improvement_percentage values, no absolute latency, throughput or memory; "
            "not a performance result"
        )


IMPORTERS = [BrowserComparisonImporter()]
