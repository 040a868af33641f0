"""The one writer: records -> Arrow columns -> bulk anti-join inserts in one transaction.

Idempotent by construction: every row's id is a content hash, and a row whose id is already in
its table (or earlier in the same batch) is not inserted again. A batch's rows and its ledger
rows commit together, so a killed process leaves all of a batch or none of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, Iterable

import pyarrow as pa

from benchwh.records import (
    CompatFact, ModelInfo, Result, RunInfo, RunMeta, TestOutcome, content_id, hardware_id, model_id,
)
from benchwh.warehouse.tables import ID_COLUMN, LATENCY_STATS, SCHEMAS, TS, WRITE_ORDER


# One encoder for every call: json.dumps with these options builds a new one each time.
_ENCODE = json.JSONEncoder(sort_keys=True, default=str, allow_nan=False).encode


def _json(value: Any) -> str | None:
    if value is None or value == {} or value == []:
        return None
    return _ENCODE(value)


@dataclass(slots=True)
class LedgerRow:
    """One file seen by an import: what it was and what it added."""

    file_sha256: str
    path: str
    size_bytes: int
    format: str | None
    parser_version: int | None
    status: str
    results: int = 0
    compat: int = 0
    tests: int = 0
    reason: str | None = None
    imported_at: datetime | None = None

    @property
    def ledger_id(self) -> str:
        return self.id_of(self.file_sha256, self.path, self.status, self.parser_version)

    @staticmethod
    def id_of(file_sha256: str, path: str, status: str, parser_version: int | None) -> str:
        """The ``ledger_id`` of a row with these values (an import computes it in its workers)."""
        return content_id("ledger", file_sha256, path, status, parser_version)


@dataclass
class WriteStats:
    inserted: dict[str, int] = field(default_factory=dict)
    # per source sha256: rows of each fact table this write added (for the ledger)
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)
    # facts already present that this write marked simulated (a later source said so)
    flagged: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, table: str) -> int:
        return self.inserted.get(table, 0)

    def add(self, other: "WriteStats") -> None:
        for k, v in other.inserted.items():
            self.inserted[k] = self.inserted.get(k, 0) + v
        for k, v in other.flagged.items():
            self.flagged[k] = self.flagged.get(k, 0) + v

    def forget(self, lost: dict[str, list[tuple[str, str | None]]]) -> None:
        """Take back rows that a concurrent DuckLake writer committed first (``lake.settle``):
        ``lost`` maps a table to the (id, source_sha256) of this write's removed copies."""
        for table, rows in lost.items():
            self.inserted[table] = self.inserted.get(table, 0) - len(rows)
            for _rid, sha in rows:
                per = self.per_file.get(sha or "")
                if per and per.get(table):
                    per[table] -= 1


_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)
STAMP = "inserted_at"  # the column the writer fills with the time of the write


