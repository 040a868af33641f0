"""The import checks its files against the ledger inside DuckDB (one semi-join on digests):
only matches come back to Python, and a known file is not read a second time."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from benchwh.importing import run_import
from benchwh.testing import write_tree
from benchwh.warehouse.bulk import ledgered_among
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from benchwh.warehouse.open import open_warehouse


@pytest.fixture()
def imported(tmp_path):
    src = tmp_path / "src"
    write_tree(src, 30)
    db = str(tmp_path / "w.duckdb")
    migrate(resolve(db))
    first = run_import(db, [src], jobs=1)
    assert {f["status"] for f in first.files} == {"imported"}
    return src, db


def test_ledgered_among_returns_only_the_matches(imported):
    src, db = imported
    digests = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in src.rglob("*.json"))
    strangers = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5)]
    with open_warehouse(db, read_only=True) as con:
        assert ledgered_among(con, digests[:7] + strangers, ("imported", "skipped")) == set(digests[:7])
        assert ledgered_among(con, digests, ("quarantined",)) == set()
        assert ledgered_among(con, [], ("imported",)) == set()


def test_reimport_finds_every_file_known_and_adds_nothing(imported, tmp_path):
    src, db = imported
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)  # the same content under other paths: still known
    with open_warehouse(db, read_only=True) as con:
        before = con.execute("SELECT count(*) FROM results").fetchone()[0]
    again = run_import(db, [src, copy], jobs=1)
    assert len(again.files) == 60 and {f["status"] for f in again.files} == {"duplicate"}
    assert not again.added
    with open_warehouse(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM results").fetchone()[0] == before


def test_new_and_known_files_mixed_keep_their_order(imported, tmp_path):
    src, db = imported
    fresh = tmp_path / "fresh"
    write_tree(fresh, 10, seed=7)
    mixed = tmp_path / "mixed"
    shutil.copytree(src, mixed / "a_old")
    shutil.copytree(fresh, mixed / "b_new")
    rep = run_import(db, [mixed], jobs=1)
    statuses = [(f["path"].split("/")[0], f["status"]) for f in rep.files]
    assert statuses == [("a_old", "duplicate")] * 30 + [("b_new", "imported")] * 10
