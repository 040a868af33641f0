"""F15 ``browser_capabilities/<browser>_capabilities_<TS>.json``: browser feature detection.

Shape: ``{browser, webnn {supported, backends, version}, webgpu {supported, adapter, features},
webgl {supported, version, vendor, renderer}, wasm {supported, simd}, timestamp
("YYYY-MM-DD HH:MM:SS"), user_agent?}``.

It describes what a browser offered, not how a model ran: there is no model, so it is neither
a performance result nor a model x hardware compatibility fact. Skipped; the reason carries the
detected support so the import ledger still says what the probe found.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record

_FEATURES = ("webgpu", "webnn", "webgl", "wasm")


class BrowserCapabilitiesImporter(Importer, name="f15-browser-capabilities", formats=("F15",),
                                  keys={"browser", "webnn", "webgpu", "webgl", "wasm", "timestamp",
                                  "user_agent"}, required_keys={'browser'}):
    """browser capability detection (webgpu/webnn/webgl/wasm support; skipped)"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and "browser" in doc
                and sum(isinstance(doc.get(f), dict) for f in _FEATURES) >= 2)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        browser = doc.get("browser") if isinstance(doc.get("browser"), str) else "?"
        found = []
        for f in _FEATURES:
            part = doc.get(f)
            if isinstance(part, dict) and isinstance(part.get("supported"), bool):
                found.append(f"{f} {'supported' if part['supported'] else 'unsupported'}")
        raise SkipFile(
            f"browser capability probe for {browser} ({', '.join(found) or 'no support flags'}): "
            "describes the browser, not a model; no benchmark facts"
        )


IMPORTERS = [BrowserCapabilitiesImporter()]