def _ts_array(values: list) -> pa.Array:
    """Naive datetimes -> timestamp[us]. pyarrow converts datetime objects one slow call at a
    time (~20 us each here); integers are converted in bulk."""
    ints = [None if v is None else (v - _EPOCH) // _US for v in values]
    return pa.array(ints, pa.int64()).cast(pa.timestamp("us"))


_RESULT_FIELDS = (
    "model_family", "modality", "mode", "scenario", "batch_size", "sequence_length", "input_shape",
    "precision", "status", "error", *[f"latency_ms_{s}" for s in LATENCY_STATS],
    "latency_samples_ms", "throughput_items_per_s", "throughput_tokens_per_s", "memory_peak_mb",
    "load_time_ms", "iterations", "warmup_iterations", "simulation_reason", "measured_at",
    "time_basis", "placeholder_evidence",
)
_PROV_FIELDS = ("source_file", "source_sha256", "source_pointer")
_FACT_FIELDS = {
    "results": _RESULT_FIELDS,
    "compatibility": ("compatible", "status", "error", "simulation_reason", "measured_at", "time_basis"),
    "test_results": ("module", "test_name", "model_name", "hardware_type", "status", "duration_s",
                     "error", "simulation_reason", "measured_at", "time_basis"),
}
_FACT_JSON = {"results": "metrics", "compatibility": "details", "test_results": "details"}
# One C-level call per record fetches every plain field (then one zip turns rows into columns).
_FACT_GET = {t: attrgetter(*f, *(f"provenance.{p}" for p in _PROV_FIELDS)) for t, f in _FACT_FIELDS.items()}
_RUN_FIELDS = ("origin", "started_at", "run_key", "git_commit", "git_branch", "command_line", "host",
               "python_version", "hardware_fingerprint", "time_basis")
_RUN_GET = attrgetter(*_RUN_FIELDS)
_LEDGER_FIELDS = ("file_sha256", "path", "size_bytes", "format", "parser_version", "status", "results",
                  "compat", "tests", "reason", "imported_at")
_LEDGER_GET = attrgetter(*_LEDGER_FIELDS)


def _transpose(getter, items: list, names: tuple[str, ...]) -> dict[str, list]:
    if not items:
        return {n: [] for n in names}
    return dict(zip(names, map(list, zip(*map(getter, items)))))


def row_schema(name: str) -> pa.Schema:
    """The columns a batch builds for ``name``: the table's schema without ``inserted_at``,
    which the write fills in."""
    schema = SCHEMAS[name]
    i = schema.get_field_index(STAMP)
    return schema if i < 0 else schema.remove(i)


class Batch:
    """Rows for every table, deduplicated by id within the batch; columns are built only when
    the batch is written. Besides records, a batch can carry rows already in columns
    (``add_rows``: an import worker's ``rows_table`` output), written after its own rows."""

    def __init__(self) -> None:
        # table -> {id: row source}; dicts keep insertion order and make dedupe O(1)
        self.rows: dict[str, dict[str, Any]] = {t: {} for t in WRITE_ORDER}
        self.parts: dict[str, list[pa.Table]] = {}

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values()) + sum(
            t.num_rows for ts in self.parts.values() for t in ts)

    def ids(self, table: str) -> list[str]:
        return list(self.rows[table])

    # --- dimensions -------------------------------------------------------------------
    def run(self, r: RunInfo) -> str:
        rid = r.run_id
        runs = self.rows["runs"]
        if rid not in runs:
            runs[rid] = r
        return rid

    def model(self, name: str, family: str | None, modality: str | None, metadata: dict | None = None) -> str:
        mid = model_id(name)
        models = self.rows["models"]
        if mid not in models:
            models[mid] = (name, family, modality, metadata)
        return mid

    def hardware(self, hw_type: str, device: str | None) -> str:
        hid = hardware_id(hw_type, device)
        hw = self.rows["hardware"]
        if hid not in hw:
            hw[hid] = (hw_type, device)
        return hid

    # --- facts ------------------------------------------------------------------------
    def add(self, rec: Any) -> None:
        if isinstance(rec, Result):
            rid = rec.result_id
            rows = self.rows["results"]
            if rid not in rows:
                rows[rid] = (rec, self.run(rec.run), self.model(rec.model_name, rec.model_family, rec.modality),
                             self.hardware(rec.hardware_type, rec.device_name))
        elif isinstance(rec, CompatFact):
            cid = rec.compat_id
            rows = self.rows["compatibility"]
            if cid not in rows:
                rows[cid] = (rec, self.run(rec.run), self.model(rec.model_name, rec.model_family, None),
                             self.hardware(rec.hardware_type, rec.device_name))
        elif isinstance(rec, TestOutcome):
            tid = rec.test_id
            rows = self.rows["test_results"]
            if tid not in rows:
                rows[tid] = (rec, self.run(rec.run))
        elif isinstance(rec, RunMeta):
            self.run(rec.run)
        elif isinstance(rec, ModelInfo):
            self.model(rec.model_name, rec.model_family, rec.modality, rec.metadata)
        else:
            raise TypeError(f"not a benchwh record: {type(rec).__name__}")

    def ledger(self, row: LedgerRow, ledger_id: str | None = None) -> None:
        """Add a ledger row; ``ledger_id``, when given, is ``row.ledger_id`` computed before."""
        self.rows["import_ledger"].setdefault(ledger_id or row.ledger_id, row)

    def add_rows(self, name: str, tbl: pa.Table) -> None:
        """Rows already in columns (``row_schema(name)``), e.g. another batch's ``rows_table``."""
        if tbl.num_rows:
            self.parts.setdefault(name, []).append(tbl)

    # --- columns ----------------------------------------------------------------------
    def _columns(self, name: str) -> dict[str, list]:
        ids = list(self.rows[name])
        vals = list(self.rows[name].values())
        if name == "runs":
            c = _transpose(_RUN_GET, vals, _RUN_FIELDS)
            for f in ("library_versions", "environment", "metadata"):
                c[f] = [_json(getattr(r, f)) for r in vals]
            c["metadata_conflicts"] = [None] * len(vals)
        elif name == "models":
            c = {"model_name": [v[0] for v in vals], "model_family": [v[1] for v in vals],
                 "modality": [v[2] for v in vals], "metadata": [_json(v[3]) for v in vals],
                 "metadata_conflicts": [None] * len(vals)}
        elif name == "hardware":
            c = {"hardware_type": [v[0] for v in vals], "device_name": [v[1] for v in vals]}
        elif name in _FACT_FIELDS:
            recs = [v[0] for v in vals]
            c = {"run_id": [v[1] for v in vals]}
            if name != "test_results":
                c["model_id"] = [v[2] for v in vals]
                c["hardware_id"] = [v[3] for v in vals]
            c.update(_transpose(_FACT_GET[name], recs, (*_FACT_FIELDS[name], *_PROV_FIELDS)))
            key = _FACT_JSON[name]
            c[key] = [_json(getattr(r, key)) for r in recs]
            c["is_simulated"] = [bool(r.is_simulated) for r in recs]
            if name == "results":
                c["suspected_placeholder"] = [bool(r.suspected_placeholder) for r in recs]
        elif name == "import_ledger":
            c = _transpose(_LEDGER_GET, vals, _LEDGER_FIELDS)
        else:
            raise KeyError(name)
        c[ID_COLUMN[name]] = ids
        return c

    def rows_table(self, name: str) -> pa.Table:
        """This batch's own rows of ``name`` as Arrow (``row_schema(name)``: no ``inserted_at``)."""
        cols = self._columns(name)
        schema = row_schema(name)
        return pa.Table.from_arrays(
            [_ts_array(cols[f.name]) if f.type == TS else pa.array(cols[f.name], f.type) for f in schema],
            schema=schema)

    def table(self, name: str, inserted_at: datetime) -> pa.Table:
        """``rows_table`` with ``inserted_at`` filled in: the table's full schema."""
        tbl = self.rows_table(name)
        schema = SCHEMAS[name]
        i = schema.get_field_index(STAMP)
        if i < 0:
            return tbl
        return tbl.add_column(i, schema.field(i), pa.repeat(pa.scalar(inserted_at, TS), tbl.num_rows))

    def frame(self, name: str) -> pa.Table | None:
        """Every row of ``name`` this batch holds (its records' rows first, then ``add_rows``
        rows, in order), or None. Ids may repeat across parts: the write keeps the first."""
        tables = ([self.rows_table(name)] if self.rows[name] else []) + self.parts.get(name, [])
        if not tables:
            return None
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def batch_of(records: Iterable[Any]) -> Batch:
    b = Batch()
    for rec in records:
        b.add(rec)
    return b


