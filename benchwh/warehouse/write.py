"""The one writer: records -> Arrow columns -> bulk anti-join inserts in one transaction.

Idempotent by construction: every row's id is a content hash, and a row whose id is already in
its table (or earlier in the same batch) is not inserted again. A batch's rows and its ledger
rows commit together, so a killed process leaves all of a batch or none of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, Iterable

import pyarrow as pa

from benchwh.records import (
    CompatFact, ModelInfo, Provenance, Result, RunInfo, RunMeta, TestOutcome, content_id, hardware_id, model_id,
)
from benchwh.warehouse.tables import ID_COLUMN, SCHEMAS, TS, WRITE_ORDER, ledger_key


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

    @property
    def file_key(self) -> int | None:
        return ledger_key(self.file_sha256)

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


_FACT_JSON = {"results": "metrics", "compatibility": "details", "test_results": "details"}
# Columns a batch computes (JSON text, flags) instead of copying the record's field of that name.
_COMPUTED = {"results": ("metrics", "is_simulated", "benchmark_params", "suspected_placeholder"),
             "compatibility": ("details", "is_simulated"), "test_results": ("details", "is_simulated")}


def _copied(table: str, record_type: type) -> tuple[str, ...]:
    """The columns of ``table`` (``SCHEMAS``, in its order) copied as they are from
    ``record_type``'s field of the same name: the schema and the record say it once."""
    names = {f.name for f in fields(record_type)}
    return tuple(c for c in SCHEMAS[table].names if c in names and c not in _COMPUTED.get(table, ()))


_PROV_FIELDS = tuple(f.name for f in fields(Provenance))
_FACT_FIELDS = {"results": _copied("results", Result), "compatibility": _copied("compatibility", CompatFact),
                "test_results": _copied("test_results", TestOutcome)}
# One C-level call per record fetches every plain field (then one zip turns rows into columns).
_FACT_GET = {t: attrgetter(*f, *(f"provenance.{p}" for p in _PROV_FIELDS)) for t, f in _FACT_FIELDS.items()}
_LEDGER_FIELDS = tuple(c for c in SCHEMAS["import_ledger"].names if c != ID_COLUMN["import_ledger"])
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


def _copy_key(rec: Any) -> tuple[str, str]:
    p = rec.provenance
    return (p.source_sha256 or "", p.source_pointer or "")


