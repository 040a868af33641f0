"""`benchwh query sql`: one read-only query runs; everything that writes or reaches outside
the warehouse is refused with a one-line reason, and the warehouse is unchanged afterwards;
on each backend (a DuckDB file and DuckLake on PostgreSQL, where the connection is not locked
down by design: ``benchwh.warehouse.sqlguard`` says why)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import duckdb
import pytest

from benchwh.errors import QueryError
from benchwh.warehouse.sqlguard import Catalog, check_sql, lock_down, run_sql

from conftest import BACKENDS
from test_query_data import built_warehouse


@pytest.fixture(scope="module", params=BACKENDS)
def built(request, make_warehouse, tmp_path_factory):
    """The generated data imported once per module on each backend, and a secret file beside."""
    root = tmp_path_factory.mktemp("sqlguard")
    warehouse, info = built_warehouse(request.param, make_warehouse, root)
    (root / "secret.csv").write_text("token\nhunter2\n")
    return warehouse, info, root


@pytest.fixture
def wh(built, monkeypatch):
    """(``--db`` text, truth info, folder) of the module's warehouse, named for this test."""
    warehouse, info, root = built
    return warehouse.use(monkeypatch), info, root


def checksum(warehouse) -> dict:
    """Every table's row count and an order-independent digest of its rows, plus, for a DuckDB
    file, the file's own sha256 (any write, even one rolled back into the file, changes it) and,
    for a lake, its snapshots (every commit, even one that wrote no rows, adds one)."""
    from benchwh.warehouse.lake import CATALOG
    from benchwh.warehouse.open import open_warehouse

    with open_warehouse(warehouse.location(), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() ORDER BY 1").fetchall()]
        out = {t: con.execute(f"SELECT count(*), md5(coalesce(string_agg(md5(x::VARCHAR), ',' ORDER BY md5(x::VARCHAR)), '')) "
                              f"FROM {t} x").fetchone() for t in tables}
        out["views"] = con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal "
                                   "AND database_name = current_database()").fetchone()
        if warehouse.is_lake:
            out["snapshots"] = con.execute(f"SELECT count(*), max(snapshot_id) FROM {CATALOG}.snapshots()").fetchone()
    if not warehouse.is_lake:
        with open(warehouse.db, "rb") as fh:
            out["file_sha256"] = hashlib.sha256(fh.read()).hexdigest()
    assert "main.results" in out, sorted(out)
    return out


def refused_statements(root) -> list[str]:
    out = root / "leak"
    return [
        "DROP TABLE results",
        "DELETE FROM results",
        "UPDATE results SET latency_ms_mean = 0",
        "INSERT INTO models SELECT * FROM models",
        "CREATE TABLE copy_of AS SELECT * FROM results",
        "CREATE VIEW v AS SELECT 1",
        "CREATE MACRO m(x) AS x + 1",
        "ALTER TABLE results ADD COLUMN z INTEGER",
        "TRUNCATE results",
        "SELECT * INTO stolen FROM results",
        "SELECT 1; DROP TABLE results",
        "SELECT * FROM results; SELECT 2",
        f"COPY results TO '{out}.csv'",
        f"COPY (SELECT * FROM results) TO '{out}.parquet' (FORMAT parquet)",
        f"EXPORT DATABASE '{out}_db'",
        f"ATTACH '{out}.duckdb' AS other",
        "DETACH other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA enable_profiling",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "CALL pragma_version()",
        "CHECKPOINT",
        "VACUUM",
        "BEGIN TRANSACTION",
        "USE other",
        f"SELECT * FROM read_csv('{root}/secret.csv')",
        f"SELECT * FROM read_csv_auto('{root}/secret.csv')",
        f"SELECT * FROM '{root}/secret.csv'",
        f'SELECT * FROM "{root}/secret.csv"',
        f"SELECT * FROM read_text('{root}/secret.csv')",
        f"SELECT * FROM read_parquet('{root}/*.parquet')",
        f"SELECT * FROM glob('{root}/*')",
        f"SELECT * FROM results WHERE EXISTS (SELECT * FROM read_json('{root}/x.json'))",
        "SELECT * FROM query('DROP TABLE results')",
        "SELECT getenv('HOME')",
        "SELECT current_setting('home_directory')",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM pg_catalog.pg_settings",
        "SELECT * FROM duckdb_secrets()",
        "SELECT nextval('seq')",
        "SELECT * FROM other.main.results",
        "WITH x AS (DELETE FROM results RETURNING *) SELECT * FROM x",
        # a CTE named like the file, out of scope where the file name is read
        f'SELECT * FROM (WITH "{root}/secret.csv" AS (SELECT 1) SELECT 1) a, "{root}/secret.csv" b',
        f'WITH a AS (SELECT * FROM "{root}/secret.csv"), "{root}/secret.csv" AS (SELECT 1) SELECT * FROM a',
        # what a lake connection can also reach: its catalog's own tables (which name the data
        # path), DuckLake's and the postgres extension's table functions
        "SELECT * FROM __ducklake_metadata_lake.ducklake_metadata",
        "SELECT * FROM ducklake_snapshots('lake')",
        "SELECT * FROM lake.snapshots()",
        "SELECT * FROM postgres_query('__ducklake_metadata_lake', 'SELECT 1')",
        "CALL postgres_execute('__ducklake_metadata_lake', 'DROP TABLE ducklake_snapshot')",
    ]