FACT_TABLES = ("results", "compatibility", "test_results")


def fresh_rows(con, table: str, tbl: pa.Table) -> pa.Table:
    """The rows of ``tbl`` to insert into ``table``: the first row of each id, when that id is
    not in the table yet (one anti-join; rows keep their order)."""
    import numpy as np

    idcol = ID_COLUMN[table]
    n = tbl.num_rows
    probe = pa.table({"id": tbl.column(idcol), "i": pa.array(np.arange(n, dtype=np.int64))})
    con.register("_bw_probe", probe)
    try:
        keep = con.execute(
            f"SELECT min(p.i) AS i FROM _bw_probe p WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE t.{idcol} = p.id) GROUP BY p.id ORDER BY i"
        ).to_arrow_table().column(0)
    finally:
        con.unregister("_bw_probe")
    return tbl if len(keep) == n else tbl.take(keep)


def insert_new(con, table: str, tbl: pa.Table, stamp: datetime | None = None) -> pa.Table:
    """Insert the rows of ``tbl`` whose id is not yet in ``table`` (``fresh_rows``); returns
    them. ``stamp`` fills ``inserted_at`` when ``tbl`` does not carry it. The caller owns the
    transaction; values travel as Arrow, never as SQL text."""
    tbl = fresh_rows(con, table, tbl)
    if not tbl.num_rows:
        return tbl
    cols = ", ".join(tbl.schema.names)
    con.register("_bw_src", tbl)
    try:
        if stamp is not None:
            con.execute(f"INSERT INTO {table} ({cols}, {STAMP}) SELECT {cols}, ? FROM _bw_src", [stamp])
        else:
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _bw_src")
    finally:
        con.unregister("_bw_src")
    return tbl


