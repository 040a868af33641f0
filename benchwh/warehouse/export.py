"""``benchwh export``: the flat results table (the export contract) written to files.

What is written: every result (simulated ones included, flagged by ``is_simulated``), one row
each, with the columns of ``benchwh.warehouse.flat.CONTRACT_COLUMNS``, in the warehouse's
storage order (no sort: sorting doubled the time of a 1M-row Parquet export, and readers that
need an order sort anyway). Filters (model, hardware, since) are bound as parameters.
DuckDB writes Parquet, CSV and JSON-lines itself (``COPY (...) TO``); Arrow IPC is written from
DuckDB's Arrow record batches by pyarrow (DuckDB has no Arrow COPY format). Parquet files carry
``benchwh_schema_revision`` and ``benchwh_version`` in their key-value metadata; Arrow files in
their schema metadata. CSV writes lists as ``[1.0, 2.0]`` (JSON-compatible text), times as
``YYYY-MM-DD HH:MM:SS[.ffffff]``, missing as an empty field.

``partition_by`` writes a Hive layout (``col=value/`` folders, values percent-encoded, missing
as ``__HIVE_DEFAULT_PARTITION__``); as Hive expects, the partition columns live in the folder
names, not in the files, and Hive-aware readers (DuckDB, Polars, pyarrow, Spark) restore them.

A plain export replaces nothing unless ``overwrite``; it is written beside its target and
renamed into place, so a failed export leaves no half-written file.

Incremental export (``incremental=True``; ``out`` is a folder)
---------------------------------------------------------------
Results are append-only and immutable (content-hash ids; the writer stamps ``inserted_at``
once per committed batch), so "what changed since the last export" is "results inserted
since". The folder holds the parts written so far (``part-00001.parquet``, ``part-00002...``;
with partitioning, ``col=value/part-00002-0.parquet``) and a small manifest,
``_benchwh_export.json`` (the leading underscore makes Spark/Hive readers skip it) recording
the format, filters, partitioning, schema revision, and per export: its sequence number,
files, row count, and the *watermark*, the newest ``inserted_at`` it covered.

Each incremental run:

1. reads the manifest (none: this is the first export, of everything) and refuses if the
   format, filters, partitioning or schema revision differ (a part with another schema would
   break readers of the folder);
2. selects the rows whose ``result_id`` is in none of the parts the manifest lists (read back
   from the files themselves): the export remembers exactly what it exported, whatever the
   rows' timestamps (a merge keeps the source's ``inserted_at``, which may be hours older than
   the last export; a DuckLake batch stamped before the last export may commit after it);
3. records the newest ``inserted_at`` it saw as the *watermark* (for people; selection does
   not depend on it);
4. writes them as the next part (into a temporary folder inside ``out``, then moved into
   place), and rewrites the manifest last (write + rename). A crash before that leaves a
   part the manifest does not list; the next run removes it and writes it again.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from benchwh.errors import BenchwhError
from benchwh.warehouse.flat import CONTRACT_COLUMNS
from benchwh.warehouse.read import Filters, flat_sql

FORMATS = ("parquet", "csv", "jsonl", "arrow")
MANIFEST = "_benchwh_export.json"
MANIFEST_VERSION = 1
# Columns that cannot name a folder (lists) or that incremental export reads back from files.
_NOT_PARTITIONS = ("latency_samples_ms",)
_INCREMENTAL_KEYS = ("result_id", "inserted_at")


class ExportError(BenchwhError):
    """An export cannot be written as asked (target exists, options differ...)."""


@dataclass
class ExportResult:
    path: Path
    format: str
    rows: int
    files: list[str] = field(default_factory=list)  # relative to ``path`` when it is a folder
    schema_revision: str | None = None
    incremental: bool = False
    watermark: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "format": self.format, "rows": self.rows,
                "files": self.files, "schema_revision": self.schema_revision,
                "incremental": self.incremental, "watermark": self.watermark}


def _literal(text: str) -> str:
    """A SQL string literal (COPY's target and options cannot be parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _metadata(revision: str | None) -> dict[str, str]:
    from benchwh import __version__

    return {"benchwh_schema_revision": revision or "", "benchwh_version": __version__}


def check_partitions(partition_by: Sequence[str] | None, incremental: bool) -> list[str]:
    """The ``--partition-by`` columns, checked against the contract (they become SQL
    identifiers, so only contract column names pass)."""
    cols = [c.strip() for c in (partition_by or []) if c.strip()]
    for c in cols:
        if c not in CONTRACT_COLUMNS:
            from benchwh.suggest import did_you_mean

            hint = did_you_mean(c, CONTRACT_COLUMNS)
            raise ExportError(f"partition_by {c}: not a column of the export{hint}", option="partition_by")
        if c in _NOT_PARTITIONS or (incremental and c in _INCREMENTAL_KEYS):
            raise ExportError(f"partition_by {c}: cannot partition by this column"
                              + (" in an incremental export" if c in _INCREMENTAL_KEYS else " (a list)"),
                              option="partition_by")
    if len(set(cols)) != len(cols):
        raise ExportError("partition_by names a column twice", option="partition_by")
    return cols


def _copy_options(fmt: str, partition_by: list[str], revision: str | None, pattern: str | None) -> str:
    if fmt == "parquet":
        kv = ", ".join(f"{k}: {_literal(v)}" for k, v in _metadata(revision).items())
        opts = ["FORMAT parquet", f"KV_METADATA {{{kv}}}"]
    elif fmt == "csv":
        opts = ["FORMAT csv", "HEADER true"]
    else:
        opts = ["FORMAT json"]  # DuckDB writes newline-delimited objects by default
    if partition_by:
        opts.append(f"PARTITION_BY ({', '.join(partition_by)})")
        if pattern:
            opts.append(f"FILENAME_PATTERN {_literal(pattern)}")
    return ", ".join(opts)


def _write(con, sql: str, params: list, target: Path, fmt: str, partition_by: list[str],
           revision: str | None, pattern: str | None) -> int:
    """Write the rows of ``sql`` to ``target`` (a file, or a folder when partitioned);
    returns the number of rows written."""
    if fmt == "jsonl" and partition_by:
        return _write_json_partitions(con, sql, params, target, partition_by, pattern)
    if fmt != "arrow":
        opts = _copy_options(fmt, partition_by, revision, pattern)
        # the target path is a parameter too: no user value enters the SQL text
        # DuckDB binds COPY's target before the inner query's parameters
        row = con.execute(f"COPY ({sql}) TO ? ({opts})", [str(target), *params]).fetchone()
        return int(row[0]) if row else 0
    import pyarrow as pa

    reader = con.execute(sql, params).to_arrow_reader(122_880)
    schema = reader.schema.with_metadata(_metadata(revision))
    counted = [0]

    def batches():
        for b in reader:
            counted[0] += b.num_rows
            yield b

    if partition_by:
        import pyarrow.dataset as ds

        ds.write_dataset(pa.RecordBatchReader.from_batches(schema, batches()), str(target),
                         format="arrow", partitioning=partition_by, partitioning_flavor="hive",
                         basename_template=(pattern or "data_{i}") + ".arrow")
    else:
        with pa.OSFile(str(target), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for b in batches():
                writer.write_batch(b)
    return counted[0]


def hive_segment(column: str, value: str | None) -> str:
    """``col=value`` as DuckDB and pyarrow write it: percent-encoded, NULL as Hive's default."""
    from urllib.parse import quote

    return f"{column}={'__HIVE_DEFAULT_PARTITION__' if value is None else quote(value, safe='-_.~')}"


def _write_json_partitions(con, sql: str, params: list, target: Path, partition_by: list[str],
                           pattern: str | None) -> int:
    """DuckDB's JSON COPY has no PARTITION_BY: one COPY per partition, same layout."""
    cols = ", ".join(f"CAST({c} AS VARCHAR)" for c in partition_by)
    keys = con.execute(f"SELECT DISTINCT {cols} FROM ({sql}) s", params).fetchall()
    match = " AND ".join(f"CAST({c} AS VARCHAR) IS NOT DISTINCT FROM ?" for c in partition_by)
    name = (pattern or "data_{i}").replace("{i}", "0") + ".jsonl"
    total = 0
    for key in keys:
        folder = target.joinpath(*(hive_segment(c, v) for c, v in zip(partition_by, key)))
        folder.mkdir(parents=True, exist_ok=True)
        row = con.execute(
            f"COPY (SELECT * EXCLUDE ({', '.join(partition_by)}) FROM ({sql}) s WHERE {match}) "
            f"TO ? (FORMAT json)", [str(folder / name), *params, *key]).fetchone()
        total += int(row[0]) if row else 0
    return total


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove ``.<name>.tmp-<pid>`` files or folders beside ``target`` left by an export that was
    killed (its process is gone); a running export's own temporary is left alone."""
    from glob import escape

    from benchwh.proc import pid_alive

    removed = []
    for p in target.parent.glob(f".{escape(target.name)}.tmp-*"):
        pid = p.name.rsplit(".tmp-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            _remove(p)
            removed.append(p)
    return removed


def _files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def export(db: Any, out: str | os.PathLike, fmt: str = "parquet", *, model: str | None = None,
           hardware: str | None = None, since: Any = None,
           partition_by: Sequence[str] | None = None, incremental: bool = False,
           overwrite: bool = False) -> ExportResult:
    """Write the flat results of the warehouse at ``db`` (a location) to ``out``.

    Reads results, runs, models and hardware (read-only); writes ``out`` (a file, or a
    folder when partitioned or incremental) and, when incremental, its manifest. Raises
    ExportError for an unknown format, an existing target without ``overwrite``, or an
    incremental folder whose options differ."""
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        from benchwh.suggest import did_you_mean

        hint = did_you_mean(fmt, FORMATS)
        raise ExportError(f"unknown export format {fmt!r}: use {', '.join(FORMATS)}{hint}")
    parts = check_partitions(partition_by, incremental)
    filters = Filters(model=model, hardware=hardware, since=since, include_simulated=True)
    target = Path(out).expanduser().resolve()

    from benchwh.warehouse.migrate import read_revision
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(db, read_only=True) as con:
        revision = read_revision(con)
        if incremental:
            return _export_increment(con, target, fmt, filters, parts, revision)
        if target.exists() and not overwrite:
            raise ExportError(f"{target} exists", remedy="export-exists",
                              hint=": export with overwrite=True to replace it, or incremental=True to add what "
                                   "is new to an incremental export folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        sql, params = flat_sql(filters, order=False)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        remove_stale_temps(target)
        _remove(tmp)
        try:
            rows = _write(con, sql, params, tmp, fmt, parts, revision, None)
            if target.is_dir():
                _remove(target)  # os.replace cannot replace a non-empty folder
            os.replace(tmp, target)
        except BaseException:
            _remove(tmp)
            raise
    files = _files_under(target) if target.is_dir() else [target.name]
    return ExportResult(target, fmt, rows, files, revision)


# --- incremental export (design in the module docstring) ------------------------------------

def _options(fmt: str, filters: Filters, parts: list[str], revision: str | None) -> dict[str, Any]:
    since = filters.since.isoformat() if isinstance(filters.since, datetime) else filters.since
    return {"format": fmt, "partition_by": parts, "schema_revision": revision,
            "filters": {"model": filters.model, "hardware": filters.hardware,
                        "since": None if since is None else str(since)}}


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's export manifest, or None when it has none."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ExportError(f"{path}: unreadable export manifest ({e}); export to a new folder") from None
    if not isinstance(doc, dict) or doc.get("manifest_version") != MANIFEST_VERSION:
        raise ExportError(f"{path}: not a benchwh export manifest of version {MANIFEST_VERSION}")
    return doc


def _write_manifest(folder: Path, doc: dict[str, Any]) -> None:
    tmp = folder / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, folder / MANIFEST)


def _exported_ids(con, folder: Path, fmt: str, files: list[str]):
    """Arrow table (result_id) of every row already in ``files``."""
    import pyarrow as pa

    paths = [str(folder / f) for f in files]
    if not paths:
        return pa.table({"result_id": pa.array([], pa.string())})
    if fmt == "arrow":
        import pyarrow.dataset as ds

        data = ds.dataset(paths, format="arrow")
        return data.to_table(columns=["result_id"])
    if fmt == "parquet":
        src = "read_parquet(?, hive_partitioning = false)"
    elif fmt == "csv":
        src = "read_csv(?, header = true, all_varchar = true)"
    else:
        src = "read_json(?, format = 'newline_delimited', columns = {result_id: 'VARCHAR'})"
    return con.execute(f"SELECT DISTINCT result_id FROM {src}", [paths]).to_arrow_table()


def _part_files(folder: Path, stem: str, ext: str) -> list[Path]:
    """The files of part ``stem`` anywhere under ``folder`` (plain or partitioned names)."""
    if not folder.exists():
        return []
    return [p for pattern in (f"{stem}.{ext}", f"{stem}-*.{ext}") for p in folder.rglob(pattern)
            if p.is_file()]


def _export_increment(con, folder: Path, fmt: str, filters: Filters, parts: list[str],
                      revision: str | None) -> ExportResult:
    """Write the rows not yet in the incremental export folder as its next part."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file: an incremental export writes into a folder")
    manifest = read_manifest(folder) if folder.exists() else None
    options = _options(fmt, filters, parts, revision)
    if manifest is None:
        first = f"part-{1:05d}"
        others = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
        if set(others) - set(_part_files(folder, first, fmt)):
            raise ExportError(f"{folder} is not empty and holds no {MANIFEST}: "
                              "an incremental export starts in a new or empty folder")
        manifest = {"manifest_version": MANIFEST_VERSION, **options, "watermark": None, "exports": []}
    else:
        theirs = {k: manifest.get(k) for k in options}
        if theirs != options:
            diff = ", ".join(f"{k}: {theirs[k]!r} there, {options[k]!r} now"
                             for k in options if theirs[k] != options[k])
            raise ExportError(f"{folder} holds an incremental export made with other options ({diff}); "
                              "export to a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    seq = 1 + max((e["seq"] for e in manifest["exports"]), default=0)
    stem = f"part-{seq:05d}"
    ext = fmt  # file extensions are the format names
    for stale in _part_files(folder, stem, ext):
        stale.unlink()  # left by an export that failed before writing the manifest

    upper = con.execute("SELECT max(inserted_at) FROM results").fetchone()[0]
    sql, params = flat_sql(filters, order=False)
    old = manifest["watermark"]
    listed = [f for e in manifest["exports"] for f in e["files"]]
    if listed:
        # Exactly what was exported: the ids in the parts the manifest lists (no time window:
        # merged rows keep their source's inserted_at, which can be hours before the last export).
        con.register("_bw_exported", _exported_ids(con, folder, fmt, listed))
        sql = f"SELECT * FROM ({sql}) f WHERE result_id NOT IN (SELECT result_id FROM _bw_exported)"

    tmp = folder / f"_tmp-{stem}"
    _remove(tmp)
    try:
        if parts:
            rows = _write(con, sql, params, tmp, fmt, parts, revision, stem + "-{i}")
        else:
            tmp.mkdir()
            rows = _write(con, sql, params, tmp / f"{stem}.{ext}", fmt, parts, revision, None)
        written = _files_under(tmp) if rows else []
        for rel in written:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, folder / rel)
    finally:
        _remove(tmp)
    if upper is not None:
        newest = max(upper, datetime.fromisoformat(old)) if old else upper
        manifest["watermark"] = newest.isoformat()
    if rows:
        manifest["exports"].append({"seq": seq, "rows": rows, "files": written,
                                    "watermark": manifest["watermark"]})
    _write_manifest(folder, manifest)
    return ExportResult(folder, fmt, rows, written, revision, True, manifest["watermark"])
