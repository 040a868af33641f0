"""Attacks on `benchwh query sql` (issue 18, defect 2 and its messages in 7), on each backend:
CTE shadowing that makes the guard and DuckDB bind one name to two things, reads of settings,
paths and files (on DuckLake external access stays on for the data files, so a bypass there
really reads them), and statements that would run until killed. The catalogue of refused
statements grows here; tests/test_sqlguard.py keeps the plain ones."""

from __future__ import annotations

import json
import re
import subprocess
import time

import duckdb
import pytest

from benchwh.errors import QueryError
from benchwh.warehouse.sqlguard import run_sql

from attack_tools import benchwh


@pytest.fixture
def secrets(tmp_path):
    """Files an attacker would like to read: credentials as CSV, Parquet, JSON, another
    DuckDB file, and a folder tree for a recursive glob."""
    root = tmp_path / "home"
    (root / "deep" / "er").mkdir(parents=True)
    (root / "creds.csv").write_text("user,password\nadmin,hunter2\n")
    (root / "deep" / "er" / "more.csv").write_text("token\nsecret-token\n")
    (root / "creds.json").write_text('{"password": "hunter2"}\n')
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'hunter2' AS password) TO '{root}/creds.parquet' (FORMAT parquet)")
    con.close()
    other = duckdb.connect(str(root / "other.duckdb"))
    other.execute("CREATE TABLE secrets AS SELECT 'hunter2' AS password")
    other.close()
    return root


def shadowing_statements(root) -> list[str]:
    """The same name bound to a CTE by a naive guard and to something else by DuckDB."""
    names = ["duckdb_databases", "pg_settings", "duckdb_settings", "duckdb_extensions",
             "duckdb_secrets", f'"{root}/creds.csv"', f'"{root}/creds.parquet"', f'"{root}/creds.json"',
             f'"{root}/**/*.csv"', f'"{root}/other.duckdb"']
    out = []
    for n in names:
        out.append(f"WITH RECURSIVE x AS (SELECT 1) , {n} AS (SELECT * FROM {n}) SELECT * FROM {n}")
        out.append(f"WITH RECURSIVE {n} AS (SELECT * FROM {n}) SELECT * FROM {n}")
        # the self-reference in the non-recursive (left) arm is not the CTE either
        out.append(f"WITH RECURSIVE {n} AS (SELECT * FROM {n} UNION ALL SELECT * FROM {n}) SELECT * FROM {n}")
        # nested: the inner WITH does not make the outer name a CTE
        out.append(f"SELECT * FROM (WITH RECURSIVE {n} AS (SELECT * FROM {n}) SELECT * FROM {n}) s")
    out += [
        "WITH RECURSIVE x AS (SELECT * FROM x) SELECT * FROM x",
        f"SELECT * FROM '{root}/creds.csv'",
        f"SELECT * FROM read_csv('{root}/**/*.csv')",
        "SELECT * FROM duckdb_databases()",
        "SELECT current_setting('home_directory')",
        "SELECT current_query()",
        "SELECT * FROM information_schema.schemata s, duckdb_databases() d",
    ]
    return out


def test_cte_shadowing_and_file_reads_are_refused(warehouse_db, secrets):
    for stmt in shadowing_statements(secrets):
        with pytest.raises(QueryError) as e:
            frame = run_sql(warehouse_db, stmt)
            pytest.fail(f"not refused: {stmt} -> {frame}")
        msg = str(e.value)
        assert "\n" not in msg and "hunter2" not in msg and "admin" not in msg, msg