class Batch:
    """Rows for every table, deduplicated by id within the batch; columns are built only when
    the batch is written. Besides records, a batch can carry rows already in columns
    (``add_rows``: an import worker's ``rows_table`` output), written after its own rows."""

    def __init__(self) -> None:
        # table -> {id: row source}; dicts keep insertion order and make dedupe O(1)
        self.rows: dict[str, dict[str, Any]] = {t: {} for t in WRITE_ORDER}
        self.parts: dict[str, list[pa.Table]] = {}
        # model descriptions without metadata already in rows["models"] (hashable): a model
        # named by many files has one description per file, and a list search per result
        # grew with them
        self._plain_models: set[tuple] = set()
        self._described: dict[tuple, list[tuple]] = {}  # (model id, source) -> descriptions with metadata

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values()) + sum(
            t.num_rows for ts in self.parts.values() for t in ts)

    def ids(self, table: str) -> list[str]:
        return list(self.rows[table])

    # --- dimensions -------------------------------------------------------------------
    def run(self, r: RunInfo) -> str:
        """Register a run; every distinct description of one run is kept and merged when the
        batch is written (``merge_sources``), so which file came first does not matter."""
        rid = r.run_id
        runs = self.rows["runs"]
        got = runs.get(rid)
        if got is None:
            runs[rid] = [r]
        elif all(x is not r for x in got):
            got.append(r)
        return rid

    def model(self, name: str, family: str | None, modality: str | None, metadata: dict | None = None,
              source: str | None = None) -> str:
        mid = model_id(name)
        models = self.rows["models"]
        entry = (name, family, modality, metadata or None, source)
        if entry[3] is None:
            if entry in self._plain_models:
                return mid
            self._plain_models.add(entry)
        else:  # a description equal to one held has its source: only those of that source are compared
            same = self._described.setdefault((mid, source), [])
            if entry in same:
                return mid
            same.append(entry)
        models.setdefault(mid, []).append(entry)
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
            mid = None if rec.model_name is None else self.model(  # a generic benchmark has no model row
                rec.model_name, rec.model_family, rec.modality, source=rec.run.source_sha256)
            self._fact("results", rec.result_id, rec, self.run(rec.run), mid,
                       self.hardware(rec.hardware_type, rec.device_name))
        elif isinstance(rec, CompatFact):
            self._fact("compatibility", rec.compat_id, rec, self.run(rec.run),
                       self.model(rec.model_name, rec.model_family, None, source=rec.run.source_sha256),
                       self.hardware(rec.hardware_type, rec.device_name))
        elif isinstance(rec, TestOutcome):
            self._fact("test_results", rec.test_id, rec, self.run(rec.run))
        elif isinstance(rec, RunMeta):
            self.run(rec.run)
        elif isinstance(rec, ModelInfo):
            self.model(rec.model_name, rec.model_family, rec.modality, rec.metadata, rec.source_sha256)
        else:
            raise TypeError(f"not a benchwh record: {type(rec).__name__}")

    def _fact(self, table: str, fid: str, rec: Any, *refs: str) -> None:
        """Keep one copy of a fact: the one with the smallest (source sha256, pointer), as the
        writer does across batches; simulated once any copy says so."""
        rows = self.rows[table]
        have = rows.get(fid)
        if have is None:
            rows[fid] = (rec, *refs)
            return
        old = have[0]
        if _copy_key(rec) < _copy_key(old):
            keep, other = rec, old
        else:
            keep, other = old, rec
        if other.is_simulated and not keep.is_simulated:
            import dataclasses

            keep = dataclasses.replace(keep, is_simulated=True, simulation_reason=other.simulation_reason)
        if keep is not old:
            rows[fid] = (keep, *have[1:])

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
        if name in ("runs", "models"):
            merged = [_row_of(name, rid, _merge_all([_sources_of(name, x) for x in v])) for rid, v in zip(ids, vals)]
            c = {f: [m[f] for m in merged] for f in _MERGED_COLS[name]}
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
            if name == "results":  # canonical JSON text: equal maps are equal text
                c["benchmark_params"] = [_json(r.benchmark_params) for r in recs]
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


# --- run and model metadata, merged across the files that mention them -----------------------
# Each description of a run or model becomes {field: [{"value", "sources"}]} (``metadata_sources``):
# every value any file gave, with the files (their sha256, as in the ledger) that gave it. The stored value of a field is the one
# most files gave (ties: the smallest in canonical JSON; a run's start: the best-founded clock),
# so the result depends on the set of files, never on their order.
_RUN_SCALARS = ("git_commit", "git_branch", "command_line", "host", "python_version", "hardware_fingerprint")
_RUN_MAPS = ("library_versions", "environment", "metadata")
_BASIS_RANK = {"explicit": 0, "inferred": 1, "assumed": 2, "unknown": 3, None: 4}
_MERGED_COLS = {
    "runs": ("origin", "started_at", "run_key", *_RUN_SCALARS, *_RUN_MAPS, "time_basis", "metadata_sources",
             "recorded_start"),
    "models": ("model_name", "model_family", "modality", "metadata", "metadata_sources"),
}


def _sources_of(name: str, x: Any) -> dict[str, Any]:
    """One description (a RunInfo, or a model tuple) -> identity fields and field entries."""
    fields: dict[str, Any] = {}
    if name == "runs":
        # the start identity uses (the source's own text where the stored start was moved)
        ident = {"origin": x.origin, "run_key": x.run_key,
                 "recorded_start": x.started_at if x.recorded_start is None else x.recorded_start}
        src = x.source_sha256
        if x.started_at is not None:
            fields["start"] = [x.started_at.isoformat(timespec="microseconds"), x.time_basis]
        for f in _RUN_SCALARS:
            if getattr(x, f) is not None:
                fields[f] = getattr(x, f)
        for f in _RUN_MAPS:
            for k, v in (getattr(x, f) or {}).items():
                fields[f"{f}.{k}"] = v
    else:
        model, family, modality, metadata, src = x
        ident = {"model_name": model}
        if family is not None:
            fields["model_family"] = family
        if modality is not None:
            fields["modality"] = modality
        for k, v in (metadata or {}).items():
            fields[f"metadata.{k}"] = v
    return {"ident": ident, "fields": {k: [{"value": v, "sources": [src] if src else []}] for k, v in fields.items()}}


