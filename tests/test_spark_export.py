"""Spark reads what `benchwh export --partition-by` writes, and gets what Polars gets.

The analysts' side of many machines: the warehouse (a DuckDB file, or DuckLake on PostgreSQL)
is exported as a Hive-partitioned Parquet folder; Spark and Polars read the folder and must
agree row for row and value for value, partition columns (percent-encoded folder names, a
missing value as ``__HIVE_DEFAULT_PARTITION__``) included."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest

from benchwh.records import Result, RunInfo
from benchwh.testing import write_tree
from benchwh.warehouse.flat import CONTRACT_COLUMNS
from benchwh.warehouse.open import open_warehouse
from benchwh.warehouse.write import write_records

pytestmark = pytest.mark.spark

PARTS = ("hardware_type", "model_name", "precision")


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark", reason="pyspark not installed: pip install 'benchwh[spark]'")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("benchwh-export")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               # partition values as written (strings), as Polars is told below
               .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
               .config("spark.driver.memory", "512m")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    assert pyspark.__version__.startswith("4.")
    yield session
    session.stop()


def _awkward_results() -> list[Result]:
    """Partition values that need encoding or are missing, lists, NULL metrics."""
    run = RunInfo(origin="test_spark", started_at=datetime(2026, 4, 2, 8, 0), run_key="spark")
    names = ("org/model name+v2", "plain", "100%=model")
    return [Result(run=run, model_name=names[i % 3], hardware_type=("cuda", "webgpu")[i % 2],
                   precision=(None, "fp16", "int8")[i % 3], batch_size=1 + i,
                   latency_ms_mean=0.25 * (i + 1), latency_ms_p50=None if i % 2 else 0.2 * i,
                   latency_samples_ms=[0.1 * i, 0.2 * i] if i % 2 else None,
                   throughput_items_per_s=1000.0 / (i + 1), metrics={"k": i} if i % 3 == 0 else {},
                   measured_at=datetime(2026, 4, 2, 8, 0) + timedelta(minutes=i, microseconds=7 * i))
            for i in range(9)]


def _row(d: dict) -> tuple:
    return tuple(tuple(v) if isinstance(v, list) else v for v in (d[c] for c in CONTRACT_COLUMNS))


def test_spark_reads_the_partitioned_export_like_polars(warehouse_db, spark, tmp_path, cli):
    import polars as pl

    src = tmp_path / "legacy"
    write_tree(src, 12)
    assert cli("import", str(src), "--db", warehouse_db).code == 0
    write_records(warehouse_db, _awkward_results())
    with open_warehouse(warehouse_db, read_only=True) as con:
        n = con.execute("SELECT count(*) FROM results").fetchone()[0]

    out = tmp_path / "export"
    res = cli("export", "--db", warehouse_db, "--out", str(out), "--partition-by", ",".join(PARTS))
    assert res.code == 0, res.stderr
    folders = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir()}
    assert "hardware_type=cuda/model_name=org%2Fmodel%20name%2Bv2/precision=__HIVE_DEFAULT_PARTITION__" in folders
    assert "hardware_type=webgpu/model_name=100%25%3Dmodel/precision=int8" in folders

    polars_rows = pl.read_parquet(out / "**" / "*.parquet", hive_partitioning=True,
                                  hive_schema={c: pl.String for c in PARTS}).to_dicts()
    sdf = spark.read.parquet(str(out))
    assert set(sdf.columns) == set(CONTRACT_COLUMNS)
    spark_rows = [r.asDict() for r in sdf.collect()]

    assert len(polars_rows) == len(spark_rows) == n
    by_id = lambda rows: sorted((_row(r) for r in rows), key=lambda t: t[0])  # noqa: E731
    assert by_id(spark_rows) == by_id(polars_rows)
    # the awkward values survived both ways (not merely equal to each other)
    mine = [r for r in spark_rows if r["model_name"] in ("org/model name+v2", "plain", "100%=model")]
    assert len(mine) == 9
    assert {r["precision"] for r in mine} == {None, "fp16", "int8"}
    assert sorted(r["latency_ms_mean"] for r in mine) == [0.25 * (i + 1) for i in range(9)]
    assert {r["measured_at"] for r in mine} == {
        datetime(2026, 4, 2, 8, 0) + timedelta(minutes=i, microseconds=7 * i) for i in range(9)}