def insert_and_flag(con, table: str, tbl: pa.Table, stamp: datetime | None = None) -> tuple[pa.Table, int]:
    """``insert_new``, then, for a fact table, mark simulated the stored copies of the facts
    that ``tbl`` says are simulated: a copy that says "simulated" wins over one that does not,
    whichever arrived first. Returns (rows inserted, facts newly marked simulated)."""
    import pyarrow.compute as pc

    inserted = insert_new(con, table, tbl, stamp)
    if table not in FACT_TABLES:
        return inserted, 0
    simulated = tbl.filter(pc.equal(tbl.column("is_simulated"), True))
    return inserted, _flag_simulated(con, table, simulated) if simulated.num_rows else 0


def append_in_transaction(con, batch: Batch, inserted_at: datetime | None = None) -> WriteStats:
    """Insert the batch's new rows; the caller owns BEGIN/COMMIT. Table names come from
    the fixed schema map, never from user input; values travel as Arrow, never as SQL text."""
    import pyarrow.compute as pc

    when = inserted_at or datetime.now()
    stats = WriteStats()
    for name in WRITE_ORDER:
        full = batch.frame(name)
        if full is None:
            continue
        stamped = SCHEMAS[name].get_field_index(STAMP) >= 0
        tbl, flagged = insert_and_flag(con, name, full, when if stamped else None)
        stats.inserted[name] = tbl.num_rows
        if flagged:
            stats.flagged[name] = flagged
        if name in FACT_TABLES and tbl.num_rows:
            counts = pc.value_counts(tbl.column("source_sha256"))
            for sha, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()):
                if sha:
                    per = stats.per_file.setdefault(sha, {})
                    per[name] = per.get(name, 0) + n
    return stats


def _flag_simulated(con, table: str, rows: pa.Table) -> int:
    """Mark simulated the facts of ``table`` that ``rows`` (simulated copies) name and that are
    stored as measured; returns how many changed. Deterministic whatever the arrival order:
    the reason kept is the smallest of the simulated copies' reasons in this write."""
    idcol = ID_COLUMN[table]
    probe = rows.select([idcol, "simulation_reason"]).rename_columns(["id", "reason"])
    con.register("_bw_sim", probe)
    try:
        row = con.execute(
            f"UPDATE {table} SET is_simulated = true, simulation_reason = s.reason "
            f"FROM (SELECT id, min(reason) AS reason FROM _bw_sim GROUP BY id) s "
            f"WHERE {table}.{idcol} = s.id AND NOT {table}.is_simulated").fetchone()
    finally:
        con.unregister("_bw_sim")
    return int(row[0]) if row else 0


def commit(con, body, dry_run: bool = False, what: str = "append"):
    """Run ``body(con)`` in one transaction and commit it (roll it back with ``dry_run``);
    rolled back on any error. On DuckLake, where other machines write at the same time, a
    commit conflict re-runs ``body`` (so it must only depend on what it reads) and duplicate ids
    are settled after COMMIT (``lake.commit_write``); a WriteStats result is corrected for rows
    another writer had committed first."""
    from benchwh.warehouse import lake

    if not dry_run and lake.is_lake(con):
        value, lost = lake.commit_write(con, body, what)
        if isinstance(value, WriteStats):
            value.forget(lost)
        return value
    con.execute("BEGIN TRANSACTION")
    try:
        value = body(con)
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return value


def append(con, batch: Batch, inserted_at: datetime | None = None) -> WriteStats:
    """One transaction around ``append_in_transaction`` (see ``commit``)."""
    return commit(con, lambda c: append_in_transaction(c, batch, inserted_at))


def write_records(loc, records: Iterable[Any], timeout_s: float | None = None) -> WriteStats:
    """Open the warehouse at ``loc`` (a Location or ``--db`` text) briefly, append the
    records in one transaction, close. Raises LockedError after the bounded lock wait."""
    from benchwh.warehouse.open import open_warehouse

    batch = batch_of(records)
    with open_warehouse(loc, timeout_s=timeout_s) as con:
        return append(con, batch)
