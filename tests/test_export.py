"""`benchwh export`: every format read back by Polars, pyarrow, pandas and DuckDB equals the
warehouse's flat table (lists, times, NULLs, booleans included); filters, Hive partitions,
Parquet metadata and incremental export on a warehouse built by `benchwh import`, on each
backend (a DuckDB file and DuckLake on PostgreSQL)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from benchwh import __version__
from benchwh.warehouse.export import MANIFEST, ExportError, export
from benchwh.warehouse.migrate import head
from benchwh.warehouse.flat import CONTRACT_COLUMNS
from benchwh.warehouse.migrate import head
from benchwh.warehouse.read import flat_sql, read_frame

from conftest import BACKENDS
from test_query_data import DAY0, build, built_warehouse


@pytest.fixture(scope="module", params=BACKENDS)
def built(request, make_warehouse, tmp_path_factory):
    """The generated data imported once per module on each backend."""
    return built_warehouse(request.param, make_warehouse, tmp_path_factory.mktemp("export"))


@pytest.fixture
def wh(built, monkeypatch):
    """(``--db`` text, truth info) of the module's warehouse, named for this test."""
    warehouse, info = built
    return warehouse.use(monkeypatch), info


def reference(db, **filters):
    """The warehouse's flat rows (all results, simulated included) as DuckDB gives them,
    read through the library from ``db`` (``--db`` text or a Location)."""
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.read import Filters

    with open_warehouse(db, read_only=True) as con:
        sql, params = flat_sql(Filters(include_simulated=True, **filters))
        frame = read_frame(con, sql, params)
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {flat_sql()[0]}").fetchall()}
    return frame, types


def _null(v) -> bool:
    if v is None:
        return True
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(v, float) and math.isnan(v)


def as_contract(value, duck_type: str):
    """A value read back from a file, as the contract type says it is: text formats give
    times and lists as text, pandas gives numpy scalars; all become plain Python values."""
    if _null(value):
        return None
    if duck_type == "TIMESTAMP":
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    if duck_type.endswith("[]"):
        if isinstance(value, str):
            value = json.loads(value)
        return [float(x) for x in value]
    if duck_type == "BOOLEAN":
        return value if isinstance(value, bool) else (str(value).lower() == "true" if isinstance(value, str) else bool(value))
    if duck_type in ("INTEGER", "BIGINT"):
        return int(value)
    if duck_type == "DOUBLE":
        return float(value)
    return str(value)


def rows_of(records: list[dict], types: dict) -> list[dict]:
    """Contract-typed rows, by result_id (an export keeps the warehouse's storage order)."""
    rows = [{c: as_contract(r[c], types[c]) for c in CONTRACT_COLUMNS} for r in records]
    return sorted(rows, key=lambda r: r["result_id"])