def _merge_all(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Union of field entries (values and their sources), canonically ordered."""
    ident = parts[0]["ident"]
    if len(parts) == 1 and all(len(entries) == 1 for entries in parts[0]["fields"].values()):
        # one description, one value per field (every row an import builds): nothing to order
        return {"ident": ident, "fields": {f: [{"value": e[0]["value"], "sources": sorted(set(e[0]["sources"]))}]
                                           for f, e in sorted(parts[0]["fields"].items())}}
    by: dict[str, dict[Any, tuple[Any, set]]] = {}
    for p in parts:
        for f, entries in p["fields"].items():
            slot = by.setdefault(f, {})
            for e in entries:
                value = e["value"]
                have = slot.get(key := _value_key(value))
                if have is None:
                    slot[key] = have = (value, set())
                have[1].update(e["sources"])
    # entries in the order of their values' canonical JSON
    fields = {f: [{"value": v, "sources": sorted(srcs)}
                  for _k, v, srcs in sorted((k if type(k) is str else _ENCODE(v), v, srcs)
                                            for k, (v, srcs) in slot.items())]
              for f, slot in sorted(by.items())}
    return {"ident": ident, "fields": fields}


def _value_key(value: Any) -> Any:
    """What tells two field values apart: the value's canonical JSON, or, for text, whole
    numbers and None (one JSON text each), the value itself with its type, which costs no
    encoding; a float is encoded (0.0 and -0.0 are equal numbers, not equal texts)."""
    kind = type(value)
    return (kind, value) if kind is str or kind is int or value is None else _ENCODE(value)


def _chosen(field_name: str, entries: list[dict[str, Any]]) -> Any:
    if len(entries) == 1:
        return entries[0]["value"]
    if field_name == "start":
        return min(entries, key=lambda e: (_BASIS_RANK.get(e["value"][1], 4), -len(e["sources"]),
                                           _ENCODE(e["value"])))["value"]
    return min(entries, key=lambda e: (-len(e["sources"]), _ENCODE(e["value"])))["value"]


def _row_of(name: str, rid: str, merged: dict[str, Any]) -> dict[str, Any]:
    """Column values of a run or model row from its merged field entries."""
    fields = merged["fields"]
    pick = {f: _chosen(f, e) for f, e in fields.items()}
    row: dict[str, Any] = dict(merged["ident"])
    conflicts = {f: e for f, e in fields.items() if len(e) > 1 or any(x["sources"] for x in e)}
    row["metadata_sources"] = _ENCODE(conflicts) if conflicts else None
    if name == "runs":
        start = pick.get("start")
        row["started_at"] = datetime.fromisoformat(start[0]) if start else None
        row["time_basis"] = start[1] if start else None
        if row["recorded_start"] == row["started_at"]:
            row["recorded_start"] = None  # stored only where it differs from the stored start
        for f in _RUN_SCALARS:
            row[f] = pick.get(f)
        maps: dict[str, dict[str, Any]] = {f: {} for f in _RUN_MAPS}
        for k, v in pick.items():  # "environment.HOME" -> environment["HOME"]
            f, dot, sub = k.partition(".")
            if dot and f in maps:
                maps[f][sub] = v
        for f in _RUN_MAPS:
            row[f] = _json(maps[f])
    else:
        row["model_family"] = pick.get("model_family")
        row["modality"] = pick.get("modality")
        row["metadata"] = _json({k[len("metadata."):]: v for k, v in pick.items() if k.startswith("metadata.")})
    return row


def _stored_sources(name: str, row: dict[str, Any]) -> dict[str, Any]:
    """A stored run or model row -> field entries: its ``metadata_sources`` when it has them,
    else its columns (a row written before revision 0004: sources unknown)."""
    ident = ({"origin": row["origin"], "run_key": row["run_key"],
              "recorded_start": row.get("recorded_start") or row["started_at"]} if name == "runs"
             else {"model_name": row["model_name"]})
    if row.get("metadata_sources"):
        fields = json.loads(row["metadata_sources"])
        # fields without sources were stored only as columns: take them from there
        base = _sources_of(name, _info_of(name, row))["fields"]
        for f, e in base.items():
            fields.setdefault(f, e)
        return {"ident": ident, "fields": fields}
    return {"ident": ident, "fields": _sources_of(name, _info_of(name, row))["fields"]}


def _info_of(name: str, row: dict[str, Any]) -> Any:
    if name == "runs":
        maps = {f: json.loads(row[f]) if row.get(f) else {} for f in _RUN_MAPS}
        return RunInfo(origin=row["origin"], started_at=row["started_at"], run_key=row["run_key"],
                       **{f: row.get(f) for f in _RUN_SCALARS}, **maps, time_basis=row.get("time_basis"))
    return (row["model_name"], row.get("model_family"), row.get("modality"),
            json.loads(row["metadata"]) if row.get("metadata") else None, None)


def merge_described(con, name: str, tbl: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Rows of ``tbl`` (runs or models) merged per id with each other and with the stored row of
    that id: (rows for new ids, rows that change a stored one).

    Every row a batch builds is already the merge of its own descriptions (``Batch.rows_table``),
    and merging one row with nothing gives that row back: a row whose id is neither stored nor
    repeated in ``tbl`` is new as it is, without the merge (most rows of an import: one run per
    file). Only the others are merged here, value by value."""
    import pyarrow.compute as pc

    idcol = ID_COLUMN[name]
    ids = tbl.column(idcol)
    con.register("_bw_ids", pa.table({"id": pc.unique(ids)}))
    try:
        cols = ", ".join(row_schema(name).names)
        stored_tbl = con.execute(f"SELECT {cols} FROM {name} WHERE {idcol} IN (SELECT id FROM _bw_ids)"
                                 ).to_arrow_table()
    finally:
        con.unregister("_bw_ids")
    merge = pc.or_(pc.is_in(ids, value_set=_repeated(ids)), pc.is_in(ids, value_set=stored_tbl.column(idcol)))
    as_is = tbl.filter(pc.invert(merge))
    if as_is.num_rows == tbl.num_rows:
        return as_is, tbl.slice(0, 0)
    by: dict[str, list[dict[str, Any]]] = {}
    for r in tbl.filter(merge).to_pylist():
        by.setdefault(r[idcol], []).append(_stored_sources(name, r))
    # On DuckLake two writers may both have inserted an id (settled after their commits): every
    # stored copy is merged in, and the update writes the merged row over each of them.
    old: dict[str, list[dict[str, Any]]] = {}
    for r in stored_tbl.to_pylist():
        old.setdefault(r[idcol], []).append(r)
    new_rows, changed = [], []
    for rid, parts in by.items():
        copies = old.get(rid, [])
        row = _row_of(name, rid, _merge_all([*(_stored_sources(name, c) for c in copies), *parts]))
        row[idcol] = rid
        if not copies:
            new_rows.append(row)
        elif any(row[c] != copy.get(c) for copy in copies for c in _MERGED_COLS[name]):
            changed.append(row)
    schema = row_schema(name)
    new = pa.Table.from_pylist(new_rows, schema=schema)
    return (pa.concat_tables([as_is.cast(schema), new]) if as_is.num_rows else new,
            pa.Table.from_pylist(changed, schema=schema))


def _update_described(con, name: str, tbl: pa.Table) -> None:
    """Write merged values over stored run or model rows (values travel as Arrow)."""
    idcol = ID_COLUMN[name]
    cols = [c for c in _MERGED_COLS[name] if c not in ("origin", "run_key", "model_name")]
    con.register("_bw_upd", tbl)
    try:
        sets = ", ".join(f"{c} = u.{c}" for c in cols)
        con.execute(f"UPDATE {name} SET {sets} FROM _bw_upd u WHERE {name}.{idcol} = u.{idcol}")
    finally:
        con.unregister("_bw_upd")


def batch_of(records: Iterable[Any]) -> Batch:
    b = Batch()
    for rec in records:
        b.add(rec)
    return b


FACT_TABLES = ("results", "compatibility", "test_results")


def stored_among(con, table: str, ids: pa.Array) -> pa.Array:
    """The distinct values of ``ids`` that are ids of rows in ``table``: one probe of the table,
    which the write's later steps share (a fact table of millions of rows is scanned once)."""
    idcol = ID_COLUMN[table]
    con.register("_bw_probe", pa.table({"id": ids}))
    try:
        return con.execute(
            f"SELECT DISTINCT p.id FROM _bw_probe p WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{idcol} = p.id)"
        ).to_arrow_table().column(0).combine_chunks()
    finally:
        con.unregister("_bw_probe")


def _repeated(ids: pa.Array) -> pa.Array:
    """The values that occur more than once in ``ids``."""
    import pyarrow.compute as pc

    counts = pc.value_counts(ids)
    return pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))


