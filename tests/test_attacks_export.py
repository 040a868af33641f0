"""Attacks on `export` (issue 18, defects 3 and the export half of 6): an incremental export
after merging a warehouse filled hours earlier must carry every row exactly once; a killed
`export --overwrite` must not leave hidden partial files behind for good."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from attack_tools import benchwh, kill_after
from conftest import sql

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"


def _exported_ids(folder: Path, fmt: str) -> list[str]:
    files = [p for p in folder.rglob(f"*.{fmt}") if not p.name.startswith(("_", "."))]
    if fmt == "parquet":
        return pl.concat([pl.read_parquet(f, columns=["result_id"]) for f in files])["result_id"].to_list()
    return pl.concat([pl.read_csv(f, columns=["result_id"]) for f in files])["result_id"].to_list()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_incremental_export_after_merging_rows_stamped_hours_earlier(warehouse_db, make_warehouse, cli,
                                                                     tmp_path, fmt):
    """The CI warehouse's rows carry inserted_at two hours before the first export: after the
    merge every one of them lands in the next part, once, and the part after adds nothing."""
    res = cli("import", str(FIXTURES / "f08-direct-benchmark"), "--db", warehouse_db)
    assert res.code == 0, res.stderr
    out = tmp_path / "export"
    assert cli("export", "--out", str(out), "--format", fmt, "--incremental", "--db", warehouse_db).code == 0
    first = len(_exported_ids(out, fmt))
    assert first == sql(warehouse_db, "SELECT count(*) FROM results")[0][0] > 0

    ci = make_warehouse("file", tmp_path / "ci")
    res = cli("import", str(FIXTURES), "--db", ci.db)
    assert res.code == 0, res.stderr
    con = duckdb.connect(ci.db)
    for t in ("results", "runs", "models", "hardware"):
        con.execute(f"UPDATE {t} SET inserted_at = inserted_at - INTERVAL 2 HOUR")
    con.close()
    res = cli("merge", ci.db, "--db", warehouse_db)
    assert res.code == 0, res.stderr

    assert cli("export", "--out", str(out), "--format", fmt, "--incremental", "--db", warehouse_db).code == 0
    ids = _exported_ids(out, fmt)
    want = {r[0] for r in sql(warehouse_db, "SELECT result_id FROM results")}
    assert len(ids) == len(set(ids)) == len(want) and set(ids) == want
    assert cli("export", "--out", str(out), "--format", fmt, "--incremental", "--db", warehouse_db).code == 0
    assert len(_exported_ids(out, fmt)) == len(want)


def test_killed_export_overwrite_leaves_no_stray_files(fresh_db, cli, tmp_path):
    """kill -9 real `benchwh export --overwrite` processes at random moments (a few tries): the
    next export removes the hidden temporaries the dead ones left, and the target is whole."""
    res = cli("import", str(FIXTURES), "--db", fresh_db)
    assert res.code == 0, res.stderr
    target = tmp_path / "out" / "flat.parquet"
    target.parent.mkdir()
    rng = random.Random(6)
    for _ in range(3):
        p = benchwh("export", "--out", str(target), "--overwrite", "--db", fresh_db)
        kill_after(p, rng.uniform(0.2, 1.2))
    # a temporary of a process that is gone, as a kill at the worst moment leaves it
    stray = target.with_name(f".{target.name}.tmp-{2**22 + 12345}")
    stray.write_bytes(b"PAR1 partial")
    assert cli("export", "--out", str(target), "--overwrite", "--db", fresh_db).code == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["flat.parquet"]
    n = sql(fresh_db, "SELECT count(*) FROM results")[0][0]
    assert pl.read_parquet(target).height == n
