"""The run and model merge's shortcut rests on one property: a row a batch built (already the
merge of its own descriptions) merged with nothing gives that row back. Checked here on every
run and model row the real legacy files give, and on the write's outcome with and without
the shortcut's cases (an id repeated in one write, an id already stored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchwh.testing import write_tree
from benchwh.warehouse.tables import ID_COLUMN

from conftest import CORPUS, sql

HISTORY = CORPUS.parent / "legacy_history"


def _rows(db: str, name: str) -> list[dict]:
    import duckdb

    from benchwh.warehouse.write import row_schema

    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(f"SELECT {', '.join(row_schema(name).names)} FROM {name}").to_arrow_table().to_pylist()
    finally:
        con.close()


def _merged_alone(name: str, row: dict) -> dict:
    from benchwh.warehouse.write import _merge_all, _row_of, _stored_sources

    idcol = ID_COLUMN[name]
    out = _row_of(name, row[idcol], _merge_all([_stored_sources(name, row)]))
    out[idcol] = row[idcol]
    return out


def _check_fixed_point(db: str) -> int:
    from benchwh.warehouse.write import _MERGED_COLS

    checked = 0
    for name in ("runs", "models"):
        for row in _rows(db, name):
            again = _merged_alone(name, row)
            diff = {c: (row.get(c), again.get(c)) for c in _MERGED_COLS[name] if row.get(c) != again.get(c)}
            assert not diff, f"{name} {row[ID_COLUMN[name]]}: merging the row alone changed {diff}"
            checked += 1
    return checked


@pytest.mark.parametrize("folder", [CORPUS, HISTORY], ids=["corpus", "history"])
def test_a_stored_row_merged_alone_is_itself(folder: Path, fresh_db):
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    from benchwh.importing import run_import

    run_import(fresh_db, [folder], jobs=1)
    # every legacy file has a run; many share runs and models (merged across files)
    assert _check_fixed_point(fresh_db) > 100


def test_repeated_and_stored_ids_still_merge(tmp_path, fresh_db):
    """The shortcut leaves the merge to ids stored or repeated: two imports of overlapping
    folders and a one-batch import of everything give the same runs and models."""
    from benchwh.importing import run_import
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    src = tmp_path / "src"
    write_tree(src, 60)
    files = sorted(src.rglob("*.json"))
    # the same run described by two files with different content (a second copy, edited)
    twin = files[0].with_name("twin_" + files[0].name)
    twin.write_text(files[0].read_text() + "\n")
    run_import(fresh_db, [src], jobs=1, batch_files=7)  # runs repeated across and within batches
    one = str(tmp_path / "one.duckdb")
    migrate(resolve(one))
    run_import(one, [src], jobs=1)
    for name in ("runs", "models"):
        cols = "* EXCLUDE (inserted_at)" if _has_stamp(fresh_db, name) else "*"
        a = sorted(sql(fresh_db, f"SELECT {cols} FROM {name}"), key=repr)
        b = sorted(sql(one, f"SELECT {cols} FROM {name}"), key=repr)
        assert a == b and a, name
    assert _check_fixed_point(fresh_db) >= 60


def _has_stamp(db: str, name: str) -> bool:
    return any(r[0] == "inserted_at" for r in sql(db, f"SELECT column_name FROM information_schema.columns "
                                                      f"WHERE table_name = '{name}'"))