def fresh_rows(con, table: str, tbl: pa.Table, stored: pa.Array | None = None) -> pa.Table:
    """The rows of ``tbl`` to insert into ``table``: the first row of each id, when that id is
    not in the table yet (``stored``: ``stored_among`` of the table's ids, probed here when not
    given); rows keep their order."""
    import numpy as np
    import pyarrow.compute as pc

    ids = tbl.column(ID_COLUMN[table])
    if stored is None:
        stored = stored_among(con, table, ids)
    n = tbl.num_rows
    keep = np.ones(n, dtype=bool)
    if len(_repeated(ids)):
        first = pa.table({"id": ids, "i": pa.array(np.arange(n, dtype=np.int64))}).group_by(
            "id", use_threads=False).aggregate([("i", "min")]).column("i_min").to_numpy()
        keep[:] = False
        keep[first] = True
    if len(stored):
        keep &= ~pc.is_in(ids, value_set=stored).to_numpy(zero_copy_only=False)
    return tbl if keep.all() else tbl.filter(pa.array(keep))


def _insert(con, table: str, tbl: pa.Table, stamp: datetime | None = None) -> pa.Table:
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


def insert_new(con, table: str, tbl: pa.Table, stamp: datetime | None = None,
               stored: pa.Array | None = None) -> pa.Table:
    """Insert the rows of ``tbl`` whose id is not yet in ``table`` (``fresh_rows``); returns
    them. ``stamp`` fills ``inserted_at`` when ``tbl`` does not carry it. The caller owns the
    transaction; values travel as Arrow, never as SQL text."""
    return _insert(con, table, fresh_rows(con, table, tbl, stored), stamp)