def read_back(path: Path, fmt: str, types: dict) -> dict[str, list[dict]]:
    """The file read by each of the four readers, as row dicts."""
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    out = {}
    if fmt == "parquet":
        import pyarrow.parquet as pq

        out["polars"] = pl.read_parquet(path).to_dicts()
        out["pyarrow"] = pq.read_table(path).to_pylist()
        out["pandas"] = pd.read_parquet(path).to_dict("records")
        out["duckdb"] = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").pl().to_dicts()
    elif fmt == "arrow":
        import pyarrow.ipc as ipc

        out["polars"] = pl.read_ipc(path).to_dicts()
        arrow_file = ipc.open_file(pa.memory_map(str(path))).read_all()
        out["pyarrow"] = arrow_file.to_pylist()
        out["pandas"] = pd.read_feather(path).to_dict("records")
        # DuckDB has no Arrow IPC reader of its own: it scans the table pyarrow opened
        out["duckdb"] = duckdb.sql("SELECT * FROM arrow_file").pl().to_dicts()
    elif fmt == "csv":
        import pyarrow.csv as pacsv

        out["polars"] = pl.read_csv(path, infer_schema=False).to_dicts()
        out["pyarrow"] = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in CONTRACT_COLUMNS}, strings_can_be_null=True)).to_pylist()
        out["pandas"] = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]).to_dict("records")
        cols = ", ".join(f"'{c}': '{t}'" for c, t in types.items())
        out["duckdb"] = duckdb.sql(f"SELECT * FROM read_csv('{path}', header = true, columns = {{{cols}}})").pl().to_dicts()
    else:  # jsonl
        import pyarrow.json as pajson

        out["polars"] = pl.read_ndjson(path, infer_schema_length=None).to_dicts()
        out["pyarrow"] = pajson.read_json(path).to_pylist()
        out["pandas"] = pd.read_json(path, lines=True, dtype=False, precise_float=True).to_dict("records")
        cols = ", ".join(f"'{c}': '{t}'" for c, t in types.items())
        out["duckdb"] = duckdb.sql(f"SELECT * FROM read_json('{path}', format = 'newline_delimited', "
                                   f"columns = {{{cols}}})").pl().to_dicts()
    return out


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "arrow"])
def test_every_reader_gets_the_flat_table_back(wh, tmp_path, fmt):
    db, info = wh
    ref, types = reference(db)
    path = tmp_path / f"out.{fmt}"
    result = export(db, path, fmt)
    assert result.rows == ref.height == len(info["results"])
    # the data holds what a round trip can lose: lists, times, NULLs, both booleans
    assert ref["is_simulated"].n_unique() == 2 and ref["latency_samples_ms"].null_count() > 0
    assert ref["latency_ms_mean"].null_count() > 0 and ref["measured_at"].null_count() == 0
    want = rows_of(ref.to_dicts(), types)
    for reader, rows in read_back(path, fmt, types).items():
        assert rows_of(rows, types) == want, f"{fmt} read by {reader}"


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_binary_formats_keep_exact_types_and_carry_metadata(wh, tmp_path, fmt):
    import polars as pl
    import pyarrow as pa

    db, _ = wh
    ref, _ = reference(db)
    path = tmp_path / f"out.{fmt}"
    export(db, path, fmt)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        back = pl.read_parquet(path)
        meta = pq.ParquetFile(path).schema_arrow.metadata
    else:
        import pyarrow.ipc as ipc

        back = pl.read_ipc(path)
        meta = ipc.open_file(pa.memory_map(str(path))).schema.metadata
    assert back.schema == ref.schema
    assert back.sort("result_id").equals(ref.sort("result_id"))
    assert meta[b"benchwh_schema_revision"] == head().encode()
    assert meta[b"benchwh_version"] == __version__.encode()
    assert back.columns == list(CONTRACT_COLUMNS)


def test_filters_are_parameters_and_select_the_right_rows(wh, tmp_path):
    import polars as pl

    db, info = wh
    cases = [
        ({"model": "google/vit-base-patch16-224"}, lambda r: r["model_name"] == "google/vit-base-patch16-224"),
        ({"hardware": "cuda"}, lambda r: r["hardware_type"] == "cuda"),
        ({"since": "2025-03-03"}, lambda r: r["measured_at"] >= datetime(2025, 3, 3)),
        ({"model": "x' OR '1'='1"}, lambda r: False),
        ({"hardware": "cpu'; DROP TABLE results; --"}, lambda r: False),
    ]
    for i, (f, keep) in enumerate(cases):
        path = tmp_path / f"f{i}.parquet"
        export(db, path, **f)
        got = pl.read_parquet(path)
        want = [r for r in info["results"] if keep(r)]
        assert sorted(got["measured_at"].to_list()) == sorted(r["measured_at"] for r in want), f
        assert got.columns == list(CONTRACT_COLUMNS)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "arrow"])
