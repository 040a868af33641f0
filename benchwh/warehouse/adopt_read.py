"""Read a legacy warehouse file read-only and say which legacy families it holds.

Reads: a DuckDB file (opened ``read_only=True``), a SQLite file (``mode=ro&immutable=1``, so
SQLite creates no journal or lock file), a Parquet file or a CSV table export (through an
in-memory DuckDB). Writes nothing anywhere. The kind of file comes from its first bytes and the
families from the tables and columns inside, never from the file name.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from benchwh.errors import AdoptError
from benchwh.legacy_import.adopt_base import Table

DUCKDB, SQLITE, PARQUET, CSV = "duckdb", "sqlite", "parquet", "csv"

# Columns that identify each legacy table. A table counts only if its name matches (for
# multi-table files) and these columns are all present: a same-named table of another tool
# is not read as ours. Single-table files (Parquet, CSV) are matched on columns alone.
SIGNATURES: dict[str, tuple[str, ...]] = {
    # star schema (create_benchmark_schema.py and its drifted copies)
    "performance_results": ("result_id", "model_id", "hardware_id", "average_latency_ms",
                            "throughput_items_per_second"),
    "hardware_platforms": ("hardware_id", "hardware_type", "device_name"),
    "models": ("model_id", "model_name"),
    "test_runs": ("run_id", "test_name"),
    "hardware_compatibility": ("compatibility_id", "model_id", "hardware_id", "is_compatible"),
    "integration_test_results": ("test_result_id", "test_module", "test_name", "status"),
    "integration_test_assertions": ("assertion_id", "test_result_id", "passed"),
    "performance_batch_results": ("batch_id", "result_id", "batch_index", "latency_ms"),
    "performance_history": ("model_id", "hardware_id", "latency_ms", "throughput_items_per_second"),
    # web tables
    "web_platform_results": ("result_id", "model_id", "platform", "inference_time_ms"),
    "webgpu_advanced_features": ("feature_id", "result_id"),
    # flat converter tables (benchmark_db_converter.py), also as its Parquet export
    "benchmark_performance": ("model", "hardware", "throughput", "latency_avg", "memory_peak"),
    "benchmark_hardware": ("hardware_type", "device_name", "is_available"),
    "benchmark_compatibility": ("model", "hardware_type", "is_compatible", "compatibility_level"),
    # pre-DuckDB Parquet store (archived benchmark_database.py) and its index
    "benchmark_data": ("benchmark_id", "model_name", "hardware_type", "avg_latency", "peak_memory_usage"),
    "benchmark_index": ("benchmark_id", "model_name", "hardware_type", "test_type", "status"),
}

STAR_TABLES = ("performance_results", "hardware_platforms", "models", "test_runs",
               "hardware_compatibility", "integration_test_results")
WEB_TABLES = ("web_platform_results",)
FLAT_TABLES = ("benchmark_performance", "benchmark_hardware", "benchmark_compatibility")

# What an unrecognised file is told was looked for.
LOOKED_FOR = (
    "star schema (performance_results, hardware_platforms, models, test_runs, "
    "hardware_compatibility, integration_test_results)",
    "web tables (web_platform_results)",
    "flat converter tables (benchmark_performance, benchmark_hardware, benchmark_compatibility)",
    "Parquet store (benchmark_id, avg_latency, peak_memory_usage...) or its index",
)


def sniff_kind(path: Path) -> str:
    """DUCKDB | SQLITE | PARQUET | CSV from the file's bytes; AdoptError if none."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
        fh.seek(0, 2)
        size = fh.tell()
        tail = b""
        if size >= 8:
            fh.seek(size - 4)
            tail = fh.read(4)
    if len(head) >= 12 and head[8:12] == b"DUCK":
        return DUCKDB
    if head.startswith(b"SQLite format 3\x00"):
        return SQLITE
    if head.startswith(b"PAR1") and tail == b"PAR1":
        return PARQUET
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        first = ""
    if first.count(",") >= 1 and b"\x00" not in head:
        return CSV
    raise AdoptError(
        f"{path.name} is not a database: expected a DuckDB, SQLite or Parquet file or a CSV "
        f"table export (its first bytes are {head[:16]!r})"
    )


def read_tables(path: Path, kind: str) -> dict[str, Table]:
    """Every table in the file, read whole, keyed by legacy table name (single-table files by
    the table their columns match, else by file stem)."""
    if kind == SQLITE:
        return _read_sqlite(path)
    if kind == DUCKDB:
        return _read_duckdb(path)
    return _read_single(path, kind)