def insert_and_flag(con, table: str, tbl: pa.Table, stamp: datetime | None = None,
                    stored: pa.Array | None = None) -> tuple[pa.Table, int]:
    """``insert_new``, then, for a fact table, mark simulated the stored copies of the facts
    that ``tbl`` says are simulated: a copy that says "simulated" wins over one that does not,
    whichever arrived first. Returns (rows inserted, facts newly marked simulated).

    Only ids stored before (``stored``) or repeated in ``tbl`` can have a copy stored as
    measured: a simulated row whose id is neither was inserted as it is."""
    import pyarrow.compute as pc

    ids = tbl.column(ID_COLUMN[table])
    if stored is None:
        stored = stored_among(con, table, ids)
    inserted = insert_new(con, table, tbl, stamp, stored)
    if table not in FACT_TABLES:
        return inserted, 0
    simulated = tbl.filter(pc.equal(tbl.column("is_simulated"), True))
    if simulated.num_rows:
        maybe = pa.concat_arrays([stored.cast(pa.string()), _repeated(ids).cast(pa.string())])
        simulated = simulated.filter(pc.is_in(simulated.column(ID_COLUMN[table]), value_set=maybe))
    return inserted, _flag_simulated(con, table, simulated) if simulated.num_rows else 0


# Headline numbers that, repeated exactly by one model on one hardware in runs on different days,
# suggest a constant written by the script rather than a measurement.
_PLACEHOLDER_COLUMNS = ("latency_ms_mean", "throughput_items_per_s", "throughput_tokens_per_s", "memory_peak_mb")


