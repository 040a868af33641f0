"""`benchwh merge`: warehouses from two CI jobs sharing half their rows merge into the union,
on each backend (``warehouse_db``): a file into a file, a lake into a lake, a file into a lake."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchwh.testing import write_tree

from conftest import sql


def ids(db, table: str, col: str) -> set[str]:
    return {r[0] for r in sql(db, f"SELECT {col} FROM {table}")}


def split_tree(tmp_path: Path) -> dict[str, Path]:
    """24 legacy-shaped files in ``all``; ``a`` gets files 0..15, ``b`` 8..23: half of each shared."""
    all_src = tmp_path / "all"
    write_tree(all_src, 24)
    files = sorted(all_src.rglob("*.json"))
    a_src, b_src = tmp_path / "a", tmp_path / "b"
    for i, f in enumerate(files):
        rel = f.relative_to(all_src)
        for dest, keep in ((a_src, i < 16), (b_src, i >= 8)):
            if keep:
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, dest / rel)
    return {"a": a_src, "b": b_src, "all": all_src}


def test_merge_gives_union_and_is_idempotent(warehouse_db, make_warehouse, tmp_path, cli, request):
    backend = request.node.callspec.params["warehouse_db"]
    src = split_tree(tmp_path)
    b = make_warehouse(backend, tmp_path / "wh-b")  # the other CI job's warehouse, same backend
    every = make_warehouse("file", tmp_path / "wh-all")  # the reference: everything imported once
    for wh, folder in ((b, src["b"]), (every, src["all"])):
        assert cli("import", str(folder), *wh.args).code == 0
    assert cli("import", str(src["a"]), "--db", warehouse_db).code == 0
    a_ids = ids(warehouse_db, "results", "result_id")
    b_ids = ids(b.location(), "results", "result_id")
    union = ids(every.db, "results", "result_id")
    assert a_ids & b_ids and a_ids - b_ids and b_ids - a_ids and a_ids | b_ids == union

    def merge_b() -> dict:
        # a second lake has its own data folder: named with --other-data-path
        extra = ["--other-data-path", b.data_path] if b.is_lake else []
        res = cli("merge", b.db, *extra, "--db", warehouse_db, "--json")
        assert res.code == 0, res.stderr
        return json.loads(res.stdout)[0]

    report = merge_b()
    assert report["added"]["results"] == len(b_ids - a_ids)
    assert ids(warehouse_db, "results", "result_id") == union
    assert ids(warehouse_db, "runs", "run_id") == ids(every.db, "runs", "run_id")
    assert ids(warehouse_db, "import_ledger", "ledger_id") == ids(every.db, "import_ledger", "ledger_id")
    assert cli("check", "--db", warehouse_db).code == 0

    again = merge_b()
    assert all(n == 0 for n in again["added"].values())
    assert ids(warehouse_db, "results", "result_id") == union


# On a file this would repeat the test above; a lake target with a file source is the new pairing.
@pytest.mark.parametrize("warehouse_db", ["lake"], indirect=True)
def test_merge_a_file_into_a_lake(warehouse_db, make_warehouse, tmp_path, cli):
    """A CI job's DuckDB file merged through the command into a lake."""
    src = split_tree(tmp_path)
    job = make_warehouse("file", tmp_path / "job")
    every = make_warehouse("file", tmp_path / "wh-all")
    assert cli("import", str(src["b"]), *job.args).code == 0
    assert cli("import", str(src["all"]), *every.args).code == 0
    assert cli("import", str(src["a"]), "--db", warehouse_db).code == 0
    before = ids(warehouse_db, "results", "result_id")
    res = cli("merge", job.db, "--db", warehouse_db, "--json")
    assert res.code == 0, res.stderr
    added = json.loads(res.stdout)[0]["added"]
    after = ids(warehouse_db, "results", "result_id")
    assert after == ids(every.db, "results", "result_id") and added["results"] == len(after - before)
    res = cli("merge", job.db, "--db", warehouse_db, "--json")
    assert all(n == 0 for n in json.loads(res.stdout)[0]["added"].values())
    assert cli("check", "--db", warehouse_db).code == 0