def _read_duckdb(path: Path) -> dict[str, Table]:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()][:2]
        why = " ".join(lines) or type(e).__name__
        if "version number" in why:
            raise AdoptError(
                f"cannot open {path.name} read-only with DuckDB {duckdb.__version__}: {why} Open it with "
                f"the DuckDB that wrote it, EXPORT DATABASE to a folder, IMPORT DATABASE that folder "
                f"with DuckDB {duckdb.__version__} into a new file, and adopt the new file"
            ) from None
        if "lock" in why.lower():
            why += " Another process has it open for writing: close that process or adopt a copy"
        raise AdoptError(f"cannot open {path.name} read-only with DuckDB {duckdb.__version__}: {why}") from None
    try:
        names = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() ORDER BY schema_name, table_name"
        ).fetchall()
        out: dict[str, Table] = {}
        for schema, name in names:
            key = name if schema == "main" else f"{schema}.{name}"
            cols = con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
                "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, name],
            ).fetchall()
            src = f"{_ident(schema)}.{_ident(name)}"
            out[key] = _fetch(con, src, cols, key)
        return out
    finally:
        con.close()


def _read_single(path: Path, kind: str) -> dict[str, Table]:
    """A Parquet file or CSV export, read by pyarrow (no glob or URL interpretation of the
    path), then selected through an in-memory DuckDB like the database tables are."""
    import duckdb
    import pyarrow as pa

    try:
        if kind == PARQUET:
            import pyarrow.parquet as pq

            arrow = pq.read_table(path)
        else:
            import pyarrow.csv as pcsv

            arrow = pcsv.read_csv(path)
    except (pa.ArrowException, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise AdoptError(f"cannot read {path.name} as {kind}: {first}") from None
    key = _table_for_columns(arrow.column_names) or path.stem
    con = duckdb.connect()  # in-memory: the file is only read
    try:
        con.register("_legacy", arrow)
        cols = [(r[0], r[1]) for r in con.execute("DESCRIBE _legacy").fetchall()]
        return {key: _fetch(con, "_legacy", cols, key)}
    finally:
        con.close()


def _fetch(con, src: str, cols: list[tuple[str, str]], key: str) -> Table:
    """SELECT every row; FLOAT (float32) columns go through VARCHAR so 55.227264 stays
    55.227264 instead of becoming 55.22726440429688. ``src`` and column names are quoted
    identifiers taken from the file's own catalog."""
    exprs = []
    for name, dtype in cols:
        q = _ident(name)
        exprs.append(f"CAST(CAST({q} AS VARCHAR) AS DOUBLE) AS {q}" if dtype == "FLOAT" else q)
    cur = con.execute(f"SELECT {', '.join(exprs) or '*'} FROM {src}")
    names = [d[0] for d in cur.description]
    return Table(key, names, [dict(zip(names, r)) for r in cur.fetchall()])


def _read_sqlite(path: Path) -> dict[str, Table]:
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    except sqlite3.DatabaseError as e:
        raise AdoptError(f"cannot open {path.name} read-only with SQLite: {e}") from None
    try:
        out: dict[str, Table] = {}
        for name in names:
            cur = con.execute(f"SELECT * FROM {_ident(name)}")
            cols = [d[0] for d in cur.description]
            out[name] = Table(name, cols, [dict(zip(cols, r)) for r in cur.fetchall()])
        return out
    finally:
        con.close()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_for_columns(columns: list[str]) -> str | None:
    """The legacy table whose signature a single-table file's columns carry (most specific
    first: the Parquet store's data file also has every column of its index)."""
    have = set(columns)
    order = ("benchmark_data", "benchmark_index", "performance_results", "benchmark_performance",
             "benchmark_compatibility", "benchmark_hardware", "web_platform_results",
             "hardware_compatibility", "integration_test_results", "hardware_platforms",
             "models", "test_runs")
    for name in order:
        if set(SIGNATURES[name]) <= have:
            return name
    return None


def known(tables: dict[str, Table]) -> dict[str, Table]:
    """The tables whose name and signature columns both match a legacy table."""
    return {n: t for n, t in tables.items() if n in SIGNATURES and t.has(*SIGNATURES[n])}


def families(tables: dict[str, Table]) -> list[str]:
    """Which legacy families the file holds, in a fixed order. ``star-drifted`` is the star
    schema as committed at 90b80efc3: ``test_runs`` with an extra ``id`` column, or results
    without ``created_at``."""
    k = known(tables)
    out: list[str] = []
    if any(n in k for n in STAR_TABLES):
        runs, perf = k.get("test_runs"), k.get("performance_results")
        drifted = (runs is not None and "id" in runs.columns) or (perf is not None and "created_at" not in perf.columns)
        out.append("star-drifted" if drifted else "star")
    if any(n in k for n in WEB_TABLES):
        out.append("web")
    if any(n in k for n in FLAT_TABLES):
        out.append("flat")
    if "benchmark_data" in k:
        out.append("parquet-store")
    if "benchmark_index" in k:
        out.append("parquet-index")
    return out


def unrecognised(file_name: str, tables: dict[str, Table]) -> AdoptError:
    found = ", ".join(f"{n} ({', '.join(t.columns[:6])}{'...' if len(t.columns) > 6 else ''})"
                      for n, t in sorted(tables.items())) or "no tables"
    return AdoptError(
        f"{file_name} is not a recognised legacy warehouse: found {found}; looked for {'; '.join(LOOKED_FOR)}",
        remedy="json-import", hint=" (legacy JSON result files are imported, not adopted)")
