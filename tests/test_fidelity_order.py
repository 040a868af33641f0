"""Order never matters: the legacy corpus and history imported in different orders, and file by
file, give the same warehouse (sorted export, runs and models with their merged metadata)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchwh.importing import discover, run_import
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS, HISTORY = SHARED / "legacy_corpus", SHARED / "legacy_history"


def _fresh(path: Path) -> str:
    migrate(resolve(str(path)))
    return str(path)


def _state(db: str, tmp: Path) -> dict:
    """The sorted export and the runs/models rows (without the write stamps)."""
    import pyarrow.parquet as pq

    from benchwh.warehouse.export import export
    from benchwh.warehouse.open import open_warehouse

    out = tmp / f"{Path(db).stem}.parquet"
    export(db, out)
    # source_file is the path below the import root, which differs when single files are given;
    # the file's identity (source_sha256) and the pointer inside it are compared
    flat = pq.read_table(out).drop_columns(["inserted_at", "source_file"]).to_pylist()
    flat.sort(key=lambda r: r["result_id"])
    with open_warehouse(db, read_only=True) as con:
        runs = con.execute("SELECT * EXCLUDE (inserted_at) FROM runs ORDER BY run_id").fetchall()
        models = con.execute("SELECT * EXCLUDE (inserted_at) FROM models ORDER BY model_id").fetchall()
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("results", "compatibility", "test_results", "hardware")}
    return {"flat": flat, "runs": runs, "models": models, "counts": counts}


def _same_content_in_path_order(files: list[str]) -> list[str]:
    """``files`` with byte-identical files put back in path order among themselves (their
    slots unchanged). The import reads a content once: a copy at a second path is a duplicate,
    so where a path says which run a file belongs to (a folder time), the first path wins; that
    rule of the file walk is not what this test is about."""
    import hashlib

    digest = {f: hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files}
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(files):
        groups.setdefault(digest[f], []).append(i)
    out = list(files)
    for slots in groups.values():
        for i, f in zip(slots, sorted(files[j] for j in slots)):
            out[i] = f
    return out


def test_three_orders_and_file_by_file_give_one_warehouse(tmp_path):
    if not (CORPUS.is_dir() and HISTORY.is_dir()):
        pytest.skip("legacy corpus/history not found in ../shared")
    a = _fresh(tmp_path / "a.duckdb")
    run_import(a, [CORPUS, HISTORY], jobs=1)
    b = _fresh(tmp_path / "b.duckdb")
    run_import(b, [HISTORY, CORPUS], jobs=1)
    c = _fresh(tmp_path / "c.duckdb")  # each folder's files in a shuffled order, file by file
    files = [f.path for f in discover([HISTORY])] + [f.path for f in discover([CORPUS])]
    random.Random(9).shuffle(files)
    files = _same_content_in_path_order(files)
    for chunk in (files[i:i + 40] for i in range(0, len(files), 40)):
        run_import(c, chunk, jobs=1)
    d = _fresh(tmp_path / "d.duckdb")
    for f in reversed(files[:60]):  # one import per file (a sample, to stay quick)
        run_import(d, [f], jobs=1)
    run_import(d, files[60:], jobs=1)
    first = _state(a, tmp_path)
    assert first["counts"]["results"] > 500 and first["runs"] and first["models"]
    for other in (b, c, d):
        got = _state(other, tmp_path)
        assert got["counts"] == first["counts"], other
        assert got["runs"] == first["runs"], other
        assert got["models"] == first["models"], other
        assert got["flat"] == first["flat"], other
    from benchwh.warehouse.check import check
    from benchwh.warehouse.open import open_warehouse

    for db in (a, b, c, d):  # the ledger's counts follow the copies kept
        with open_warehouse(db, read_only=True) as con:
            got = check(con)
        assert got["ok"], (db, got["problems"])