def test_refused_statements_change_nothing(built, wh, cli):
    """Each statement is refused by ``run_sql`` (what the command calls) with a one-line
    reason; a sample goes through the CLI too (exit 1, one ``Error:`` line). Afterwards every
    table, the file's bytes (the lake's snapshots) and the folder's files are as before."""
    db, _, root = wh
    before = checksum(built[0])
    files_before = sorted(p.name for p in root.rglob("*"))
    statements = refused_statements(root)
    assert len(statements) >= 20
    for stmt in statements:
        with pytest.raises(QueryError) as err:
            run_sql(db, stmt)
        assert "\n" not in str(err.value) and "hunter2" not in str(err.value), stmt
    for stmt in statements[::6]:
        res = cli("query", "sql", stmt, "--db", db)
        assert res.code == 1, (stmt, res.stdout, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (stmt, res.stderr)
        assert res.stdout == ""
    assert checksum(built[0]) == before
    assert sorted(p.name for p in root.rglob("*")) == files_before


@pytest.mark.parametrize("dialect,stmt", [
    ("postgres", "SELECT * FROM results r, runs u WHERE r.run_id = u.run_id; DELETE FROM runs"),
    ("mysql", "SELECT * FROM results INTO OUTFILE '/tmp/x'"),
    ("oracle", "SELECT * FROM results r, runs u WHERE r.run_id = u.run_id(+)"),  # transpile warning
    ("spark", "SELECT /*+ BROADCAST(r) */ * FROM results r"),  # hints are dropped: a warning
    ("sqlite", "ATTACH DATABASE 'x.db' AS x"),
    ("nosuchdialect", "SELECT 1"),
])
def test_other_dialects_are_refused_when_unsafe_or_lossy(wh, cli, dialect, stmt):
    db, _, _ = wh
    res = cli("query", "sql", stmt, "--dialect", dialect, "--db", db)
    assert res.code == 1 and res.stderr.startswith("Error: ") and res.stderr.count("\n") == 1, res.stderr


def test_a_transpile_warning_is_an_error_with_sqlglots_reason(wh, cli):
    db, _, _ = wh
    res = cli("query", "sql", "SELECT * FROM results r, runs u WHERE r.run_id = u.run_id(+)",
              "--dialect", "oracle", "--db", db)
    assert res.stderr.strip() == ("Error: cannot translate the statement from oracle to DuckDB: "
                                  "Outer join syntax using the (+) operator is not supported.")


def test_read_only_queries_answer_correctly(wh, cli):
    db, info, _ = wh
    want = Counter(r["hardware_type"] for r in info["results"] if not r["is_simulated"])
    stmt = ("SELECT h.hardware_type, count(*) AS n FROM results r JOIN hardware h USING (hardware_id) "
            "WHERE NOT r.is_simulated GROUP BY 1 ORDER BY 1")
    res = cli("query", "sql", stmt, "--db", db, "--format", "json")
    assert res.code == 0, res.stderr
    assert {r["hardware_type"]: r["n"] for r in json.loads(res.stdout)} == dict(want)

    n4 = sum(1 for r in info["results"] if r["batch_size"] == 4)
    for dialect, s in [("postgres", "SELECT count(*)::int AS n FROM results WHERE batch_size = 4"),
                       ("mysql", "SELECT COUNT(*) AS `n` FROM `results` WHERE `batch_size` = 4"),
                       ("sqlite", "SELECT count(*) AS n FROM results WHERE batch_size = 4"),
                       ("tsql", "SELECT TOP 1 COUNT(*) AS n FROM results WHERE batch_size = 4")]:
        res = cli("query", "sql", s, "--dialect", dialect, "--db", db, "--json")
        assert res.code == 0, (dialect, res.stderr)
        assert json.loads(res.stdout) == [{"n": n4}], dialect


def test_allowed_constructs(wh, cli):
    db, info, root = wh
    ok = [
        ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT sum(n) AS s FROM t",
         [{"s": 6}]),
        (f'WITH "{root}/secret.csv" AS (SELECT 1 AS token) SELECT token FROM "{root}/secret.csv"', [{"token": 1}]),
        ("SELECT count(*) AS n FROM range(5)", [{"n": 5}]),
        ("SELECT unnest([1, 2]) AS v", [{"v": 1}, {"v": 2}]),
        ("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'results'", [{"n": 1}]),
        ("SELECT 'a;b' AS v -- ; DROP TABLE results", [{"v": "a;b"}]),
    ]
    for stmt, want in ok:
        res = cli("query", "sql", stmt, "--db", db, "--json")
        assert res.code == 0, (stmt, res.stderr)
        assert json.loads(res.stdout) == want, stmt
    res = cli("query", "sql", "SELECT result_id FROM results ORDER BY result_id", "--db", db, "--json", "--limit", "3")
    assert len(json.loads(res.stdout)) == 3


