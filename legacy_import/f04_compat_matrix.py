"""F4: ``hardware_compatibility_matrix.json``, per model FAMILY x hardware:
``{[timestamp], hardware_types, model_families {family: {hardware_compatibility {hw:
{compatible, performance_rating, benchmark_results [{mean_latency, mean_throughput, timestamp,
model_name}], [error]}}}}}`` (+ ``simulated_hardware``/``warnings`` in annotated copies).

Every value here is derived by the producing script from other files: ``compatible`` from the
F3 checks or the F6 model status, ``mean_latency`` (seconds) / ``mean_throughput`` from the F6
``performance_summary`` (a mean over configs). So the matrix gives compatibility facts only; its
numbers stay in ``CompatFact.details`` as written (seconds), never as results.

Model naming: where ``benchmark_results`` lists models, one fact per listed model (the family's
flag applies to each; ``details['compatible_scope'] = 'model_family'``). Where none is listed,
the run names the family's models in its ``models`` map (F1 ``benchmark_results.json`` beside
the matrix, of the same run: the same ``timestamp``): one fact per model of that family, stored
under the model's name so it joins to results (``compatible_scope`` and ``skill_key`` say where
it came from). With no such map, one fact with the family as model_name
(``details['scope'] = 'model_family'``).

Run: a ``YYYYMMDD_HHMMSS`` timestamp is run_model_benchmarks' run time (same run as its F1);
otherwise the matrix is run_benchmark_suite's and takes the time of its folder. Cumulative
copies keep the timestamp of the run that created them.

run_model_benchmarks' flags for a hardware (with no benchmarked model listed) come from its
``functionality_verification[<hw>]`` report, which in some real files is a copy of another
hardware's report (the ``cuda`` entry holds the CPU report, its entries say ``hardware: cpu``).
Where the run's aggregate beside the matrix (same timestamp) shows that, the flags filed under
that hardware are not recorded as its facts (noted in the run metadata with the evidence), as in
F1; where the aggregate shows a report that ran on that hardware, or no aggregate of the run is
found, the flags are that hardware's facts.

Entries whose hardware key is not a hardware type and not in ``hardware_types`` (the real files
hold ``bert-base-uncased`` etc. there: run_model_benchmarks.py iterated an F6 document one level
too high) are not facts; they are listed in the run metadata.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.legacy_import.base import ImportContext, Importer, SkipFile, ptr
from benchwh.legacy_import.f03_model_functionality import aggregate_beside, hardware_seen, run_model_names
from benchwh.legacy_import.fields import hardware_of, simulated_marks, str_at, undated_key
from benchwh.records import CompatFact, Record, RunInfo, RunMeta

_COMPACT_TS = re.compile(r"^\d{8}_\d{6}$")


def _run(doc: dict, ctx: ImportContext) -> RunInfo:
    ts = doc.get("timestamp")
    if isinstance(ts, str) and _COMPACT_TS.match(ts.strip()):
        started = nz.parse_time(ts)
        return RunInfo(origin="run_model_benchmarks", started_at=started, run_key=undated_key(started, ctx))
    started = nz.parse_time(ts) or ctx.path_time
    return RunInfo(origin="run_benchmark_suite", started_at=started, run_key=undated_key(started, ctx))


def copied_reports(f1: dict | None) -> dict[str, list[str]]:
    """Hardware type -> the hardware its ``functionality_verification`` report really ran on,
    for each report of the aggregate ``f1`` filed under a hardware its entries never name (a
    copy of another hardware's report); {} without an aggregate."""
    fv = f1.get("functionality_verification") if isinstance(f1, dict) else None
    out: dict[str, list[str]] = {}
    for key, sub in (fv.items() if isinstance(fv, dict) else ()):
        filed, seen = hardware_of(key)[0], hardware_seen(sub)
        if seen and filed not in seen:
            out[filed] = sorted(seen)
    return out


def _from_copied_report(run: RunInfo, key: str, entry: dict, copied: dict[str, list[str]]) -> bool:
    """A run_model_benchmarks flag that names no benchmarked model, filed under a hardware whose
    verification report in the run's aggregate is a copy of another hardware's report."""
    listed = entry.get("benchmark_results")
    return (run.origin == "run_model_benchmarks" and hardware_of(key)[0] in copied
            and not (isinstance(listed, list) and listed))


def same_run_aggregate(doc: dict, ctx: ImportContext) -> dict | None:
    """The run_model_benchmarks aggregate beside the matrix when it is the same run (its
    ``timestamp`` is the matrix's); None otherwise (a cumulative copy of an earlier run's
    matrix, or no aggregate)."""
    f1 = aggregate_beside(ctx)
    started = nz.parse_time(doc.get("timestamp"))
    if f1 is None or started is None or nz.parse_time(f1.get("timestamp")) != started:
        return None
    return f1


def family_models(f1: dict | None) -> dict[str, list[tuple[str, str]]]:
    """Family -> [(skill key, model name)] from the aggregate's ``models`` map; {} without one."""
    out: dict[str, list[tuple[str, str]]] = {}
    for key, name in run_model_names(f1).items():
        fam = f1["models"][key].get("family")
        if isinstance(fam, str):
            out.setdefault(fam, []).append((key, name))
    return out


def _facts(run: RunInfo, family: str, key: str, entry: dict, marks: dict[str, str],
           ctx: ImportContext, members: list[tuple[str, str]]) -> Iterator[CompatFact]:
    hw, device, mock = hardware_of(key)
    ok = entry.get("compatible") if isinstance(entry.get("compatible"), bool) else None
    reason = f"hardware spelled {key!r} (mock)" if mock else marks.get(hw)
    base_details: dict[str, Any] = {}
    if entry.get("performance_rating") is not None:
        base_details["performance_rating"] = entry["performance_rating"]
    common = dict(
        run=run, model_family=family, hardware_type=hw, device_name=device, compatible=ok,
        status=None if ok is None else ("completed" if ok else "failed"),
        error=str_at(entry, "error"),
        is_simulated=reason is not None, simulation_reason=reason,
    )
    where = ("model_families", family, "hardware_compatibility", key)
    listed = entry.get("benchmark_results")
    named = [(i, b) for i, b in enumerate(listed) if isinstance(b, dict) and isinstance(b.get("model_name"), str)] \
        if isinstance(listed, list) else []
    if not named and members:
        for skill_key, name in members:
            yield CompatFact(**common, model_name=name,
                             details={**base_details, "compatible_scope": "model_family", "skill_key": skill_key},
                             measured_at=run.started_at, provenance=ctx.prov(ptr(*where)))
        return
    if not named:
        yield CompatFact(**common, model_name=family,
                         details={**base_details, "scope": "model_family"},
                         measured_at=run.started_at, provenance=ctx.prov(ptr(*where)))
        return
    for i, item in named:
        extra = {k: v for k, v in item.items() if k not in ("model_name", "timestamp")}
        details = {**base_details, "compatible_scope": "model_family"}
        if extra:
            # mean over the F6 configs' averages, in seconds as written: derived, not a result
            details["matrix_summary"] = extra
        yield CompatFact(**common, model_name=item["model_name"], details=details,
                         measured_at=nz.parse_time(item.get("timestamp")) or run.started_at,
                         provenance=ctx.prov(ptr(*where, "benchmark_results", i)))


def looks_like_f4(doc: Any) -> bool:
    if (not isinstance(doc, dict) or not isinstance(doc.get("model_families"), dict)
            or "performance_comparison" in doc):  # F7 summary
        return False
    fams = doc["model_families"]
    return bool(fams) and all(isinstance(v, dict) and "hardware_compatibility" in v for v in fams.values())


class CompatMatrixImporter(Importer, name="f04-compat-matrix", formats=("F4",),
                           keys={"timestamp", "hardware_types", "model_families"},
                           required_keys={'model_families'}):
    """hardware_compatibility_matrix.json: model family x hardware compatibility (derived)"""

    def sniff(self, doc: Any) -> bool:
        return looks_like_f4(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        run = _run(doc, ctx)
        marks = simulated_marks(doc)
        hw_list = doc.get("hardware_types") if isinstance(doc.get("hardware_types"), list) else []
        ignored: dict[str, list[str]] = {}
        copied: dict[str, list[str]] = {}
        aggregate = same_run_aggregate(doc, ctx)
        members, copies = family_models(aggregate), copied_reports(aggregate)
        n = 0
        for family, fam_entry in doc["model_families"].items():
            table = fam_entry.get("hardware_compatibility") if isinstance(fam_entry, dict) else None
            if not isinstance(table, dict):
                continue
            for key, entry in table.items():
                if not isinstance(entry, dict):
                    continue
                if hardware_of(key)[0] == "unknown" and key not in hw_list:
                    ignored.setdefault(family, []).append(key)
                    continue
                if _from_copied_report(run, key, entry, copies):
                    copied.setdefault(family, []).append(key)
                    continue
                for fact in _facts(run, family, key, entry, marks, ctx, members.get(family, [])):
                    n += 1
                    yield fact
        if not n and not copied:
            raise SkipFile("compatibility matrix with no model family x hardware entries")
        meta: dict[str, Any] = {}
        if ignored:
            meta["matrix_entries_not_hardware"] = ignored
        if copied:
            meta["matrix_entries_not_evidence"] = {
                "entries": copied,
                "reason": ("run_model_benchmarks derives these flags from functionality_verification, "
                           "whose reports filed under " + ", ".join(
                               f"{hw} ran on {', '.join(seen)}" for hw, seen in sorted(copies.items()))
                           + " (a copy of another hardware's report): no facts of that hardware from it")}
        for key in ("simulated_hardware", "warnings"):
            if key in doc:
                meta[key] = doc[key]
        if meta:
            yield RunMeta(run=RunInfo(origin=run.origin, started_at=run.started_at, run_key=run.run_key,
                                      metadata=meta))


IMPORTERS = [CompatMatrixImporter()]
