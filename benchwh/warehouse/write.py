"""The one writer: records -> Arrow columns -> bulk anti-join inserts in one transaction.

Idempotent by construction: every row's id is a content hash, and a row whose id is already in
its table (or earlier in the same batch) is not inserted again. A batch's rows and its ledger
rows commit together, so a killed process leaves all of a batch or none of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

import pyarrow as pa

from benchwh.records import (
    CompatFact, ModelInfo, Result, RunInfo, RunMeta, TestOutcome, content_id, hardware_id, model_id,
)
from benchwh.warehouse.tables import ID_COLUMN, LATENCY_STATS, SCHEMAS, WRITE_ORDER


def _json(value: Any) -> str | None:
    if value is None or value == {} or value == []:
        return None
    return json.dumps(value, sort_keys=True, default=str, allow_nan=False)


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
        return content_id("ledger", self.file_sha256, self.path, self.status, self.parser_version)


@dataclass
class WriteStats:
    inserted: dict[str, int] = field(default_factory=dict)
    # per source sha256: rows of each fact table this write added (for the ledger)
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)

    def __getitem__(self, table: str) -> int:
        return self.inserted.get(table, 0)

    def add(self, other: "WriteStats") -> None:
        for k, v in other.inserted.items():
            self.inserted[k] = self.inserted.get(k, 0) + v

    def forget(self, lost: dict[str, list[tuple[str, str | None]]]) -> None:
        """Take back rows that a concurrent DuckLake writer committed first (``lake.settle``):
        ``lost`` maps a table to the (id, source_sha256) of this write's removed copies."""
        for table, rows in lost.items():
            self.inserted[table] = self.inserted.get(table, 0) - len(rows)
            for _rid, sha in rows:
                per = self.per_file.get(sha or "")
                if per and per.get(table):
                    per[table] -= 1


class Batch:
    """Column buffers for every table, deduplicated by id within the batch."""

    def __init__(self) -> None:
        self.cols: dict[str, dict[str, list]] = {
            t: {name: [] for name in SCHEMAS[t].names} for t in WRITE_ORDER
        }
        self.seen: dict[str, set[str]] = {t: set() for t in WRITE_ORDER}
        self.source_of: dict[str, dict[str, str | None]] = {
            "results": {}, "compatibility": {}, "test_results": {},
        }

    def __len__(self) -> int:
        return sum(len(c[ID_COLUMN[t]]) for t, c in self.cols.items())

    def _row(self, table: str, values: dict[str, Any]) -> bool:
        rid = values[ID_COLUMN[table]]
        if rid in self.seen[table]:
            return False
        self.seen[table].add(rid)
        cols = self.cols[table]
        for name, buf in cols.items():
            buf.append(values.get(name))
        return True

    # --- dimensions -------------------------------------------------------------------
    def run(self, r: RunInfo) -> str:
        rid = r.run_id
        if rid not in self.seen["runs"]:
            self._row("runs", {
                "run_id": rid, "origin": r.origin, "started_at": r.started_at, "run_key": r.run_key,
                "git_commit": r.git_commit, "git_branch": r.git_branch,
                "command_line": r.command_line, "host": r.host, "python_version": r.python_version,
                "library_versions": _json(r.library_versions), "environment": _json(r.environment),
                "hardware_fingerprint": r.hardware_fingerprint, "metadata": _json(r.metadata),
            })
        return rid

    def model(self, name: str, family: str | None, modality: str | None, metadata: dict | None = None) -> str:
        mid = model_id(name)
        if mid not in self.seen["models"]:
            self._row("models", {"model_id": mid, "model_name": name, "model_family": family,
                                 "modality": modality, "metadata": _json(metadata)})
        return mid

    def hardware(self, hw_type: str, device: str | None) -> str:
        hid = hardware_id(hw_type, device)
        if hid not in self.seen["hardware"]:
            self._row("hardware", {"hardware_id": hid, "hardware_type": hw_type, "device_name": device})
        return hid

    # --- facts ------------------------------------------------------------------------
    def add(self, rec: Any) -> None:
        if isinstance(rec, Result):
            self._result(rec)
        elif isinstance(rec, CompatFact):
            self._compat(rec)
        elif isinstance(rec, TestOutcome):
            self._test(rec)
        elif isinstance(rec, RunMeta):
            self.run(rec.run)
        elif isinstance(rec, ModelInfo):
            self.model(rec.model_name, rec.model_family, rec.modality, rec.metadata)
        else:
            raise TypeError(f"not a benchwh record: {type(rec).__name__}")

    def _result(self, r: Result) -> None:
        rid = r.result_id
        if rid in self.seen["results"]:
            return
        p = r.provenance
        values = {
            "result_id": rid, "run_id": self.run(r.run),
            "model_id": self.model(r.model_name, r.model_family, r.modality),
            "hardware_id": self.hardware(r.hardware_type, r.device_name),
            "model_family": r.model_family, "modality": r.modality, "mode": r.mode,
            "scenario": r.scenario, "batch_size": r.batch_size, "sequence_length": r.sequence_length,
            "input_shape": r.input_shape, "precision": r.precision, "status": r.status,
            "error": r.error, "latency_samples_ms": r.latency_samples_ms,
            "throughput_items_per_s": r.throughput_items_per_s,
            "throughput_tokens_per_s": r.throughput_tokens_per_s,
            "memory_peak_mb": r.memory_peak_mb, "load_time_ms": r.load_time_ms,
            "iterations": r.iterations, "warmup_iterations": r.warmup_iterations,
            "metrics": _json(r.metrics), "is_simulated": bool(r.is_simulated),
            "simulation_reason": r.simulation_reason, "measured_at": r.measured_at,
            "source_file": p.source_file, "source_sha256": p.source_sha256,
            "source_pointer": p.source_pointer,
        }
        for s in LATENCY_STATS:
            values[f"latency_ms_{s}"] = getattr(r, f"latency_ms_{s}")
        self._row("results", values)
        self.source_of["results"][rid] = p.source_sha256

    def _compat(self, c: CompatFact) -> None:
        cid = c.compat_id
        if cid in self.seen["compatibility"]:
            return
        p = c.provenance
        self._row("compatibility", {
            "compat_id": cid, "run_id": self.run(c.run),
            "model_id": self.model(c.model_name, c.model_family, None),
            "hardware_id": self.hardware(c.hardware_type, c.device_name),
            "compatible": c.compatible, "status": c.status, "error": c.error,
            "details": _json(c.details), "is_simulated": bool(c.is_simulated),
            "simulation_reason": c.simulation_reason, "measured_at": c.measured_at,
            "source_file": p.source_file, "source_sha256": p.source_sha256,
            "source_pointer": p.source_pointer,
        })
        self.source_of["compatibility"][cid] = p.source_sha256

    def _test(self, t: TestOutcome) -> None:
        tid = t.test_id
        if tid in self.seen["test_results"]:
            return
        p = t.provenance
        self._row("test_results", {
            "test_id": tid, "run_id": self.run(t.run), "module": t.module, "test_name": t.test_name,
            "model_name": t.model_name, "hardware_type": t.hardware_type, "status": t.status,
            "duration_s": t.duration_s, "error": t.error, "details": _json(t.details),
            "is_simulated": bool(t.is_simulated), "simulation_reason": t.simulation_reason,
            "measured_at": t.measured_at, "source_file": p.source_file,
            "source_sha256": p.source_sha256, "source_pointer": p.source_pointer,
        })
        self.source_of["test_results"][tid] = p.source_sha256

    def ledger(self, row: LedgerRow) -> None:
        self._row("import_ledger", {
            "ledger_id": row.ledger_id, "file_sha256": row.file_sha256, "path": row.path,
            "size_bytes": row.size_bytes, "format": row.format,
            "parser_version": row.parser_version, "status": row.status, "results": row.results,
            "compat": row.compat, "tests": row.tests, "reason": row.reason,
            "imported_at": row.imported_at,
        })

    def table(self, name: str, inserted_at: datetime) -> pa.Table:
        cols = self.cols[name]
        n = len(cols[ID_COLUMN[name]])
        schema = SCHEMAS[name]
        arrays = []
        for f in schema:
            if f.name == "inserted_at":
                arrays.append(pa.array([inserted_at] * n, f.type))
            else:
                arrays.append(pa.array(cols[f.name], f.type))
        return pa.Table.from_arrays(arrays, schema=schema)