def test_unknown_table_suggests_the_closest(wh, cli):
    db, _, _ = wh
    res = cli("query", "sql", "SELECT * FROM result", "--db", db)
    assert res.code == 1 and "did you mean `results`?" in res.stderr


def test_check_sql_is_pure_and_renders_duckdb():
    cat = Catalog(frozenset({"results", "runs"}), "wh", "main")
    assert check_sql("select `a` from results limit 1, 2", cat, "mysql") == 'SELECT "a" FROM results LIMIT 2 OFFSET 1'
    assert check_sql("FROM results", cat) == "SELECT * FROM results"
    for bad in ("", "   ", "-- only a comment", "SELECT 1;;SELECT 2"):
        with pytest.raises(QueryError):
            check_sql(bad, cat)


# File only: a lake connection is not locked down by design (benchwh.warehouse.sqlguard).
@pytest.mark.parametrize("built", ["file"], indirect=True)
def test_the_connection_walls_hold_without_the_parser(wh):
    """Second and third walls: a read-only, locked-down connection refuses writes and file
    access even for statements the guard never saw."""
    db, _, root = wh
    con = duckdb.connect(db, read_only=True)
    try:
        lock_down(con)
        for stmt in ("DELETE FROM results", "CREATE TABLE t (i INTEGER)",
                     f"SELECT * FROM read_csv('{root}/secret.csv')",
                     f"COPY results TO '{root}/leak.csv'", f"ATTACH '{root}/o.duckdb'",
                     "SET enable_external_access = true", "SET lock_configuration = false"):
            with pytest.raises(duckdb.Error):
                con.execute(stmt)
    finally:
        con.close()
    assert not (root / "leak.csv").exists() and not (root / "o.duckdb").exists()


@pytest.mark.parametrize("built", [pytest.param("lake", marks=pytest.mark.postgres)], indirect=True)
def test_the_read_only_wall_holds_on_the_lake(built, wh):
    """Second wall on DuckLake (the third, lock-down, is the DuckDB file's only): the connection
    ``run_sql`` reads through has the lake attached read-only, so writes the guard never saw
    fail there, and the lake is unchanged."""
    from benchwh.warehouse.open import open_warehouse

    warehouse = built[0]
    db, _, _ = wh
    before = checksum(warehouse)
    with open_warehouse(db, read_only=True) as con:
        for stmt in ("DELETE FROM results", "UPDATE results SET latency_ms_mean = 0",
                     "INSERT INTO models SELECT * FROM models", "CREATE TABLE t (i INTEGER)",
                     "DROP TABLE results", "ALTER TABLE results ADD COLUMN z INTEGER"):
            with pytest.raises(duckdb.Error, match="(?i)read.only"):
                con.execute(stmt)
    assert checksum(warehouse) == before
