"""The plain record types that cross every boundary.

Importers and runners *yield* these; only ``benchwh.warehouse`` turns them into rows. A record
holds facts exactly as measured (already in benchwh units: ms, MiB, items/s) and ``None`` for
anything the source did not say. Identity is by content: every id is a hash of the fact's
natural key (see ``RunInfo.run_id`` and ``Result.result_id``), so the same measurement reached
through two files, two imports or two merged warehouses is one row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping, Sequence, Union

ID_LEN = 32  # hex chars of sha256 kept in ids (128 bits)

INFERENCE = "inference"
TRAINING = "training"

STATUS_COMPLETED = "completed"

# How a stored time was obtained. Every time in the warehouse is naive UTC except ``unknown``
# ones, kept as the source wrote them because nothing said their zone:
# explicit: the source gave the instant (epoch number, ``Z`` or an offset in the text);
# inferred: naive text moved onto UTC by an offset the file's own evidence proves;
# assumed: naive text moved onto UTC by the zone the user stated (``--source-tz``);
# unknown: naive text, zone unknown, kept as written.
TIME_EXPLICIT, TIME_INFERRED, TIME_ASSUMED, TIME_UNKNOWN = "explicit", "inferred", "assumed", "unknown"
TIME_BASES = (TIME_EXPLICIT, TIME_INFERRED, TIME_ASSUMED, TIME_UNKNOWN)
STATUS_FAILED = "failed"


def _canon(value: Any) -> str:
    # The common exact types first (ids are computed for every record of an import); the
    # text is the same as the general rules below give.
    kind = type(value)
    if kind is str:
        return value
    if kind is int or kind is bool:
        return str(value)
    if value is None:
        return "\x00"
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _esc(text: str) -> str:
    """Make a part's text unambiguous: the separator and NUL (which stands for None) can only
    come from the encoding itself. Text without ``\\``, US or NUL is unchanged (and so are
    the ids of everything that never held them)."""
    if "\\" in text or "\x1f" in text or "\x00" in text:
        return text.replace("\\", "\\\\").replace("\x1f", "\\x1f").replace("\x00", "\\x00")
    return text


def content_id(kind: str, *parts: Any) -> str:
    """Deterministic id: sha256 over the kind and the canonical text of each part,
    separated by the ASCII unit separator (US); None is a lone NUL. Injective: two different
    part lists never give the same text."""
    # Text and None parts inline (most parts of most ids); the rest through _canon.
    text = "\x1f".join([kind, *["\x00" if p is None else _esc(p if type(p) is str else _canon(p)) for p in parts]])
    return hashlib.sha256(text.encode()).hexdigest()[:ID_LEN]


@lru_cache(maxsize=65536)
def _run_id(origin: str, started_at: datetime | None, run_key: str | None) -> str:
    # Many results share one run: hash its identity once.
    return content_id("run", origin, started_at, run_key)


@lru_cache(maxsize=65536, typed=True)  # typed: 1 and True are different names
def model_id(model_name: str) -> str:
    return content_id("model", model_name)


@lru_cache(maxsize=65536, typed=True)
def hardware_id(hardware_type: str, device_name: str | None) -> str:
    return content_id("hardware", hardware_type, device_name)


@dataclass(slots=True)
class Provenance:
    """Where a fact came from: file path relative to the import root, its sha256, and a
    pointer inside it (a JSON-pointer-like path such as ``/benchmarks/embedding/bert/cpu``)."""

    source_file: str | None = None
    source_sha256: str | None = None
    source_pointer: str | None = None


@dataclass(slots=True)
class RunInfo:
    """One run of a measuring tool. ``origin`` names the tool that produced the numbers
    (``hardware_benchmark_runner``, ``benchwh.runner.inference``...); together with
    ``started_at`` and ``run_key`` it is the run's identity."""

    origin: str
    started_at: datetime | None = None
    run_key: str | None = None  # extra identity when origin+time is not unique (e.g. a uuid)
    git_commit: str | None = None
    git_branch: str | None = None
    command_line: str | None = None
    host: str | None = None
    python_version: str | None = None
    library_versions: dict[str, str] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    hardware_fingerprint: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # How ``started_at`` was obtained (TIME_BASES); ``recorded_start`` is the start as the
    # source wrote it when ``started_at`` was moved onto UTC: identity keeps using it, so a
    # run's id does not depend on what was known about its zone.
    time_basis: str | None = None
    recorded_start: datetime | None = None
    source_sha256: str | None = None  # the file (its content) that said these things (merged metadata)

    @property
    def run_id(self) -> str:
        return _run_id(self.origin, self.started_at if self.recorded_start is None else self.recorded_start,
                       self.run_key)


