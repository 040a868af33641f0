"""Attacks on `merge` and `check` (issue 18, defect 5, and merge's message in 7): a warehouse
whose rows carry made-up ids, or ids that do not match what the row says, is merged; `check`
must see the same rows. The target is each backend; the forged source is a DuckDB file
edited behind benchwh's back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import sql

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"


@pytest.fixture
def honest(tmp_path, make_warehouse, cli):
    """A file warehouse filled by a real import of every legacy fixture."""
    wh = make_warehouse("file", tmp_path / "honest")
    res = cli("import", str(FIXTURES), "--db", wh.db)
    assert res.code == 0, res.stderr
    assert sql(wh.db, "SELECT count(*) FROM results")[0][0] > 0
    return wh.db


def forge(src: str, dst: Path) -> dict:
    """A copy of ``src`` with three forged results: a made-up id with a 0.001 ms latency, a
    real row whose latency was rewritten under a new made-up id, and a row moved to another
    model keeping its id."""
    shutil.copy(src, dst)
    con = duckdb.connect(str(dst))
    try:
        ids = [r[0] for r in con.execute("SELECT result_id FROM results ORDER BY result_id LIMIT 2").fetchall()]
        con.execute("INSERT INTO results SELECT * REPLACE ('f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0' AS result_id, "
                    "0.001 AS latency_ms_mean) FROM results WHERE result_id = ?", [ids[0]])
        other_model = con.execute("SELECT model_id FROM models WHERE model_id <> (SELECT model_id FROM results "
                                  "WHERE result_id = ?) LIMIT 1", [ids[1]]).fetchone()[0]
        con.execute("UPDATE results SET model_id = ? WHERE result_id = ?", [other_model, ids[1]])
        con.execute("INSERT INTO runs SELECT * REPLACE ('a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1' AS run_id) FROM runs LIMIT 1")
    finally:
        con.close()
    return {"made_up": "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0", "moved": ids[1], "run": "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"}


def test_honest_rows_pass_check_and_merge_refuses_none(honest, warehouse_db, cli):
    res = cli("check", "--db", honest, "--json")
    assert res.code == 0, res.stdout
    assert any("ids do not match" in c for c in json.loads(res.stdout)["checked"])
    res = cli("merge", honest, "--db", warehouse_db, "--json")
    assert res.code == 0, res.stderr
    rep = json.loads(res.stdout)[0]
    assert rep["refused"] == {} and rep["added"]["results"] == sql(honest, "SELECT count(*) FROM results")[0][0]


def test_merge_refuses_forged_rows_with_counts(honest, warehouse_db, cli, tmp_path):
    forged_path = tmp_path / "forged.duckdb"
    bad = forge(honest, forged_path)
    res = cli("merge", str(forged_path), "--db", warehouse_db, "--json")
    assert res.code == 0, res.stderr
    rep = json.loads(res.stdout)[0]
    assert rep["refused"] == {"results": 2, "runs": 1}, rep
    assert set(rep["refused_examples"]["results"]) == {bad["made_up"], bad["moved"]}
    ids = {r[0] for r in sql(warehouse_db, "SELECT result_id FROM results")}
    assert bad["made_up"] not in ids and bad["moved"] not in ids
    assert sql(warehouse_db, "SELECT count(*) FROM results WHERE latency_ms_mean = 0.001")[0][0] == 0
    assert bad["run"] not in {r[0] for r in sql(warehouse_db, "SELECT run_id FROM runs")}
    latest = cli("query", "latest", "--db", warehouse_db, "--json")
    assert latest.code == 0 and "0.001" not in latest.stdout
    text = cli("merge", str(forged_path), "--db", warehouse_db)
    assert "refused 2 results row(s)" in text.stderr


def test_check_reports_forged_rows(honest, cli, tmp_path):
    forged_path = tmp_path / "forged.duckdb"
    bad = forge(honest, forged_path)
    res = cli("check", "--db", str(forged_path), "--json")
    assert res.code == 1
    problems = {p["check"]: p for p in json.loads(res.stdout)["problems"]}
    p = problems["results rows whose ids do not match their content (or that hold impossible values)"]
    assert p["count"] == 2 and set(p["examples"]) == {bad["made_up"], bad["moved"]}
    assert problems["runs rows whose ids do not match their content (or that hold impossible values)"]["count"] == 1


def test_merge_of_a_foreign_duckdb_file_says_adopt(warehouse_db, cli, tmp_path):
    foreign = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE benchmarks (name VARCHAR, ms DOUBLE)")
    con.close()
    res = cli("merge", str(foreign), "--db", warehouse_db)
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]
    assert res.code == 1 and len(lines) == 1
    assert "benchwh adopt" in lines[0] and "migrate" not in lines[0]
    con = duckdb.connect(str(foreign), read_only=True)
    assert [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == ["benchmarks"]
    con.close()