def test_a_real_recursive_cte_and_warehouse_reads_still_work(warehouse_db):
    got = run_sql(warehouse_db, "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 4) "
                                "SELECT sum(n) AS s FROM t")
    assert got["s"].to_list() == [10]
    got = run_sql(warehouse_db, "WITH RECURSIVE results AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM results "
                                "WHERE n < 3) SELECT count(*) AS c FROM results")
    assert got["c"].to_list() == [3]
    assert run_sql(warehouse_db, "SELECT count(*) AS n FROM results r JOIN models m USING (model_id)")["n"].to_list() == [0]
    got = run_sql(warehouse_db, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'results'")
    assert got["n"].to_list() == [1]


@pytest.mark.parametrize("stmt", [
    "SELECT sleep_ms(600000)",
    "SELECT count(*) FROM range(1000000000000) a",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
])
def test_statements_that_would_run_forever_stop_at_the_time_limit(warehouse_db, stmt):
    t0 = time.monotonic()
    with pytest.raises(QueryError, match="stopped after 1 s|more memory than its limit"):
        run_sql(warehouse_db, stmt, timeout_s=1, memory="256MB")
    assert time.monotonic() - t0 < 20


def test_row_limit_says_so(warehouse_db, monkeypatch):
    monkeypatch.setenv("BENCHWH_QUERY_MAX_ROWS", "10")
    with pytest.raises(QueryError, match=r"more than 10 rows.*limit=N") as err:
        run_sql(warehouse_db, "SELECT * FROM range(11)")
    from benchwh.cli.hints import cli_message  # the CLI names its flag instead

    assert re.search(r"more than 10 rows.*pass `--limit N`", cli_message(err.value))
    assert run_sql(warehouse_db, "SELECT * FROM range(10)").height == 10
    assert run_sql(warehouse_db, "SELECT * FROM range(1000000000000)", limit=5).height == 5


def test_a_held_query_lets_go_at_its_time_limit(warehouse_db):
    """A `query sql` that would hold the file for ten minutes is interrupted and exits with one
    line, so a writer waiting for the lock gets it."""
    p = benchwh("query", "sql", "SELECT sleep_ms(600000)", "--db", warehouse_db,
                env={"BENCHWH_QUERY_TIMEOUT": "1"})
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        raise
    assert p.returncode == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines == [lines[0]] and lines[0].startswith("Error: ") and "stopped after 1 s" in lines[0]


def test_deeply_nested_sql_is_one_line(warehouse_db, cli):
    stmt = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    res = cli("query", "sql", stmt, "--db", warehouse_db)
    assert res.code == 1
    assert [ln for ln in res.stderr.splitlines() if ln.strip()][0].startswith("Error: ")
    assert "Traceback" not in res.stderr


def test_refusals_through_the_cli_are_one_line(warehouse_db, cli, secrets):
    res = cli("query", "sql", f'WITH RECURSIVE "{secrets}/creds.csv" AS (SELECT * FROM "{secrets}/creds.csv") '
                              f'SELECT * FROM "{secrets}/creds.csv"', "--db", warehouse_db, "--json")
    assert res.code == 1 and "hunter2" not in res.stdout + res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]) == 1
    assert json.loads(cli("query", "sql", "SELECT 1 AS one", "--db", warehouse_db, "--json").stdout) == [{"one": 1}]


def test_the_plan_wall_alone_refuses_what_duckdb_binds_outside_the_warehouse(warehouse_db, secrets):
    """Second wall, without the parser: DuckDB's own plan of the shadowing forms reads a
    system table function or a file, and ``check_plan`` refuses it."""
    from benchwh.warehouse.open import as_location, open_warehouse
    from benchwh.warehouse.sqlguard import catalog_of, check_plan

    loc = as_location(warehouse_db)
    with open_warehouse(loc, read_only=True) as con:
        cat = catalog_of(con)
        for stmt in ("WITH RECURSIVE duckdb_databases AS (SELECT * FROM duckdb_databases) SELECT * FROM duckdb_databases",
                     "WITH RECURSIVE pg_settings AS (SELECT * FROM pg_settings) SELECT * FROM pg_settings",
                     f"SELECT * FROM '{secrets}/creds.csv'", f"SELECT * FROM '{secrets}/creds.parquet'"):
            with pytest.raises(QueryError, match="refused"):
                check_plan(con, stmt, cat, lake=loc.is_lake)
        check_plan(con, "SELECT * FROM results, range(3), (SELECT unnest([1, 2]))", cat, lake=loc.is_lake)