@dataclass(slots=True)
class ModelInfo:
    """A model known to the warehouse (also yielded alone by model-list files)."""

    model_name: str
    model_family: str | None = None
    modality: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source_sha256: str | None = None  # the file (its content) that said these things (merged metadata)


@dataclass(slots=True, kw_only=True)
class Observation:
    """How a fact was observed, shared by ``Result``, ``CompatFact`` and ``TestOutcome``
    (keyword-only, so each record keeps its own fields positional): whether the hardware was
    simulated, when it was measured, where the source said so (``provenance``), how the time
    was obtained (``time_basis``: one of TIME_BASES) and, when ``measured_at`` was moved onto
    UTC, the time as the source wrote it (``recorded_at``; identity uses it, so ids stay stable
    whatever was known about the zone)."""

    is_simulated: bool = False
    simulation_reason: str | None = None
    measured_at: datetime | None = None
    provenance: Provenance = field(default_factory=Provenance)
    time_basis: str | None = None
    recorded_at: datetime | None = None

    @property
    def identity_time(self) -> datetime | None:
        """The measurement time as identity uses it: as recorded by the source."""
        return self.measured_at if self.recorded_at is None else self.recorded_at


@dataclass(slots=True)
class Result(Observation):
    """One performance measurement of one configuration (or a failed attempt at one)."""

    run: RunInfo
    model_name: str | None  # None for a generic benchmark that is not a model (see ``benchmark``)
    hardware_type: str
    model_family: str | None = None
    modality: str | None = None
    device_name: str | None = None
    mode: str = INFERENCE
    scenario: str | None = None
    batch_size: int | None = None
    sequence_length: int | None = None
    input_shape: str | None = None
    precision: str | None = None
    status: str = STATUS_COMPLETED
    error: str | None = None
    latency_ms_mean: float | None = None
    latency_ms_p50: float | None = None
    latency_ms_p90: float | None = None
    latency_ms_p95: float | None = None
    latency_ms_p99: float | None = None
    latency_ms_min: float | None = None
    latency_ms_max: float | None = None
    latency_ms_std: float | None = None
    latency_samples_ms: list[float] | None = None
    throughput_items_per_s: float | None = None
    throughput_tokens_per_s: float | None = None
    memory_peak_mb: float | None = None
    load_time_ms: float | None = None
    iterations: int | None = None
    warmup_iterations: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    # A generic benchmark (harness results: pytest-benchmark, asv, Google Benchmark...): its name
    # as the tool gives it (``test_bench.py::test_sort``, ``BM_Sort/1024``), its parameters as a
    # flat map of scalars, and the unit the tool reported its headline value in. None for the
    # legacy model results.
    benchmark: str | None = None
    benchmark_params: dict[str, Any] | None = None
    reported_unit: str | None = None
    # The same constant repeated exactly across runs on different days: probably not measured.
    suspected_placeholder: bool = False
    placeholder_evidence: str | None = None

    @property
    def result_id(self) -> str:
        # Natural key: who measured (run), what, where, how, when. Not the file: the same
        # measurement carried by two files (F1 embedding F6) must be one row. Not the
        # simulation flag either: a later annotation that the hardware was simulated is news
        # about the same measurement, and the writer keeps "simulated" once any source says so.
        # A generic benchmark's name and parameters are part of its identity; they are appended
        # only when set, so the ids of model results stay what they always were.
        base = (
            "result", self.run.run_id, self.model_name, self.hardware_type, self.device_name,
            self.mode, self.scenario, self.batch_size, self.sequence_length, self.input_shape,
            self.precision, self.identity_time,
        )
        if self.benchmark is None:
            return content_id(*base)
        return content_id(*base, self.benchmark, self.benchmark_params or {})


def benchmark_params_problem(params: Any) -> str | None:
    """Why ``params`` is not a valid ``Result.benchmark_params`` (a flat map of text keys to
    scalars: text, integer, finite number, boolean or None), or None when it is."""
    import math

    if params is None:
        return None
    if not isinstance(params, dict):
        return f"benchmark_params must be a map of parameter names to values, got {type(params).__name__}"
    for k, v in params.items():
        if not isinstance(k, str):
            return f"benchmark parameter name {k!r} is not text"
        if not (v is None or isinstance(v, (str, bool, int, float))):
            return f"benchmark parameter {k!r} is a {type(v).__name__}; give a text, number or boolean value"
        if isinstance(v, float) and not math.isfinite(v):
            return f"benchmark parameter {k!r} is {v!r}; give it as text (e.g. \"inf\")"
    return None