def flag_placeholders(con, touched: "pa.Table | None" = None) -> int:
    """Mark ``suspected_placeholder`` (with the evidence) on results whose headline number is
    repeated exactly, for the same model, hardware and scenario, by runs on two or more
    different days, so that the outcome does not depend on the order the rows came in.
    Returns how many rows it changed.

    A row's evidence names each of its numbers whose group (metric, value, model, hardware,
    scenario) spans two days or more; it depends on nothing else, so a group that grows does not
    change its rows' evidence. ``touched`` (rows a write just inserted, with their headline
    numbers, model, hardware and scenario) limits the work to what the write can change: its own
    rows, and the stored rows of the groups its rows just made span two days (rows only join
    groups, so no other row's evidence changes); the result is what a recompute over the whole
    table gives, at the cost of the write rather than of the warehouse. ``None`` recomputes
    every row (needed when a stored row changed its values and so may have left a group)."""
    from benchwh.warehouse.bulk import memory_at_least

    cols = _PLACEHOLDER_COLUMNS
    ordered = sorted(cols)
    group = ("metric", "v", "model_id", "hardware_id", "scenario")
    gcols = ", ".join(group)
    spans_two_days = "GROUP BY ALL HAVING count(DISTINCT day) >= 2"
    flags = ("suspected_placeholder", "placeholder_evidence")
    wanted = ("result_id", *cols, "model_id", "hardware_id", "scenario", "measured_at")

    def unpivot(src: str) -> str:  # one row per non-zero headline number of the rows of ``src``
        return "(" + " UNION ALL ".join(
            f"SELECT result_id, '{c}' AS metric, {c} AS v, model_id, hardware_id, scenario, "
            f"CAST(measured_at AS DATE) AS day FROM {src} WHERE {c} IS NOT NULL AND {c} <> 0"
            for c in cols) + ")"

    def near(k: str, extra: tuple[str, ...] = ()) -> str:  # stored rows of a model and hardware of
        # ``k`` sharing a headline value with one of its groups: one scan that reads the models,
        # hardware and numbers only, then the other columns of the rows it found (by rowid; a
        # semi-join filter is not pushed into the scan, so one scan would read every column of
        # every row: 2-4x the time from a cold cache), so the exact group match runs on a few rows
        return ("(SELECT " + ", ".join((*wanted, *extra)) + " FROM results WHERE rowid IN (SELECT rowid "
                f"FROM results WHERE (model_id, hardware_id) IN (SELECT model_id, hardware_id FROM {k}) AND ("
                + " OR ".join(f"{c} IN (SELECT v FROM {k} WHERE metric = '{c}')" for c in cols) + ")))")

    def members(k: str, src: str) -> str:  # (result_id, group, day) of the rows of ``src`` in the groups of ``k``
        return ("(SELECT m.* FROM " + unpivot(src) + " m JOIN " + k + " k ON k.metric = m.metric AND k.v = m.v "
                "AND k.model_id = m.model_id AND k.hardware_id = m.hardware_id "
                "AND k.scenario IS NOT DISTINCT FROM m.scenario)")

    def hot_groups(k: str, also: str = "") -> str:  # the groups of ``k`` whose stored rows span two
        # days or more (with the aggregates ``also``)
        return f"WITH n AS MATERIALIZED {near(k)} SELECT {gcols}{also} FROM {members(k, 'n')} {spans_two_days}"

    def evidence(rows: str, hot: str) -> str:  # (result_id, evidence) of ``rows`` given the hot groups ``hot``
        # one LEFT JOIN per number, in the metrics' order: no aggregate per row
        joins = " ".join(
            f"LEFT JOIN {hot} g{i} ON g{i}.metric = '{c}' AND g{i}.v = a.{c} AND g{i}.model_id = a.model_id "
            f"AND g{i}.hardware_id = a.hardware_id AND g{i}.scenario IS NOT DISTINCT FROM a.scenario"
            for i, c in enumerate(ordered))
        parts = ", ".join(f"CASE WHEN g{i}.metric IS NOT NULL THEN '{c} = ' || CAST(a.{c} AS VARCHAR) "
                          "|| ' exactly, in runs on two or more days' END" for i, c in enumerate(ordered))
        return (f"SELECT a.result_id, a.suspected_placeholder, a.placeholder_evidence, "
                f"nullif(concat_ws('; ', {parts}), '') AS evidence FROM {rows} a {joins}")

    changed = ("(e.suspected_placeholder IS DISTINCT FROM (e.evidence IS NOT NULL) "
               "OR e.placeholder_evidence IS DISTINCT FROM e.evidence)")
    if touched is not None and con.execute("SELECT count(*) FROM results").fetchone()[0] <= 2 * touched.num_rows:
        # most of the table is new (a first import): one pass over it all gives the same answer
        # for a fraction of the cost (measured: 0.16 s against 0.6 s for 17,500 new rows)
        touched = None
    held: list[str] = []

    def hold(view: str, tbl: pa.Table) -> None:
        con.register(view, tbl)
        held.append(view)

    try:
        if touched is None:
            hot = f"(SELECT {gcols} FROM {unpivot('results')} {spans_two_days})"
            rows = "results"
        else:
            import pyarrow.compute as pc

            hold("_bw_t", touched.select(list(wanted)))
            k1 = con.execute(f"SELECT DISTINCT {gcols} FROM {unpivot('_bw_t')}").to_arrow_table()
            if not k1.num_rows:
                return 0
            hold("_bw_k1", k1)
            # the touched groups that span two days now, and whether they did before this write's rows
            spans = con.execute(hot_groups("_bw_k1", ", count(DISTINCT day) FILTER "
                                           "(WHERE result_id NOT IN (SELECT result_id FROM _bw_t)) >= 2 AS was")
                                ).to_arrow_table()
            if not spans.num_rows:
                return 0  # no touched group gives evidence: the new rows have none, no stored row changes
            new_hot = spans.filter(pc.invert(spans.column("was")))
            parts = [touched.select([*wanted, *flags])]
            if new_hot.num_rows:  # the stored rows of a group that now spans two days gain its evidence
                hold("_bw_new", new_hot.select(list(group)))
                stored = con.execute(
                    f"WITH n AS MATERIALIZED {near('_bw_new', flags)} SELECT * FROM n WHERE result_id IN "
                    f"(SELECT result_id FROM {members('_bw_new', 'n')}) "
                    "AND result_id NOT IN (SELECT result_id FROM _bw_t)").to_arrow_table()
                parts.append(stored.cast(parts[0].schema))
            hold("_bw_r", pa.concat_tables(parts))
            # the other groups of those rows (not touched) keep whether they span two days
            other = con.execute(f"SELECT DISTINCT {gcols} FROM {unpivot('_bw_r')} "
                                f"EXCEPT SELECT {gcols} FROM _bw_k1").to_arrow_table()
            hot_tbl = spans.select(list(group))
            if other.num_rows:
                hold("_bw_o", other)
                hot_tbl = pa.concat_tables([hot_tbl, con.execute(hot_groups("_bw_o")).to_arrow_table()
                                            .cast(hot_tbl.schema)])
            hold("_bw_hot", hot_tbl)
            hot, rows = "_bw_hot", "_bw_r"
        upd = f"SELECT e.result_id, e.evidence FROM ({evidence(rows, hot)}) e WHERE {changed}"
        if touched is not None:
            upd_tbl = con.execute(upd).to_arrow_table()
            if not upd_tbl.num_rows:
                return 0
            hold("_bw_upd", upd_tbl)
            upd = "SELECT * FROM _bw_upd"
        memory_at_least(con)  # an update holds what it changed in memory until the commit
        row = con.execute("UPDATE results SET suspected_placeholder = (e.evidence IS NOT NULL), "
                          f"placeholder_evidence = e.evidence FROM ({upd}) e "
                          "WHERE results.result_id = e.result_id").fetchone()
        return int(row[0]) if row else 0
    finally:
        for view in held:
            con.unregister(view)


