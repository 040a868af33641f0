"""F28: ``<sha256>.json``, a hardware/library capability-detection cache: one flat object of
booleans and nulls (``{"cuda": true, "openvino": true, "ipex": null, "optimum-habana": true,
...}``).

It records which backends/libraries an environment could import when the cache was written: no
model, no run, no time inside (the name is a content hash, not a time), and null means "not
probed". Not a measurement and not a compatibility fact (no model) -> recognised and skipped
with that reason.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.records import Record

# Keys seen in capability caches; a flat bool/null object must share some of them.
CAPABILITY_KEYS = frozenset({"cuda", "openvino", "llama_cpp", "ipex", "optimum", "optimum-ipex",
                             "optimum-openvino", "optimum-neural-compressor", "optimum-habana", "onnx",
                             "optimum-onnx", "torch", "torch_vision", "mps", "rocm", "qnn", "webnn", "webgpu"})


class CapabilityCacheImporter(Importer, name="f28-capability-cache", formats=("F28",), keys=CAPABILITY_KEYS):
    """capability-detection cache: flat {backend/library: true|false|null}"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict) and len(doc) >= 3
                and all(v is None or isinstance(v, bool) for v in doc.values())
                and len(CAPABILITY_KEYS & set(doc)) >= 3)

    def convert(self, doc: dict, ctx: ImportContext) -> Iterator[Record]:
        avail = sorted(k for k, v in doc.items() if v is True)
        raise SkipFile(f"capability-detection cache ({len(doc)} backend/library flags, available: "
                       f"{', '.join(avail) or 'none'}): no model, run or measurement")
        yield  # pragma: no cover


IMPORTERS = [CapabilityCacheImporter()]
