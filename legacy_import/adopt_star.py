"""The star-schema family (and its web tables) -> benchwh records.

Reads the legacy tables ``performance_results`` (+ ``performance_batch_results``),
``hardware_compatibility``, ``integration_test_results`` (+ assertions), the ad-hoc
``performance_history``, ``web_platform_results`` (+ ``webgpu_advanced_features``), resolving
``model_id``/``hardware_id``/``run_id`` through ``models``, ``hardware_platforms`` and
``test_runs``. Columns are read by name, so the drifted copy (reordered columns, an extra
``id``, JSON as text, no ``created_at``) goes through the same code.

What is not a measurement (flagged, never written):
- rows on a seeded sample device or in a seeded sample run: create_benchmark_schema.py and the
  SQLite schema-enhancement script inserted fake hardware (``Intel Core i9-12900K``, ``NVIDIA
  RTX 4090``...), fake runs (commits ``a404c5a``...) and results on them;
- zero-filled rows: every metric 0 or empty (the API's placeholder rows);
- dimension rows (hardware, models, runs) no carried row refers to.
Refused: rows whose model or hardware cannot be named (id not resolvable, model ``unknown``).
"""

from __future__ import annotations

from typing import Any, Iterator

from benchwh import normalize as nz
from benchwh.records import CompatFact, Result, RunInfo, RunMeta, TestOutcome
from benchwh.legacy_import.adopt_base import (
    R_MODEL_UNNAMED, R_SAMPLE, R_ZERO, Children, Ctx, Table, as_json, count, legacy_hardware, measured,
    note_zeros, plain, text, when,
)
from benchwh.legacy_import.adopt_web import web_records

# The fake devices the legacy schema scripts seeded; a row on one was not measured on it.
SAMPLE_DEVICES = frozenset({
    ("cpu", "Intel Core i9-12900K"), ("cuda", "NVIDIA RTX 4090"), ("rocm", "AMD Radeon RX 7900 XTX"),
    ("mps", "Apple M2 Ultra"), ("openvino", "Intel Neural Compute Stick 2"),
    ("webnn", "Chrome Browser"), ("webgpu", "Firefox Browser"),
})
# Generic placeholder hardware the converter's database init seeded (type, name, platform).
SEEDED_DEFAULT_HARDWARE = frozenset({
    ("cpu", "CPU", "cpu"), ("cuda", "NVIDIA GPU", "cuda"), ("rocm", "AMD GPU", "rocm"),
    ("mps", "Apple Silicon", "mps"), ("openvino", "Intel CPU/GPU", "openvino"),
    ("webnn", "WebNN", "web"), ("webgpu", "WebGPU", "web"),
})
SEEDED_MODELS = frozenset({
    ("bert-base-uncased", "bert"), ("t5-small", "t5"), ("whisper-tiny", "whisper"),
    ("opt-125m", "llama"), ("vit-base", "vit"), ("llava-onevision-base", "llava"),
    ("vit-base-patch16-224", "vit"), ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "llama"),
})
SAMPLE_RUNS = frozenset({
    ("performance_benchmark_bert", "a404c5a"), ("hardware_compatibility_test", "93af533"),
    ("integration_test_suite", "f27af98"),
})

R_DIM_SEEDED = "seeded sample row that no carried row refers to"
R_DIM_UNUSED = "no carried row refers to it"
R_RUN_PLACEHOLDER = "placeholder run: no carried row refers to it and it records no commit or command line"
_PERF_ZEROS = {"average_latency_ms": "latency_ms_mean", "throughput_items_per_second": "throughput_items_per_s",
               "memory_peak_mb": "memory_peak_mb", "total_time_seconds": "metrics.total_time_s"}
_HISTORY_ZEROS = {"latency_ms": "latency_ms_mean", "throughput_items_per_second": "throughput_items_per_s",
                  "memory_mb": "memory_peak_mb"}
_TEST_STATUS = {"pass": "passed", "fail": "failed", "error": "error", "skip": "skipped"}


def _ref_reason(what: str, table_present: bool) -> str:
    table = "models" if what == "model" else "hardware_platforms"
    if not table_present:
        return f"{what}_id cannot be resolved: the file has no {table} table"
    return f"{what}_id not found in {table}"