def test_partitioned_export_is_a_hive_layout(wh, tmp_path, fmt):
    import polars as pl

    db, _ = wh
    ref, types = reference(db)
    out = tmp_path / "parts"
    result = export(db, out, fmt, partition_by=["hardware_type", "model_name"])
    dirs = {Path(f).parent.as_posix() for f in result.files}
    assert "hardware_type=cuda/model_name=google%2Fvit-base-patch16-224" in dirs
    assert result.rows == ref.height
    ext = {"jsonl": "jsonl"}.get(fmt, fmt)
    if fmt == "parquet":
        back = pl.read_parquet(out / "**" / "*.parquet", hive_partitioning=True,
                               hive_schema={"hardware_type": pl.String, "model_name": pl.String})
    else:
        src = {"csv": "read_csv", "jsonl": "read_json"}.get(fmt)
        if src:
            back = duckdb.sql(f"SELECT * FROM {src}('{out}/**/*.{ext}', hive_partitioning = true)").pl()
        else:
            import pyarrow as pa
            import pyarrow.dataset as ds

            part = ds.partitioning(pa.schema([("hardware_type", pa.string()), ("model_name", pa.string())]),
                                   flavor="hive")
            back = pl.from_arrow(ds.dataset(out, format="arrow", partitioning=part).to_table())
    assert back.select(ref.columns).height == ref.height
    assert rows_of(back.select(ref.columns).to_dicts(), types) == rows_of(ref.to_dicts(), types)


def test_existing_target_needs_overwrite(wh, tmp_path):
    db, _ = wh
    path = tmp_path / "x.parquet"
    export(db, path)
    with pytest.raises(ExportError, match="overwrite=True") as err:
        export(db, path)
    from benchwh.cli.hints import cli_message  # the CLI names its flag instead

    assert "pass `--overwrite` to replace it" in cli_message(err.value)
    assert "--" not in str(err.value)
    assert export(db, path, overwrite=True).rows > 0
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]  # no temporary left behind
    with pytest.raises(ExportError, match="did you mean `parquet`"):
        export(db, tmp_path / "y", "parqet")
    with pytest.raises(ExportError, match="not a column"):
        export(db, tmp_path / "y", partition_by=["hardware"])


def more_files(src: Path, day: int) -> int:
    """Write one more F8 file (2 results) measured on ``day``; returns its result count."""
    t = DAY0.replace(day=1 + day)
    doc = {"model": "t5-small", "hardware": "cpu", "success": True, "timestamp": t.isoformat(),
           "batch_results": {"1": {"success": True, "batch_size": 1, "avg_latency_ms": 3.5 + day,
                                   "latencies_ms": [3.0 + day, 4.0 + day], "timestamp": t.isoformat()},
                             "2": {"success": True, "batch_size": 2, "avg_latency_ms": 6.5 + day,
                                   "timestamp": t.isoformat()}}}
    p = src / f"later/direct_benchmark_t5_cpu_{t:%Y%m%d_%H%M%S}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(doc))
    return 2


@pytest.mark.parametrize("fmt,parts", [("parquet", []), ("csv", []), ("jsonl", ["hardware_type"]),
                                       ("arrow", ["model_name"]), ("parquet", ["hardware_type", "batch_size"])])
def test_incremental_export_writes_only_what_is_new(built, make_warehouse, tmp_path, cli, fmt, parts):
    import polars as pl

    # a warehouse of its own on the module's backend, built alike: this test adds results
    warehouse = make_warehouse("lake" if built[0].is_lake else "file", tmp_path / "wh")
    info = build(tmp_path, warehouse)
    db = warehouse.location()
    out = tmp_path / "inc"
    first = export(db, out, fmt, partition_by=parts, incremental=True)
    assert first.rows == len(info["results"])
    again = export(db, out, fmt, partition_by=parts, incremental=True)
    assert again.rows == 0 and again.files == []
    added = more_files(info["src"], 5)
    assert cli("import", str(info["src"]), *warehouse.args).code == 0
    third = export(db, out, fmt, partition_by=parts, incremental=True)
    assert third.rows == added
    manifest = json.loads((out / MANIFEST).read_text())
    assert [e["rows"] for e in manifest["exports"]] == [first.rows, added]
    assert manifest["format"] == fmt and manifest["schema_revision"] == head()
    # the parts together are exactly one full export, each result once
    ref, types = reference(db)
    files = [out / f for e in manifest["exports"] for f in e["files"]]
    ext = fmt
    if fmt == "parquet":
        back = pl.concat([pl.read_parquet(f) for f in files], how="diagonal")
    elif fmt == "arrow":
        back = pl.concat([pl.read_ipc(f) for f in files], how="diagonal")
    else:
        src = {"csv": "read_csv", "jsonl": "read_json"}[fmt]
        back = duckdb.sql(f"SELECT * FROM {src}({[str(f) for f in files]}, union_by_name = true)").pl()
    assert back["result_id"].n_unique() == back.height == ref.height
    assert set(back["result_id"]) == set(ref["result_id"])
    assert not any(p.name.startswith("_tmp") for p in out.rglob("*")), ext
    with pytest.raises(ExportError, match="other options"):
        export(db, out, "csv" if fmt != "csv" else "parquet", partition_by=parts, incremental=True)


