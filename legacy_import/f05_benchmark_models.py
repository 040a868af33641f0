"""F5: ``benchmark_models.json``, the model set run_model_benchmarks.py used:
``{key: {name, family, size, modality}}``. Later clean-up scripts mixed annotation keys
(``simulated_hardware: [...]``, ``warnings: [...]``) in at the same level as the model keys;
those are not models and go to the run's metadata.

Yields one ModelInfo per model entry and a RunMeta (run_model_benchmarks, started at the time in
the folder name, e.g. ``benchmarks_20250305_204837``) holding the model keys and annotations.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile
from benchwh.legacy_import.fields import str_at, undated_key
from benchwh.records import ModelInfo, Record, RunInfo, RunMeta

ORIGIN = "run_model_benchmarks"

# Top-level keys that mark other formats; a model set never has them.
_NOT_A_MODEL_SET = {"timestamp", "models", "results", "benchmarks", "model_families", "status",
                    "metadata", "examples", "summary", "functionality_verification"}


def is_model_entry(value: Any) -> bool:
    """``{name, family|modality, ...}`` with a text name."""
    return (isinstance(value, dict) and isinstance(value.get("name"), str) and bool(value["name"].strip())
            and ("family" in value or "modality" in value))


def model_infos(mapping: Any) -> Iterator[ModelInfo]:
    """ModelInfo for each ``key: {name, family, size, modality}`` entry (others ignored)."""
    if not isinstance(mapping, dict):
        return
    for key, value in mapping.items():
        if not is_model_entry(value):
            continue
        family = str_at(value, "family")
        meta = {"key": key}
        if isinstance(value.get("size"), str):
            meta["size"] = value["size"]
        yield ModelInfo(model_name=value["name"].strip(), model_family=family,
                        modality=nz.modality(value.get("modality"), family), metadata=meta)


class BenchmarkModelsImporter(Importer, name="f05-benchmark-models", formats=("F5",),
                              keys={"bert", "t5", "vit", "whisper", "clip", "llama"}):
    """benchmark_models.json: model set {key: {name, family, size, modality}}"""

    def sniff(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or not doc or _NOT_A_MODEL_SET & set(doc):
            return False
        n_models = sum(1 for v in doc.values() if is_model_entry(v))
        # Annotations are few and never look like models; most keys must be models.
        return n_models > 0 and n_models * 2 >= len(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        infos = list(model_infos(doc))
        if not infos:
            raise SkipFile("model set without any {name, family} model entries")
        yield from infos
        annotations = {k: v for k, v in doc.items() if not is_model_entry(v)}
        meta: dict[str, Any] = {"model_set": {i.metadata["key"]: i.model_name for i in infos}}
        if annotations:
            meta["annotations"] = annotations
        yield RunMeta(run=RunInfo(origin=ORIGIN, started_at=ctx.path_time,
                                  run_key=undated_key(ctx.path_time, ctx), metadata=meta))


IMPORTERS = [BenchmarkModelsImporter()]