@dataclass(slots=True)
class CompatFact(Observation):
    """Did ``model_name`` load/run on ``hardware_type``? ``compatible`` None = unknown."""

    run: RunInfo
    model_name: str
    hardware_type: str
    compatible: bool | None
    model_family: str | None = None
    device_name: str | None = None
    status: str | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def compat_id(self) -> str:
        return content_id(
            "compat", self.run.run_id, self.model_name, self.hardware_type, self.device_name, self.identity_time)


@dataclass(slots=True)
class TestOutcome(Observation):
    """One test's outcome (module, test, status, duration)."""

    __test__ = False  # not a pytest class

    run: RunInfo
    module: str | None
    test_name: str
    status: str
    model_name: str | None = None
    hardware_type: str | None = None
    duration_s: float | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def test_id(self) -> str:
        return content_id(
            "test", self.run.run_id, self.module, self.test_name, self.model_name, self.hardware_type,
            self.identity_time)


@dataclass(slots=True)
class RunMeta:
    """Run metadata only (a config file, a model list): adds to a run, never a result."""

    run: RunInfo


Record = Union[Result, CompatFact, TestOutcome, RunMeta, ModelInfo]


def record_to_dict(rec: Record) -> dict[str, Any]:
    """Plain JSON-able dict of a record (kind, its fields, and its id), for golden files,
    reports and the interchange format. Datetimes become ISO text."""
    import dataclasses

    def conv(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.isoformat()
        if dataclasses.is_dataclass(v):
            return {f.name: conv(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        return v

    out: dict[str, Any] = {"kind": type(rec).__name__}
    out.update(conv(rec))
    for attr in ("result_id", "compat_id", "test_id"):
        if hasattr(rec, attr):
            out[attr] = getattr(rec, attr)
    if hasattr(rec, "run"):
        out["run_id"] = rec.run.run_id  # type: ignore[union-attr]
    return out


# --- stored rows back to their natural keys ---------------------------------------------
# The one place that maps a warehouse row to the ids its content gives (merge and check
# recompute every id through it). A row of a fact table comes with the natural-key columns of
# the rows it links to, joined under these names (see ``benchwh.warehouse.verify``):
JOINED_KEYS = ("_origin", "_started_at", "_recorded_start", "_run_key", "_model_name", "_hardware_type",
               "_device_name")


def _params(value: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value)
    return value


def expected_ids(table: str, row: dict[str, Any]) -> dict[str, str]:
    """``{column: id}``: the id column and the link columns of a stored ``row`` of ``table``,
    as the records' own ``*_id`` properties compute them from its content. A row whose stored
    values differ was not written by benchwh from that content (forged or corrupted).

    Columns a later migration adds (``benchmark``, ``benchmark_params`` of a generic-benchmark
    result) are read with ``row.get`` and so take part as soon as the warehouse has them; a new
    identity field of a record is added here and nowhere else."""
    if table == "runs":
        start = row.get("recorded_start") or row["started_at"]  # the start identity uses
        return {"run_id": _run_id(row["origin"], start, row["run_key"])}
    if table == "models":
        return {"model_id": model_id(row["model_name"])}
    if table == "hardware":
        return {"hardware_id": hardware_id(row["hardware_type"], row["device_name"])}
    if table == "import_ledger":
        from benchwh.warehouse.write import LedgerRow

        return {"ledger_id": LedgerRow.id_of(row["file_sha256"], row["path"], row["status"], row["parser_version"])}
    if table == "annotations":
        ann = Annotation(effective_at=row["effective_at"], note=row["note"], model_name=row["model_name"],
                         hardware_type=row["hardware_type"], device_name=row["device_name"],
                         batch_size=row["batch_size"], sequence_length=row["sequence_length"],
                         precision=row["precision"], metric=row["metric"], kind=row["kind"])
        return {"annotation_id": ann.annotation_id}
    run = RunInfo(origin=row["_origin"], started_at=row["_started_at"], run_key=row["_run_key"],
                  recorded_start=row.get("_recorded_start"))
    out = {"run_id": run.run_id}
    if table == "results":
        rec = Result(run=run, model_name=row["_model_name"], hardware_type=row["_hardware_type"],
                     device_name=row["_device_name"], mode=row["mode"], scenario=row["scenario"],
                     batch_size=row["batch_size"], sequence_length=row["sequence_length"],
                     input_shape=row["input_shape"], precision=row["precision"],
                     measured_at=row["measured_at"], recorded_at=row.get("recorded_at"),
                     benchmark=row.get("benchmark"),
                     benchmark_params=_params(row.get("benchmark_params")))
        out["result_id"] = rec.result_id
    elif table == "compatibility":
        fact = CompatFact(run=run, model_name=row["_model_name"], hardware_type=row["_hardware_type"],
                          compatible=None, device_name=row["_device_name"], measured_at=row["measured_at"],
                          recorded_at=row.get("recorded_at"))
        out["compat_id"] = fact.compat_id
    elif table == "test_results":
        test = TestOutcome(run=run, module=row["module"], test_name=row["test_name"], status=row["status"],
                           model_name=row["model_name"], hardware_type=row["hardware_type"],
                           measured_at=row["measured_at"], recorded_at=row.get("recorded_at"))
        return {**out, "test_id": test.test_id}
    else:
        raise KeyError(f"no natural key for table {table!r}")
    # a generic benchmark without a model links to no model row
    out["model_id"] = None if row["_model_name"] is None else model_id(row["_model_name"])
    out["hardware_id"] = hardware_id(row["_hardware_type"], row["_device_name"])
    return out


def params_match(params_text: str | None, pairs: Sequence[tuple[str, str]]) -> bool:
    """``benchwh.warehouse.read.benchmark_where``'s parameter rule in Python: does the canonical JSON ``params_text``
    hold every (key, value text) pair?"""
    import json

    if not pairs:
        return True
    if not params_text:
        return False
    params = json.loads(params_text)
    for key, want in pairs:
        if key not in params or params[key] is None:
            return False
        got = params[key]
        text = got if isinstance(got, str) else json.dumps(got)
        if text == want:
            continue
        try:
            if float(text) == float(want):
                continue
        except ValueError:
            pass
        return False
    return True


EXPECTED_CHANGE = "expected-change"

# Columns of a series key an annotation can narrow on (NULL = any).
FILTERS = ("model_name", "hardware_type", "device_name", "batch_size", "sequence_length", "precision",
           "benchmark")


@dataclass(frozen=True, slots=True)
class Annotation:
    """A mark of an intended change: from ``effective_at`` on, the series it matches (filter
    fields left None match any value) are expected to differ and their baselines restart.
    The id is a content hash of every field but ``created_at``."""

    effective_at: datetime
    note: str | None = None
    model_name: str | None = None
    hardware_type: str | None = None
    device_name: str | None = None
    batch_size: int | None = None
    sequence_length: int | None = None
    precision: str | None = None
    metric: str | None = None  # a metric column or family name; None = every metric
    kind: str = EXPECTED_CHANGE
    created_at: datetime | None = None  # when it was written (bookkeeping, not part of the id)
    benchmark: str | None = None  # a generic benchmark's name (exact)
    # parameters the series must have: JSON text of {key: value text}, matched as ``--param``
    # filters are (``params_match``); None = any
    benchmark_params: str | None = None

    @property
    def annotation_id(self) -> str:
        base = ("annotation", self.kind, self.model_name, self.hardware_type, self.device_name,
                self.batch_size, self.sequence_length, self.precision, self.metric,
                self.effective_at, self.note)
        if self.benchmark is None and self.benchmark_params is None:
            return content_id(*base)  # ids of model annotations stay what they were
        return content_id(*base, self.benchmark, self.benchmark_params)

    def param_pairs(self) -> list[tuple[str, str]]:
        import json

        return list(json.loads(self.benchmark_params).items()) if self.benchmark_params else []

    def matches(self, key: Mapping[str, Any], metric: str, family: str | None = None) -> bool:
        """Does this annotation cover the series with ``key`` (series key columns) and
        ``metric`` (of ``family``)?"""
        for name in FILTERS:
            want = getattr(self, name)
            if want is not None and key.get(name) != want:
                return False
        if self.benchmark_params is not None:
            if not params_match(key.get("benchmark_params"), self.param_pairs()):
                return False
        return self.metric is None or self.metric in (metric, family)