def append_in_transaction(con, batch: Batch, inserted_at: datetime | None = None,
                          probe_only: dict[str, list[str]] | None = None) -> WriteStats:
    """Insert the batch's new rows; the caller owns BEGIN/COMMIT. Table names come from
    the fixed schema map, never from user input; values travel as Arrow, never as SQL text.
    ``probe_only``: per table, the only ids of the batch that may already be stored (the caller
    knows the others are new): those alone are looked up."""
    import pyarrow.compute as pc

    when = inserted_at or datetime.now()
    stats = WriteStats()
    for name in WRITE_ORDER:
        full = batch.frame(name)
        if full is None:
            continue
        stamped = SCHEMAS[name].get_field_index(STAMP) >= 0
        if name in _MERGED_COLS:
            full, changed = merge_described(con, name, full)
            if changed.num_rows:
                _update_described(con, name, changed)
            stored = pa.array([], pa.string())  # what merge_described returns is new, each id once
        elif probe_only is not None and name in probe_only:
            maybe = probe_only[name]
            stored = stored_among(con, name, pa.array(maybe, pa.string())) if maybe else pa.array([], pa.string())
        else:
            stored = stored_among(con, name, full.column(ID_COLUMN[name]))
        moved: dict[str, int] = {}
        if name in FACT_TABLES:
            full = full.sort_by([(ID_COLUMN[name], "ascending"), ("source_sha256", "ascending"),
                                 ("source_pointer", "ascending")])
            if len(stored):  # only a stored fact can have its copy replaced by an earlier one
                moved = _adopt_first_copies(con, name, full.filter(
                    pc.is_in(full.column(ID_COLUMN[name]), value_set=stored)))
        tbl, flagged = insert_and_flag(con, name, full, when if stamped else None, stored)
        stats.inserted[name] = tbl.num_rows
        if flagged:
            stats.flagged[name] = flagged
        if name in FACT_TABLES and tbl.num_rows:
            counts = pc.value_counts(tbl.column("source_sha256"))
            for sha, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()):
                if sha:
                    per = stats.per_file.setdefault(sha, {})
                    per[name] = per.get(name, 0) + n
        for sha, n in moved.items():  # facts whose kept copy is now this batch's
            per = stats.per_file.setdefault(sha, {})
            per[name] = per.get(name, 0) + n
        if name == "results" and (tbl.num_rows or moved):
            # a stored result that took an earlier copy's values may have left its old group,
            # which only a whole-table recompute sees; new rows only join groups
            flag_placeholders(con, None if moved else tbl)
    return stats


