"""`benchwh merge`: warehouses from two CI jobs sharing half their rows merge into the union."""

from __future__ import annotations

import json
import shutil

import duckdb

from benchwh.testing import write_tree


def ids(db: str, table: str, col: str) -> set[str]:
    con = duckdb.connect(db, read_only=True)
    try:
        return {r[0] for r in con.execute(f"SELECT {col} FROM {table}").fetchall()}
    finally:
        con.close()


def test_merge_gives_union_and_is_idempotent(tmp_path, cli):
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    all_src = tmp_path / "all"
    write_tree(all_src, 24)
    files = sorted(p for p in all_src.rglob("*.json"))
    a_src, b_src = tmp_path / "a", tmp_path / "b"
    for i, f in enumerate(files):
        rel = f.relative_to(all_src)
        # a gets files 0..15, b gets 8..23: half of each is shared
        for dest, keep in ((a_src, i < 16), (b_src, i >= 8)):
            if keep:
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, dest / rel)
    dbs = {}
    for name, src in (("a", a_src), ("b", b_src), ("all", all_src)):
        dbs[name] = str(tmp_path / f"{name}.duckdb")
        migrate(resolve(dbs[name]))
        assert cli("import", str(src), "--db", dbs[name]).code == 0
    a, b, union = (ids(dbs[n], "results", "result_id") for n in ("a", "b", "all"))
    assert a & b and a - b and b - a and a | b == union

    res = cli("merge", dbs["b"], "--db", dbs["a"], "--json")
    assert res.code == 0, res.stderr
    report = json.loads(res.stdout)[0]
    assert report["added"]["results"] == len(b - a)
    assert ids(dbs["a"], "results", "result_id") == union
    assert ids(dbs["a"], "runs", "run_id") == ids(dbs["all"], "runs", "run_id")
    assert cli("check", "--db", dbs["a"]).code == 0

    res = cli("merge", dbs["b"], "--db", dbs["a"], "--json")
    assert all(n == 0 for n in json.loads(res.stdout)[0]["added"].values())
    assert ids(dbs["a"], "results", "result_id") == union