def test_incremental_export_recovers_from_a_part_written_without_its_manifest(wh, tmp_path):
    import shutil

    db, info = wh
    out = tmp_path / "inc"
    export(db, out, "parquet", incremental=True)
    manifest = (out / MANIFEST).read_text()
    # simulate a crash after writing part 2 but before its manifest: the part is rewritten
    shutil.copy(out / "part-00001.parquet", out / "part-00002.parquet")
    (out / MANIFEST).write_text(manifest)
    assert export(db, out, "parquet", incremental=True).rows == 0
    assert not (out / "part-00002.parquet").exists()


def test_incremental_refuses_a_folder_it_did_not_make(wh, tmp_path):
    db, _ = wh
    (tmp_path / "other.txt").write_text("x")
    with pytest.raises(ExportError, match="not empty"):
        export(db, tmp_path, incremental=True)


def test_cli_export(wh, tmp_path, cli):
    db, info = wh
    path = tmp_path / "e.parquet"
    res = cli("export", "--db", db, "--out", str(path), "--hardware", "cpu", "--json")
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["rows"] == sum(1 for r in info["results"] if r["hardware_type"] == "cpu")
    res = cli("export", "--db", db, "--out", str(path))
    assert res.code == 1 and res.stderr.startswith("Error: ") and "--overwrite" in res.stderr
    res = cli("export", "--db", db, "--out", str(tmp_path / "p"), "--partition-by", "hardware_type,precision",
              "--format", "csv")
    assert res.code == 0 and "exported" in res.stdout
    assert (tmp_path / "p" / "hardware_type=cpu" / "precision=fp16").is_dir()
    assert (tmp_path / "p" / "hardware_type=cpu" / "precision=__HIVE_DEFAULT_PARTITION__").is_dir()


@pytest.mark.parametrize("name,fmt", [("x.csv", "csv"), ("x.jsonl", "jsonl"), ("x.arrow", "arrow"), ("x.parquet", "parquet")])
def test_cli_export_format_from_extension(wh, tmp_path, cli, name, fmt):
    db, info = wh
    res = cli("export", "--db", db, "--out", str(tmp_path / name), "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["format"] == fmt
    head = (tmp_path / name).read_bytes()[:6]
    assert head.startswith(b"PAR1") == (fmt == "parquet") and head.startswith(b"ARROW1") == (fmt == "arrow")
    if fmt == "csv":
        assert pl.read_csv(tmp_path / name).height == len(info["results"])


def test_cli_export_refuses_a_contradiction(wh, tmp_path, cli):
    db, _ = wh
    res = cli("export", "--db", db, "--out", str(tmp_path / "x.csv"), "--format", "parquet")
    assert res.code == 1 and "says csv but --format says parquet" in res.stderr, res.stderr
    res = cli("export", "--db", db, "--out", str(tmp_path / "x.txt"))
    assert res.code == 1 and "cannot tell the format from '.txt'" in res.stderr, res.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_target_path_with_quotes_and_semicolons_is_a_parameter(wh, tmp_path, cli, fmt):
    db, info = wh
    path = tmp_path / f"it's; DROP TABLE results; --.{fmt}"
    # A model name that looks like SQL is just a name nobody stored: refused, nothing written.
    res = cli("export", "--db", db, "--out", str(path), "--format", fmt, "--model", "x'; --")
    assert res.code == 1 and "no such model 'x'; --'" in res.stderr, res.stderr
    assert not path.exists()
    res = cli("export", "--db", db, "--out", str(path), "--format", fmt, "--hardware", "cpu")
    assert res.code == 0, res.stderr
    assert path.is_file() and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    res = cli("export", "--db", db, "--out", str(path.with_name("all.parquet")))
    assert res.code == 0 and pl.read_parquet(path.with_name("all.parquet")).height == len(info["results"])
