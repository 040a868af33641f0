"""F1: ``benchmark_results.json`` aggregate written by run_model_benchmarks.py:
``{timestamp, models {key: {name, family, size, modality}}, functionality_verification {hw:
<F3 document>}, performance_benchmarks {family: <F6 document> | {status: "error", error}},
hardware_detected {hw: bool}}`` (+ ``simulated_hardware``/``warnings`` in annotated copies).

The embedded documents are converted by the F3 and F6 importers' own functions, so a
measurement carried both here and in its standalone file is the same record (same ids; only the
provenance pointer differs). The ``models`` map names the model behind each F3 skill key:
compatibility facts are stored under that name (the key kept in ``details['skill_key']``). Known defect in real files: the ``cuda`` entry of
``functionality_verification`` is a copy of the CPU report (its entries say ``hardware: cpu``).
Facts take their hardware from the entries, never from the key they were filed under, so no cuda
compatibility is recorded from CPU evidence; the mismatch is noted in the run metadata.
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import import f03_model_functionality as f03
from benchwh.legacy_import import f06_hardware_benchmark as f06
from benchwh.legacy_import.base import ImportContext, Importer
from benchwh.legacy_import.f05_benchmark_models import model_infos
from benchwh.legacy_import.fields import hardware_of, simulated_marks, undated_key
from benchwh.records import Record, RunInfo, RunMeta

ORIGIN = "run_model_benchmarks"


def _functionality(fv: dict, ctx: ImportContext, marks: dict[str, str],
                   notes: dict[str, str], models: dict[str, str]) -> Iterator[Record]:
    done: list[Any] = []
    for key, sub in fv.items():
        if not f03.looks_like_f3(sub):
            notes[str(key)] = "not a functionality report; nothing imported from it"
            continue
        filed_as = hardware_of(key)[0]
        actual = f03.hardware_seen(sub)
        if actual and filed_as not in actual:
            notes[str(key)] = (f"filed under {key!r} but its entries ran on {sorted(actual)} "
                               f"(known defect: a copy of another report); no {key} facts taken from it")
        if any(sub == d for d in done):
            continue  # the same report filed twice adds nothing
        done.append(sub)
        yield from f03.convert_document(sub, ctx, base=("functionality_verification", key), extra_marks=marks,
                                        models=models)


def _performance(pb: dict, ctx: ImportContext, marks: dict[str, str],
                 failures: dict[str, Any]) -> Iterator[Record]:
    for family, sub in pb.items():
        if f06.looks_like_f6(sub):
            yield from f06.convert_document(sub, ctx, base=("performance_benchmarks", family), extra_marks=marks)
        elif isinstance(sub, dict):
            # {status: error, error: traceback}: the suite never ran; a note, not a result.
            failures[str(family)] = {k: sub[k] for k in ("status", "error", "output") if k in sub}
        else:
            failures[str(family)] = sub


class RunModelBenchmarksImporter(Importer, name="f01-run-model-benchmarks", formats=("F1",),
                                 keys={"timestamp", "models", "functionality_verification",
                                 "performance_benchmarks", "hardware_detected"}):
    """run_model_benchmarks.py aggregate: models, functionality_verification (F3), performance_benchmarks
    (F6), hardware_detected"""

    def sniff(self, doc: Any) -> bool:
        return (isinstance(doc, dict)
                and ("functionality_verification" in doc or "performance_benchmarks" in doc)
                and ("models" in doc or "hardware_detected" in doc))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        marks = simulated_marks(doc)
        yield from model_infos(doc.get("models"))
        notes: dict[str, str] = {}
        failures: dict[str, Any] = {}
        if isinstance(doc.get("functionality_verification"), dict):
            yield from _functionality(doc["functionality_verification"], ctx, marks, notes,
                                      f03.run_model_names(doc))
        if isinstance(doc.get("performance_benchmarks"), dict):
            yield from _performance(doc["performance_benchmarks"], ctx, marks, failures)
        meta: dict[str, Any] = {}
        for key in ("models", "hardware_detected", "simulated_hardware", "warnings"):
            if key in doc:
                meta[key] = doc[key]
        if notes:
            meta["functionality_verification_notes"] = notes
        if failures:
            meta["performance_benchmarks_not_run"] = failures
        started = nz.parse_time(doc.get("timestamp")) or ctx.path_time
        yield RunMeta(run=RunInfo(origin=ORIGIN, started_at=started, run_key=undated_key(started, ctx),
                                  metadata=meta))


IMPORTERS = [RunModelBenchmarksImporter()]
