"""H02: asv (airspeed velocity) results folders.

``results/benchmarks.json`` (each benchmark's type, unit, parameter names and values),
``results/<machine>/machine.json`` and one file per commit and environment
``results/<machine>/<commit>-<env>.json`` (format version 2: ``result_columns`` names the
entries of each benchmark's row: ``result`` (one value per parameter combination, in the order
of the product of the parameter lists; the median of the samples), ``params``, ``started_at``
(epoch ms: the measurement time; the file's ``date`` is the commit's), ``stats_*`` and
``samples``).

A result file is expanded over the product of its parameters: one result per combination.
The units and parameter names come from ``benchmarks.json`` and the machine from
``machine.json``, found beside or above the result file (``ImportContext.find_up``).
``benchmarks.json`` and ``machine.json`` themselves are recognised and skipped (read with the
results), and so is everything ``asv publish`` writes (``html/index.json``, ``info.json``,
``regressions.json``, ``graphs/**.json``): derived from the results.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

from benchwh.legacy_import.base import ImportContext, Importer, Quarantine, SkipFile, ptr, shaped
from benchwh.legacy_import.fields import str_at
from benchwh.legacy_import.harness_common import drop_none, literal
from benchwh.normalize import (
    bytes_to_mib, epoch_ms_time, is_number, samples_to_ms, to_float, to_int, to_ms,
)
from benchwh.records import STATUS_FAILED, Record, Result, RunInfo

_MACHINE_KEYS = {"arch", "cpu", "machine", "num_cpu", "os", "ram", "version", "extra"}
_TIME_UNITS = {"seconds", "second", "s"}
_BYTE_UNITS = {"bytes", "byte"}


def _benchmarks_json(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), int):
        return False
    defs = [v for k, v in doc.items() if k != "version"]
    return bool(defs) and all(isinstance(v, dict) and {"name", "type", "unit"} <= v.keys() for v in defs)


def _machine_json(doc: Any) -> bool:
    return (shaped(doc, {"machine": str, "version": int})
            and (set(doc) <= _MACHINE_KEYS or len(doc.keys() & {"arch", "cpu", "num_cpu", "os", "ram"}) >= 2))


class AsvResultsImporter(Importer, name="asv", formats=("H02",), keys={"commit_hash", "env_name", "date",
                         "params", "python", "requirements", "result_columns", "results", "durations",
                         "version"}, required_keys={"results", "result_columns", "commit_hash"}):
    """asv results/<machine>/<commit>-<env>.json (with benchmarks.json, machine.json)"""

    def sniff(self, doc: Any) -> bool:
        return (shaped(doc, {"results": dict, "result_columns": list, "commit_hash": str})
                and doc.get("version") == 2)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        found = ctx.find_up("benchmarks.json")
        if found is None or not _benchmarks_json(found[1]):
            raise Quarantine("asv results need the benchmarks.json of their results folder (units and "
                             "parameter names): import the whole asv results folder")
        defs = found[1]
        mfound = ctx.find_up("machine.json")
        machine = mfound[1] if mfound and _machine_json(mfound[1]) else {}
        cols = doc["result_columns"]
        starts = [epoch_ms_time(dict(zip(cols, row)).get("started_at")) for row in doc["results"].values()
                  if isinstance(row, list)]
        starts = [t for t in starts if t is not None]
        env = doc.get("params") if isinstance(doc.get("params"), dict) else {}
        host = machine.get("machine") or env.get("machine")
        run = RunInfo(
            origin="asv", started_at=min(starts) if starts else None,
            run_key=f"{host}/{doc['commit_hash']}/{doc.get('env_name')}",
            git_commit=doc["commit_hash"], host=host,
            python_version=str_at(doc, "python"),
            metadata=drop_none({"commit_date": _iso(epoch_ms_time(doc.get("date"))), "env_name": doc.get("env_name"),
                                "env_params": env or None, "requirements": doc.get("requirements") or None,
                                "env_vars": doc.get("env_vars") or None, "machine": machine or None,
                                "durations": doc.get("durations") or None,
                                "benchmarks_file": found[0]}),
        )
        device = machine.get("cpu") or env.get("cpu") or None  # the file's params copy machine.json
        for name, row in doc["results"].items():
            if not isinstance(row, list):
                raise Quarantine(f"asv result {name!r} is not a row of result_columns")
            d = dict(zip(cols, row))
            spec = defs.get(name)
            if not isinstance(spec, dict):
                raise Quarantine(f"asv result {name!r} has no definition in {found[0]}")
            yield from _expand(name, d, spec, run, device, ctx)


def _iso(t) -> str | None:
    return t.isoformat() if t is not None else None


def _expand(name: str, d: dict, spec: dict, run: RunInfo, device: str | None, ctx: ImportContext) -> Iterator[Result]:
    values = d.get("result")
    params = d.get("params") if isinstance(d.get("params"), list) else spec.get("params") or []
    names = spec.get("param_names") or [f"param{i + 1}" for i in range(len(params))]
    combos = list(itertools.product(*params)) if params else [()]
    if values is None:  # the whole benchmark failed: every combination has no result
        values = [None] * len(combos)
    elif not isinstance(values, list):
        values = [values]
    if len(combos) != len(values):
        raise Quarantine(f"asv result {name!r}: {len(values)} values for {len(combos)} parameter combinations")
    unit = spec.get("unit")
    kind = spec.get("type")
    when = epoch_ms_time(d.get("started_at"))

    def at(key: str, i: int) -> Any:
        v = d.get(key)
        return v[i] if isinstance(v, list) and i < len(v) else None

    for i, (combo, value) in enumerate(zip(combos, values)):
        p = {str(n): literal(v) for n, v in zip(names, combo)} or None
        metrics: dict[str, Any] = {"asv_type": kind, "benchmark_version": d.get("version"),
                                   "duration_s": to_float(d.get("duration")),
                                   "number": to_int(at("stats_number", i)), "repeat": to_int(at("stats_repeat", i))}
        r = Result(run=run, model_name=None, hardware_type="cpu", device_name=device, benchmark=name,
                   benchmark_params=p, reported_unit=unit, measured_at=when,
                   provenance=ctx.prov(ptr("results", name, i)))
        if value is None or not is_number(value):
            r.status, r.error = STATUS_FAILED, "asv recorded no result for this combination (failed or skipped)"
        elif unit in _TIME_UNITS:
            r.latency_ms_p50 = to_ms(value, "s")
            for key, out in (("stats_ci_99_a", "ci_99_low_ms"), ("stats_ci_99_b", "ci_99_high_ms"),
                             ("stats_q_25", "q_25_ms"), ("stats_q_75", "q_75_ms")):
                metrics[out] = to_ms(at(key, i), "s")
            r.latency_samples_ms = samples_to_ms(at("samples", i), "s")
            r.iterations = len(r.latency_samples_ms) if r.latency_samples_ms else None
        elif unit in _BYTE_UNITS:
            r.memory_peak_mb = bytes_to_mib(value)
        else:
            metrics["value"] = value  # a track_ benchmark: the unit is the benchmark's own
        r.metrics = drop_none(metrics)
        yield r


class AsvBenchmarksImporter(Importer, name="asv-benchmarks", formats=("H02",), keys={"version"}):
    """asv results/benchmarks.json (skipped: read with the result files)"""

    def sniff(self, doc: Any) -> bool:
        return _benchmarks_json(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(f"asv benchmark definitions ({len(doc) - 1} benchmarks): read with the result files beside them")
        yield  # pragma: no cover


class AsvMachineImporter(Importer, name="asv-machine", formats=("H02",), keys=frozenset(_MACHINE_KEYS),
                         required_keys={"machine", "version"}):
    """asv results/<machine>/machine.json (skipped: read with the result files)"""

    def sniff(self, doc: Any) -> bool:
        return _machine_json(doc)

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(f"asv machine description ({doc.get('machine')}): read with the result files beside it")
        yield  # pragma: no cover


_INDEX_KEYS = {"revision_to_hash", "graph_param_list", "benchmarks", "machines"}


def _graph(doc: Any) -> bool:
    """An ``asv publish`` graph file: ``[[revision, value], ...]``, the value a number, null or
    a list of them."""
    if not isinstance(doc, list) or not doc:
        return False
    for item in doc:
        if not (isinstance(item, list) and len(item) == 2 and type(item[0]) is int):
            return False
        v = item[1]
        if not (v is None or is_number(v) or (isinstance(v, list) and all(x is None or is_number(x) for x in v))):
            return False
    return True


def _publish_kind(doc: Any) -> str | None:
    if isinstance(doc, dict):
        if _INDEX_KEYS <= doc.keys():
            return "index"
        if set(doc) == {"asv-version", "timestamp"}:
            return "info"
        if set(doc) == {"regressions"} and isinstance(doc["regressions"], list):
            return "regressions"
        return None
    return "graph" if _graph(doc) else None


class AsvPublishImporter(Importer, name="asv-publish", formats=("H02",),
                         keys=frozenset(_INDEX_KEYS | {"project", "revision_to_date", "params", "tags", "pages"})):
    """asv publish output (html/index.json, graphs, regressions: skipped as derived)"""

    def sniff(self, doc: Any) -> bool:
        return _publish_kind(doc) is not None

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(f"asv publish output ({_publish_kind(doc)}): derived from the asv results; "
                       f"import the results folder instead")
        yield  # pragma: no cover


_CONF_KEYS = {"benchmark_dir", "results_dir", "html_dir", "environment_type", "branches", "matrix"}


class AsvConfImporter(Importer, name="asv-conf", formats=("H02",),
                      keys=frozenset(_CONF_KEYS | {"version", "project", "repo", "project_url"}),
                      required_keys={"version", "project", "repo"}):
    """asv.conf.json project configuration (skipped: no measurements)"""

    def sniff(self, doc: Any) -> bool:
        return (shaped(doc, {"project": str, "repo": str}) and doc.get("version") == 1 and bool(_CONF_KEYS & doc.keys()))

    def convert(self, doc: Any, ctx: ImportContext) -> Iterator[Record]:
        raise SkipFile(f"asv project configuration ({doc.get('project')}): no measurements")
        yield  # pragma: no cover


IMPORTERS = [AsvResultsImporter(), AsvBenchmarksImporter(), AsvMachineImporter(), AsvPublishImporter(),
             AsvConfImporter()]