class StarConverter:
    """One pass over a star-schema file; ``records()`` yields, the ctx ledger counts."""

    def __init__(self, tables: dict[str, Table], ctx: Ctx):
        self.t, self.ctx = tables, ctx
        self.hw = self._index("hardware_platforms", "hardware_id")
        self.models = self._index("models", "model_id")
        self.runs = self._index("test_runs", "run_id")
        self.used_hw: set[Any] = set()
        self.used_models: set[Any] = set()
        self.used_runs: set[Any] = set()
        self._run_cache: dict[Any, RunInfo] = {}

    def _index(self, name: str, key: str) -> dict[Any, dict]:
        tbl = self.t.get(name)
        return {r.get(key): r for r in tbl.rows} if tbl else {}

    def _rows(self, name: str) -> list[dict]:
        tbl = self.t.get(name)
        return tbl.rows if tbl else []

    def _children(self, name: str, key: str) -> Children:
        return Children(name, self._rows(name), key)

    def _real_rows(self, name: str) -> Iterator[dict]:
        """The rows of ``name`` that are not seeded samples (those are flagged as such)."""
        for row in self._rows(name):
            if self._sample(row):
                self.ctx.ledger.flag(name, R_SAMPLE)
                continue
            yield row

    # --- identity --------------------------------------------------------------------------
    def _sample(self, row: dict) -> bool:
        h = self.hw.get(row.get("hardware_id"))
        if h is not None and (str(h.get("hardware_type")).lower(), h.get("device_name")) in SAMPLE_DEVICES:
            return True
        r = self.runs.get(row.get("run_id"))
        return r is not None and (r.get("test_name"), r.get("git_commit")) in SAMPLE_RUNS

    def _model(self, model_id: Any) -> tuple[str, str | None, str | None] | str:
        """(name, family, modality) or the refusal reason."""
        m = self.models.get(model_id)
        if m is None:
            return _ref_reason("model", "models" in self.t)
        name = text(m.get("model_name"))
        if name is None or name.lower() == "unknown_model":
            return R_MODEL_UNNAMED
        family = text(m.get("model_family"))
        return name, family, nz.modality(text(m.get("modality")), family)

    def _hardware(self, hardware_id: Any) -> tuple[str, str | None, bool] | str:
        h = self.hw.get(hardware_id)
        if h is None:
            return _ref_reason("hardware", "hardware_platforms" in self.t)
        hw, _, mock = legacy_hardware(h.get("hardware_type"))
        return hw, nz.informative_device_name(h.get("device_name"), hw), mock

    def _run(self, run_id: Any) -> RunInfo:
        """The run of a legacy row: its test_runs row (origin ``web`` for web test runs), keyed
        by the legacy run id and start time; rows without one share a run named by the file."""
        if run_id in self._run_cache:
            return self._run_cache[run_id]
        r = self.runs.get(run_id)
        if r is None:
            # no test_runs row: the file is the only identity the run has
            run = self.ctx.run("star", None, f"no test_runs row @{self.ctx.sha256[:16]}")
        else:
            started = when(r.get("started_at"))
            meta = {k: plain(r.get(k)) for k in ("test_name", "test_type", "success", "completed_at")
                    if r.get(k) is not None}
            exec_s = nz.to_float(r.get("execution_time_seconds"))
            if exec_s:
                meta["execution_time_seconds"] = exec_s
            legacy_meta = as_json(r.get("metadata"))
            if legacy_meta:
                meta["legacy_metadata"] = legacy_meta
            family = "web" if str(r.get("test_type") or "").startswith("web") else "star"
            key = f"test_runs/{run_id}" + ("" if started else f" @{self.ctx.sha256[:16]}")
            run = self.ctx.run(family, started, key, git_commit=text(r.get("git_commit")),
                               git_branch=text(r.get("git_branch")),
                               command_line=text(r.get("command_line")), metadata=meta)
        self._run_cache[run_id] = run
        return run

    def _who(self, table: str, row: dict) -> tuple | None:
        """Model, hardware and run of a fact row, or None after refusing it."""
        model = self._model(row.get("model_id"))
        if isinstance(model, str):
            self.ctx.ledger.refuse(table, model)
            return None
        hw = self._hardware(row.get("hardware_id"))
        if isinstance(hw, str):
            self.ctx.ledger.refuse(table, hw)
            return None
        return model, hw, self._run(row.get("run_id"))

    def _used(self, row: dict) -> None:
        self.used_models.add(row.get("model_id"))
        self.used_hw.add(row.get("hardware_id"))
        if row.get("run_id") in self.runs:
            self.used_runs.add(row.get("run_id"))

    def _carry(self, table: str, row: dict, key: Any = None, children: Children | None = None) -> None:
        """``row`` of ``table`` became a record: counted, its dimensions used, its children
        (under ``key``) carried with it."""
        self._used(row)
        self.ctx.ledger.carry(table)
        if children is not None:
            children.carried.add(key)

    # --- facts -----------------------------------------------------------------------------
    def records(self) -> Iterator[Any]:
        yield from self._performance()
        yield from self._history()
        yield from self._compat()
        yield from self._tests()
        yield from web_records(self)
        yield from self._dimensions()

    def _performance(self) -> Iterator[Result]:
        batches = self._children("performance_batch_results", "result_id")
        L, ctx = self.ctx.ledger, self.ctx
        for row in self._real_rows("performance_results"):
            rid = row.get("result_id")
            lat = measured(row.get("average_latency_ms"))
            thr = measured(row.get("throughput_items_per_second"))
            mem = measured(row.get("memory_peak_mb"))
            total = measured(row.get("total_time_seconds"))
            batch_rows = [_batch(b) for b in sorted(batches.of(rid), key=lambda b: b.get("batch_index") or 0)]
            batch_rows = [b for b in batch_rows if len(b) > 2]  # index and size alone carry nothing
            if lat is None and thr is None and mem is None and total is None and not batch_rows:
                L.flag("performance_results", R_ZERO)
                continue
            who = self._who("performance_results", row)
            if who is None:
                continue
            (name, family, modality), (hw, device, mock), run = who
            metrics = {k: plain(v) for k, v in as_json(row.get("metrics")).items()}
            if total is not None:
                metrics["total_time_s"] = total
            if batch_rows:
                metrics["batch_results"] = batch_rows
            self._carry("performance_results", row, rid, batches)
            note_zeros(ctx, row, _PERF_ZEROS)
            yield Result(
                run=run, model_name=name, model_family=family, modality=modality,
                hardware_type=hw, device_name=device, scenario=text(row.get("test_case")),
                batch_size=nz.to_int(row.get("batch_size")), precision=nz.precision(row.get("precision")),
                latency_ms_mean=lat, throughput_items_per_s=thr, memory_peak_mb=mem,
                iterations=count(row.get("iterations")), warmup_iterations=count(row.get("warmup_iterations")),
                metrics=metrics, is_simulated=mock,
                simulation_reason="hardware spelled as mock in the legacy row" if mock else None,
                measured_at=when(row.get("created_at")) or run.started_at,
                provenance=ctx.prov("performance_results", rid),
            )
        batches.settle(L)

    def _history(self) -> Iterator[Result]:
        L, ctx = self.ctx.ledger, self.ctx
        for i, row in enumerate(self._rows("performance_history")):
            key = row.get("id", i)
            if self._sample(row):
                L.flag("performance_history", R_SAMPLE)
                continue
            lat = measured(row.get("latency_ms"))
            thr = measured(row.get("throughput_items_per_second"))
            mem = measured(row.get("memory_mb"))
            if lat is None and thr is None and mem is None:
                L.flag("performance_history", R_ZERO)
                continue
            model, hw = self._model(row.get("model_id")), self._hardware(row.get("hardware_id"))
            if isinstance(model, str) or isinstance(hw, str):
                L.refuse("performance_history", model if isinstance(model, str) else hw)  # type: ignore[arg-type]
                continue
            commit = text(row.get("git_commit_hash"))
            run = ctx.run("star", None, f"performance_history@{commit or ctx.sha256[:16]}", git_commit=commit)
            metrics = {k: plain(row.get(k)) for k in ("power_watts", "baseline_performance_id",
                       "regression_detected", "regression_severity", "notes") if row.get(k) is not None}
            self._carry("performance_history", row)
            note_zeros(ctx, row, _HISTORY_ZEROS)
            yield Result(
                run=run, model_name=model[0], model_family=model[1], modality=model[2],
                hardware_type=hw[0], device_name=hw[1], batch_size=nz.to_int(row.get("batch_size")),
                latency_ms_mean=lat, throughput_items_per_s=thr, memory_peak_mb=mem, metrics=metrics,
                is_simulated=hw[2], simulation_reason="hardware spelled as mock in the legacy row" if hw[2] else None,
                measured_at=when(row.get("timestamp")), provenance=ctx.prov("performance_history", key),
            )

    def _compat(self) -> Iterator[CompatFact]:
        L, ctx = self.ctx.ledger, self.ctx
        for row in self._real_rows("hardware_compatibility"):
            who = self._who("hardware_compatibility", row)
            if who is None:
                continue
            (name, family, _), (hw, device, mock), run = who
            ok = row.get("is_compatible")
            details = {k: plain(row.get(k)) for k in (
                "detection_success", "initialization_success", "error_type", "suggested_fix",
                "workaround_available", "compatibility_score") if row.get(k) is not None}
            meta = as_json(row.get("metadata"))
            if meta:
                details["legacy_metadata"] = meta
            self._carry("hardware_compatibility", row)
            yield CompatFact(
                run=run, model_name=name, model_family=family, hardware_type=hw, device_name=device,
                compatible=None if ok is None else bool(ok),
                status=None if ok is None else ("completed" if ok else "failed"),
                error=text(row.get("error_message")), details=details, is_simulated=mock,
                simulation_reason="hardware spelled as mock in the legacy row" if mock else None,
                measured_at=when(row.get("created_at")) or run.started_at,
                provenance=ctx.prov("hardware_compatibility", row.get("compatibility_id")),
            )

    def _tests(self) -> Iterator[TestOutcome]:
        L, ctx = self.ctx.ledger, self.ctx
        asserts = self._children("integration_test_assertions", "test_result_id")
        for row in self._real_rows("integration_test_results"):
            tid = row.get("test_result_id")
            model = self._model(row.get("model_id")) if row.get("model_id") is not None else None
            hw = self._hardware(row.get("hardware_id")) if row.get("hardware_id") is not None else None
            bad = model if isinstance(model, str) else hw if isinstance(hw, str) else None
            if bad:
                L.refuse("integration_test_results", bad)
                continue
            run = self._run(row.get("run_id"))
            details: dict[str, Any] = {}
            if text(row.get("test_class")):
                details["test_class"] = row["test_class"]
            if text(row.get("error_traceback")):
                details["error_traceback"] = row["error_traceback"]
            meta = as_json(row.get("metadata"))
            if meta:
                details["legacy_metadata"] = meta
            if asserts.of(tid):
                details["assertions"] = [{k: plain(a.get(k)) for k in (
                    "assertion_name", "passed", "expected_value", "actual_value", "message")}
                    for a in sorted(asserts.of(tid), key=lambda a: a.get("assertion_id") or 0)]
            self._carry("integration_test_results", row, tid, asserts)
            note_zeros(ctx, row, {"execution_time_seconds": "duration_s"})
            word = str(row.get("status") or "").strip().lower()
            yield TestOutcome(
                run=run, module=text(row.get("test_module")), test_name=str(row.get("test_name")),
                status=_TEST_STATUS.get(word, word or "unknown"),
                model_name=model[0] if model else None, hardware_type=hw[0] if hw else None,
                duration_s=measured(row.get("execution_time_seconds")),
                error=text(row.get("error_message")), details=details,
                measured_at=when(row.get("created_at")) or run.started_at,
                provenance=ctx.prov("integration_test_results", tid),
            )
        asserts.settle(L)

    # --- dimensions ------------------------------------------------------------------------
    def _dimensions(self) -> Iterator[RunMeta]:
        L = self.ctx.ledger
        for h in self._rows("hardware_platforms"):
            key = (str(h.get("hardware_type")).lower(), h.get("device_name"))
            if h.get("hardware_id") in self.used_hw:
                L.carry("hardware_platforms")
            elif key in SAMPLE_DEVICES or (*key, h.get("platform")) in SEEDED_DEFAULT_HARDWARE:
                L.flag("hardware_platforms", R_DIM_SEEDED)
            else:
                L.flag("hardware_platforms", R_DIM_UNUSED)
        for m in self._rows("models"):
            if m.get("model_id") in self.used_models:
                L.carry("models")
            elif (m.get("model_name"), m.get("model_family")) in SEEDED_MODELS:
                L.flag("models", R_DIM_SEEDED)
            else:
                L.flag("models", R_DIM_UNUSED)
        for r in self._rows("test_runs"):
            rid = r.get("run_id")
            if rid in self.used_runs:
                L.carry("test_runs")
            elif (r.get("test_name"), r.get("git_commit")) in SAMPLE_RUNS:
                L.flag("test_runs", R_DIM_SEEDED)
            elif text(r.get("git_commit")) or text(r.get("command_line")):
                # a real run that left no rows (the web run whose ingestion failed): keep the run
                L.carry("test_runs")
                yield RunMeta(self._run(rid))
            else:
                L.flag("test_runs", R_RUN_PLACEHOLDER)


def _batch(b: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"batch_index": nz.to_int(b.get("batch_index")), "batch_size": nz.to_int(b.get("batch_size"))}
    lat = measured(b.get("latency_ms"))
    mem = measured(b.get("memory_usage_mb"))
    if lat is not None:
        out["latency_ms"] = lat
    if mem is not None:
        out["memory_usage_mb"] = mem
    return out