def batch_of(records: Iterable[Any]) -> Batch:
    b = Batch()
    for rec in records:
        b.add(rec)
    return b


FACT_TABLES = ("results", "compatibility", "test_results")


def new_ids(con, table: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are not yet in ``table`` (one anti-join, ids passed as Arrow)."""
    if not ids:
        return set()
    idcol = ID_COLUMN[table]
    probe = pa.table({"id": pa.array(ids, pa.string())})
    con.register("_bw_probe", probe)
    try:
        rows = con.execute(
            f"SELECT p.id FROM _bw_probe p WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{idcol} = p.id)"
        ).fetchall()
    finally:
        con.unregister("_bw_probe")
    return {r[0] for r in rows}


def append_in_transaction(con, batch: Batch, inserted_at: datetime | None = None) -> WriteStats:
    """Insert the batch's new rows; the caller owns BEGIN/COMMIT. Table names come from
    the fixed schema map, never from user input; values travel as Arrow, never as SQL text."""
    when = inserted_at or datetime.now()
    stats = WriteStats()
    for name in WRITE_ORDER:
        if not batch.cols[name][ID_COLUMN[name]]:
            continue
        tbl = batch.table(name, when)
        idcol = ID_COLUMN[name]
        fresh = new_ids(con, name, tbl.column(idcol).to_pylist())
        if len(fresh) != tbl.num_rows:
            import pyarrow.compute as pc

            tbl = tbl.filter(pc.is_in(tbl.column(idcol), value_set=pa.array(sorted(fresh), pa.string())))
        stats.inserted[name] = tbl.num_rows
        if tbl.num_rows:
            con.register("_bw_src", tbl)
            try:
                cols = ", ".join(tbl.schema.names)
                con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _bw_src")
            finally:
                con.unregister("_bw_src")
        if name in FACT_TABLES:
            for rid in fresh:
                sha = batch.source_of[name].get(rid)
                if sha:
                    per = stats.per_file.setdefault(sha, {})
                    per[name] = per.get(name, 0) + 1
    return stats


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