_LEDGER_COUNT = {"results": "results", "compatibility": "compat", "test_results": "tests"}


def _adopt_first_copies(con, table: str, tbl: pa.Table) -> dict[str, int]:
    """Of the copies of one fact (the same id from several files), the warehouse keeps the one
    with the smallest (source sha256, pointer), whichever arrived first: stored facts that a
    copy in ``tbl`` precedes take that copy's values and provenance (simulated stays simulated
    once any copy says so). The import ledger's counts follow the facts. Returns, per source
    sha256 in ``tbl``, how many stored facts it now carries."""
    idcol = ID_COLUMN[table]
    cols = [c for c in row_schema(table).names if c not in (idcol, "is_simulated", "simulation_reason")]
    con.register("_bw_cp", tbl)
    try:
        first = (f"SELECT * FROM _bw_cp QUALIFY row_number() OVER (PARTITION BY {idcol} "
                 f"ORDER BY coalesce(source_sha256, ''), coalesce(source_pointer, '')) = 1")
        earlier = ("(coalesce(u.source_sha256, '') < coalesce(t.source_sha256, '') OR "
                   "(coalesce(u.source_sha256, '') = coalesce(t.source_sha256, '') AND "
                   "coalesce(u.source_pointer, '') < coalesce(t.source_pointer, '')))")
        pairs = con.execute(
            f"SELECT t.source_sha256, u.source_sha256, count(*) FROM {table} t JOIN ({first}) u "
            f"ON t.{idcol} = u.{idcol} WHERE {earlier} GROUP BY ALL").fetchall()
        if not pairs:
            return {}
        sets = ", ".join(f"{c} = u.{c}" for c in cols)
        con.execute(
            f"UPDATE {table} AS t SET {sets}, is_simulated = t.is_simulated OR u.is_simulated, "
            f"simulation_reason = CASE WHEN u.is_simulated THEN u.simulation_reason ELSE t.simulation_reason END "
            f"FROM ({first}) u WHERE t.{idcol} = u.{idcol} AND {earlier}")
    finally:
        con.unregister("_bw_cp")
    gained: dict[str, int] = {}
    count = _LEDGER_COUNT[table]
    for old, new, n in pairs:
        if old:
            con.execute(f"UPDATE import_ledger SET {count} = {count} - ? "
                        f"WHERE file_sha256 = ? AND status = 'imported'", [n, old])
        if new:
            gained[new] = gained.get(new, 0) + n
    return gained


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
        try:
            con.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - a failed COMMIT has ended the transaction; its error is the news
            pass
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
