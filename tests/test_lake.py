"""DuckLake backend: extensions from the wheels, local and PostgreSQL catalogs, migrations,
error messages, and the two backends answering alike through the ``warehouse_db`` fixture."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from benchwh.errors import LocationError
from benchwh.records import Result, RunInfo
from benchwh.warehouse import lake
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from benchwh.warehouse.open import open_warehouse
from benchwh.warehouse.tables import SCHEMAS
from benchwh.warehouse.write import write_records

from conftest import BENCHWH


def results(tag: str, n: int) -> list[Result]:
    run = RunInfo(origin="test_lake", started_at=datetime(2026, 1, 5, 9, 0), run_key=tag)
    return [
        Result(run=run, model_name=f"model-{i % 3}", hardware_type="cpu", batch_size=1 + i % 4,
               sequence_length=128, latency_ms_mean=1.5 + i, latency_samples_ms=[1.0 + i, 2.0 + i],
               metrics={"step": i}, measured_at=datetime(2026, 1, 5, 9, 0) + timedelta(seconds=i))
        for i in range(n)
    ]


def rows(db, sql: str) -> list[tuple]:
    with open_warehouse(db, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_both_backends_store_and_dedupe_alike(warehouse_db):
    recs = results("alike", 12)
    first = write_records(warehouse_db, recs)
    again = write_records(warehouse_db, recs)
    assert first["results"] == 12 and again["results"] == 0
    got = rows(warehouse_db, "SELECT model_name, batch_size, latency_ms_mean, latency_samples_ms "
                             "FROM results JOIN models USING (model_id) ORDER BY latency_ms_mean")
    assert got == [(f"model-{i % 3}", 1 + i % 4, 1.5 + i, [1.0 + i, 2.0 + i]) for i in range(12)]


def test_lake_columns_match_the_file_warehouse(pg_cluster, tmp_path):
    """The same migrations give the same tables and column types on both backends."""
    file_loc = resolve(str(tmp_path / "w.duckdb"))
    lake_loc = resolve("ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database()),
                       str(tmp_path / "data"))
    migrate(file_loc)
    migrate(lake_loc)

    def describe(loc):
        with open_warehouse(loc, read_only=True) as con:
            return {t: con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {t})").fetchall()
                    for t in [*SCHEMAS, "alembic_version"]}

    assert describe(lake_loc) == describe(file_loc)


def test_lake_migrates_down_and_up_again(pg_cluster, tmp_path):
    loc = resolve("ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database()),
                  str(tmp_path / "data"))
    up = migrate(loc)
    assert up.changed and up.before is None and up.after == up.applied[-1]
    write_records(loc, results("down-up", 3))
    down = migrate(loc, to="base")
    assert down.after is None
    with lake.connect(loc) as con:
        left = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()
        assert left == [("alembic_version",)]  # as on a file: alembic keeps its (empty) table
        assert con.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 0
    again = migrate(loc)
    assert again.after == up.after
    assert rows(loc, "SELECT count(*) FROM results") == [(0,)]


def test_cli_on_a_postgres_lake(pg_cluster, tmp_path, cli):
    db = "ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database())
    data = tmp_path / "shared-data"
    before = cli("status", "--db", db, "--data-path", str(data))
    assert before.code == 1 and "does not exist yet" in before.stdout
    assert cli("migrate", "--db", db, "--data-path", str(data)).code == 0
    write_records(resolve(db, str(data)), results("cli", 20))
    with lake.connect(resolve(db, str(data)), read_only=True) as con:
        log = con.execute("SELECT author, commit_message, commit_extra_info FROM lake.snapshots() "
                          "WHERE commit_message = 'append'").fetchall()
    assert len(log) == 1 and log[0][0] == "benchwh" and '"pid"' in log[0][2]  # who wrote what
    st = cli("status", "--db", db, "--data-path", str(data), "--json")
    assert st.code == 0, st.stderr
    assert '"backend": "ducklake"' in st.stdout and '"results": 20' in st.stdout
    # BENCHWH_DB and BENCHWH_DATA_PATH name the same lake
    env = cli("status", "--json", env={"BENCHWH_DB": db, "BENCHWH_DATA_PATH": str(data)})
    assert env.code == 0 and '"results": 20' in env.stdout


def test_local_lake_file(tmp_path, cli):
    path = tmp_path / "bench.ducklake"
    db = f"ducklake:{path}"
    missing = cli("status", "--db", db)
    assert missing.code == 1 and "does not exist yet" in missing.stdout
    assert cli("migrate", "--db", db).code == 0
    assert write_records(db, results("local", 30))["results"] == 30
    assert rows(db, "SELECT count(*), count(DISTINCT result_id) FROM results") == [(30, 30)]
    data = path.with_name(path.name + ".files")
    assert list(data.rglob("*.parquet")), "30 rows are past DuckLake's inlining limit: Parquet expected"
    assert cli("check", "--db", db).code == 0


def test_a_missing_lake_says_to_migrate(pg_cluster, tmp_path):
    db = "ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database())
    with pytest.raises(LocationError, match="migrate it to create one"):
        with open_warehouse(resolve(db, str(tmp_path))):
            pass
    with pytest.raises(LocationError, match="no DuckLake warehouse at .*migrate it to create one"):
        with open_warehouse(f"ducklake:{tmp_path / 'none.ducklake'}"):
            pass
    assert not (tmp_path / "none.ducklake").exists()


def test_a_wrong_data_path_is_refused(pg_cluster, tmp_path):
    db = "ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database())
    migrate(resolve(db, str(tmp_path / "right")))
    with pytest.raises(LocationError, match="is not this lake's data path"):
        with open_warehouse(resolve(db, str(tmp_path / "wrong"))):
            pass


def test_unreachable_catalog_is_one_line(tmp_path, cli):
    db = "ducklake:postgres:dbname=x host=127.0.0.1 port=1 user=nobody connect_timeout=2"
    res = cli("status", "--db", db, "--data-path", str(tmp_path))
    assert res.code == 1
    assert res.stderr.startswith("Error: cannot open DuckLake warehouse") and res.stderr.count("\n") == 1


def test_extensions_come_from_the_wheels(pg_cluster, tmp_path, monkeypatch):
    """Installed into the private directory from the wheel files; nothing auto-installed."""
    monkeypatch.setenv(lake.ENV_EXTENSION_DIR, str(tmp_path / "ext"))
    db = "ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database())
    loc = resolve(db, str(tmp_path / "data"))
    migrate(loc)
    lake.release(loc)
    con = lake.connect(loc, read_only=True)
    try:
        loaded = {r[0]: r[1:] for r in con.execute(
            "SELECT extension_name, install_path, installed_from FROM duckdb_extensions() WHERE loaded"
            " AND extension_name IN ('ducklake', 'postgres_scanner')").fetchall()}
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions', 'extension_directory')").fetchall())
    finally:
        con.close()
    assert set(loaded) == {"ducklake", "postgres_scanner"}
    for name, (install_path, installed_from) in loaded.items():
        assert Path(install_path).is_relative_to(tmp_path / "ext")
        wheel = "duckdb_extension_" + ("postgres" if name == "postgres_scanner" else name)
        assert wheel in installed_from and installed_from.endswith(".duckdb_extension")
    assert settings["autoinstall_known_extensions"] == "false"
    assert settings["autoload_known_extensions"] == "false"
    assert settings["extension_directory"] == str(tmp_path / "ext")


def test_missing_extra_is_one_line_with_the_install_command(tmp_path):
    """Hide the ducklake wheel from a real CLI run: one line, exit 1, the pip command."""
    code = ("import sys; sys.modules['duckdb_extension_ducklake'] = None; "
            "from benchwh.cli.main import main; main()")
    env = {"BENCHWH_EXTENSION_DIR": str(tmp_path / "ext"), "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-c", code, "status", "--db", f"ducklake:{tmp_path / 'x.ducklake'}"],
                         capture_output=True, text=True, env=env, timeout=120)
    migrate_res = subprocess.run(
        [sys.executable, "-c", code, "migrate", "--db", f"ducklake:{tmp_path / 'x.ducklake'}"],
        capture_output=True, text=True, env=env, timeout=120)
    for r in (migrate_res,):
        assert r.returncode == 1
        assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith("Error: ")
        assert "pip install 'benchwh[lake]'" in r.stderr
    assert res.returncode == 1 and "does not exist yet" in res.stdout  # status needs no extension; none there: exit 1
    assert not (tmp_path / "x.ducklake").exists()


def test_console_script_on_a_lake(pg_cluster, tmp_path):
    """The installed ``benchwh`` in a subprocess, from another folder, named by the env variables."""
    db = "ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database())
    env = {"BENCHWH_DB": db, "BENCHWH_DATA_PATH": str(tmp_path / "data"), "PATH": "/usr/bin:/bin",
           "HOME": str(Path.home())}
    out = {}
    for cmd in ("migrate", "status", "check"):
        r = subprocess.run([BENCHWH, cmd], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert r.returncode == 0, r.stderr
        out[cmd] = r.stdout
    assert "backend:   ducklake" in out["status"] and "pending:   none" in out["status"]


def test_what_ducklake_rejects_and_the_migrations_avoid(tmp_path):
    """README "Running on many machines" lists these; a migration that needs one fails on the lake backend."""
    loc = resolve(f"ducklake:{tmp_path / 'scratch.ducklake'}")
    con = lake.connect(loc, create=True)
    try:
        con.execute("CREATE TABLE t (id VARCHAR NOT NULL, n INTEGER)")
        for ddl in ("CREATE INDEX ix ON t (id)", "CREATE TABLE pk (id VARCHAR PRIMARY KEY)",
                    "CREATE TABLE uq (id VARCHAR UNIQUE)", "CREATE TABLE ck (id VARCHAR CHECK (id <> ''))",
                    "CREATE TABLE fk (id VARCHAR REFERENCES t (id))", "CREATE SEQUENCE s",
                    "CREATE TABLE g (a INTEGER, b INTEGER GENERATED ALWAYS AS (a + 1))",
                    "CREATE TYPE mood AS ENUM ('a', 'b')"):
            with pytest.raises(duckdb.Error):
                con.execute(ddl)
        # what the migrations do use works: NOT NULL, lists, ALTER, RENAME, DROP
        for ddl in ("ALTER TABLE t ADD COLUMN l DOUBLE[]", "ALTER TABLE t ALTER COLUMN n TYPE BIGINT",
                    "ALTER TABLE t RENAME COLUMN l TO samples", "ALTER TABLE t DROP COLUMN samples"):
            con.execute(ddl)
    finally:
        con.close()
