"""The import checks its files against the ledger inside DuckDB (one semi-join on digests):
only matches come back to Python, and a known file is not read a second time."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from benchwh.importing import run_import
from benchwh.testing import write_tree
from benchwh.warehouse.bulk import ledger_unknown, ledgered_among
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


def test_ledger_unknown_returns_only_the_digests_not_known(imported, tmp_path):
    src, db = imported
    digests = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in src.rglob("*.json"))
    strangers = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5)]
    with open_warehouse(db, read_only=True) as con:
        assert ledger_unknown(con, digests + strangers, ("imported", "skipped")) == dict.fromkeys(strangers, False)
        # known under another status: there, with a row
        assert ledger_unknown(con, digests[:3] + strangers[:1], ("quarantined",)) == {
            **dict.fromkeys(digests[:3], True), strangers[0]: False}
        assert ledger_unknown(con, [], ("imported",)) == {}


def test_ledger_unknown_compares_whole_digests_where_keys_match(imported, monkeypatch):
    """The key (a digest's first 15 hex digits) only narrows the rows compared: a digest that
    shares a stored digest's key is still unknown; the join that replaces the listed keys above
    ``_KEYS_LISTED`` matches gives the same answer; a row without a key is always compared."""
    import benchwh.warehouse.bulk as bulk
    from benchwh.warehouse.connect import connection
    from benchwh.warehouse.open import as_location

    src, db = imported
    digests = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in src.rglob("*.json"))
    twin = digests[0][:15] + ("0" if digests[0][15] != "0" else "1") + digests[0][16:]  # same key
    probe = digests[:5] + [twin]
    with open_warehouse(db, read_only=True) as con:
        assert ledger_unknown(con, probe, ("imported",)) == {twin: False}
        monkeypatch.setattr(bulk, "_KEYS_LISTED", 2)
        assert ledger_unknown(con, probe, ("imported",)) == {twin: False}
    monkeypatch.undo()
    with connection(as_location(db)) as con:  # as an import of an older benchwh could leave it
        con.execute("UPDATE import_ledger SET file_key = NULL WHERE file_sha256 = ?", [digests[1]])
    with open_warehouse(db, read_only=True) as con:
        assert ledger_unknown(con, probe, ("imported",)) == {twin: False}
        assert ledger_unknown(con, [digests[1]], ("quarantined",)) == {digests[1]: True}


def test_the_ledger_key_is_the_same_in_python_and_in_sql():
    import duckdb

    from benchwh.warehouse.tables import ledger_key, ledger_key_sql

    texts = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(200)] + [
        "f" * 64, "0" * 64, "F" * 64, "f" * 63, "f" * 65, "g" * 64, "", "not-a-digest"]
    con = duckdb.connect()
    got = con.execute(f"SELECT {ledger_key_sql('t')} FROM unnest(?) u(t)", [texts]).fetchall()
    assert [k for (k,) in got] == [ledger_key(t) for t in texts]
    assert ledger_key("f" * 64) == 2**60 - 1 and ledger_key("F" * 64) is None


def test_check_reports_a_ledger_key_that_does_not_match_its_digest(imported, cli):
    from benchwh.warehouse.connect import connection
    from benchwh.warehouse.open import as_location

    src, db = imported
    assert cli("check", "--db", db).code == 0
    with connection(as_location(db)) as con:
        path = con.execute("UPDATE import_ledger SET file_key = file_key + 1 WHERE ledger_id = "
                           "(SELECT min(ledger_id) FROM import_ledger) RETURNING path").fetchone()[0]
    res = cli("check", "--db", db)
    assert res.code != 0 and "ledger rows whose key does not match their digest" in res.stdout + res.stderr
    assert path in res.stdout + res.stderr


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


def test_a_reimport_of_known_files_only_reports_them_as_a_mixed_import_does(imported, tmp_path):
    """Every file known: nothing is read, converted or written (the short way); each file's
    entry, the counts and the progress are those the known files of a mixed import get."""
    src, db = imported
    mixed = tmp_path / "mixed"
    shutil.copytree(src, mixed / "a_old")
    write_tree(mixed / "b_new", 1, seed=11)
    rep = run_import(db, [mixed], jobs=1, dry_run=True)  # the long way (a new file among them)
    old = [dict(f, path=f["path"].removeprefix("a_old/")) for f in rep.files if f["path"].startswith("a_old/")]
    assert len(old) == 30 and rep.statuses["already imported"] == 30
    seen = []
    got = []
    again = run_import(db, [src], jobs=1, progress=lambda done, total, rel: seen.append((done, total, rel)),
                       sink=got.append)
    assert got == old and again.files == [] and again.quarantined_files == []
    assert dict(again.statuses) == {"already imported": 30} and not again.added
    assert {k: vars(v) for k, v in again.by_format.items()} == {
        "(duplicate)": {"files": 30, "results": 0, "compat": 0, "tests": 0, "skipped": 0, "quarantined": 0,
                        "duplicate": 30}}
    assert vars(rep.by_format["(duplicate)"]) == vars(again.by_format["(duplicate)"])
    assert seen == [(i + 1, 30, f["path"]) for i, f in enumerate(old)]


def test_the_report_is_streamed_and_reads_as_before(imported, tmp_path, cli):
    import json

    src, db = imported
    bad = tmp_path / "more"
    write_tree(bad, 34)  # four documents the warehouse does not hold yet (facts of their own)
    for f in list(bad.rglob("*.json")):
        if (src / f.relative_to(bad)).exists():
            f.unlink()
    (bad / "broken.json").write_text("{not json")
    report = tmp_path / "r.json"
    res = cli("import", str(bad), str(src), "--db", db, "--report", str(report))
    assert res.code == 0, res.stderr
    doc = json.loads(report.read_text())
    assert list(doc) == ["dry_run", "files", "summary", "added", "not_read", "outcomes"] and doc["dry_run"] is False
    statuses = [f["status"] for f in doc["files"]]
    assert statuses == ["quarantined"] + ["imported"] * 4 + ["duplicate"] * 30
    assert doc["added"].get("results", 0) == sum(f["results"] for f in doc["files"])
    assert doc["summary"]["(unknown)"]["quarantined"] == 1 or any(s["quarantined"] for s in doc["summary"].values())
    assert "quarantined: broken.json" in res.stderr
    assert not list(tmp_path.glob(".r.json*"))  # no temporary left
    # in the library, a sink gets every entry and the report keeps only the quarantined ones
    got = []
    rep = run_import(db, [bad], jobs=1, sink=got.append)
    assert rep.files == [] and [f["status"] for f in got] == ["quarantined"] + ["duplicate"] * 4
    assert [f["path"] for f in rep.quarantined_files] == ["broken.json"]


def test_a_reimport_with_workers_reads_only_what_changed(tmp_path):
    """A re-import large enough for the worker pool: unchanged files and a copy of one are
    known by their digests; the changed file alone is read and imported."""
    from benchwh.import_workers import POOL_MIN_FILES

    src = tmp_path / "src"
    write_tree(src, POOL_MIN_FILES + 60)
    db = str(tmp_path / "w.duckdb")
    migrate(resolve(db))
    first = run_import(db, [src], jobs=2)
    assert first.statuses["imported"] == POOL_MIN_FILES + 60
    paths = sorted(src.rglob("*.json"))
    paths[3].write_text(paths[3].read_text() + "\n")  # changed content
    shutil.copy(paths[5], src / "copy_of_5.json")  # same content, a new name
    again = run_import(db, [src], jobs=2)
    # 459 unchanged and the copy (its content is in the ledger) are known; the changed one is read
    assert dict(again.statuses) == {"already imported": POOL_MIN_FILES + 60, "imported": 1}
    changed = [f for f in again.files if f["status"] == "imported"]
    assert [f["path"] for f in changed] == [str(paths[3].relative_to(src))]
    with open_warehouse(db, read_only=True) as con:
        ledger = con.execute("SELECT count(*), count(DISTINCT ledger_id) FROM import_ledger").fetchone()
    assert ledger == (POOL_MIN_FILES + 61, POOL_MIN_FILES + 61)


def test_hashing_during_the_walk_decides_as_hashing_after_it(tmp_path, monkeypatch):
    """With workers and a ledger that holds files, the files are hashed as the walk finds them
    (``_EarlyHash``, here in tasks of 100 files). The outcome of each file is the one an import
    without workers gives: known, changed, new, a copy of a known file, a FIFO, a file over the
    size limit, and a second folder given after the first."""
    import os

    from benchwh.import_workers import POOL_MIN_FILES
    from benchwh.importing import _EarlyHash

    monkeypatch.setattr(_EarlyHash, "TASK_FILES", 100)
    tasks = []
    digests = _EarlyHash.digests
    monkeypatch.setattr(_EarlyHash, "digests", lambda self, files: tasks.append(len(self.hashing)) or digests(self, files))

    src, more = tmp_path / "src", tmp_path / "more"
    write_tree(src, POOL_MIN_FILES + 20)
    write_tree(more, 5)
    db = str(tmp_path / "w.duckdb")
    migrate(resolve(db))
    run_import(db, [src], jobs=1)
    paths = sorted(src.rglob("*.json"))
    paths[7].write_text(paths[7].read_text() + "\n")
    shutil.copy(paths[9], src / "copy.json")
    os.mkfifo(src / "pipe.json")
    (src / "big.json").write_text("[" + "1," * 3000 + "1]")
    twin = str(tmp_path / "twin.duckdb")
    shutil.copy(db, twin)

    def entries(target, jobs):
        rep = run_import(target, [src, more], jobs=jobs, max_file_size=4096)
        return [(f["path"], f["status"], f["results"], f["reason"]) for f in rep.files], dict(rep.added)

    with_workers, without = entries(db, 2), entries(twin, 1)
    assert tasks == [(POOL_MIN_FILES + 20) // 100]  # hashed by the workers, while the walk went on
    assert with_workers == without
    statuses = {status for _, status, _, _ in with_workers[0]}
    assert statuses == {"duplicate", "imported", "skipped", "quarantined"}, statuses
    with open_warehouse(db, read_only=True) as a, open_warehouse(twin, read_only=True) as b:
        q = "SELECT file_sha256, path, status, results FROM import_ledger ORDER BY ALL"
        assert a.execute(q).fetchall() == b.execute(q).fetchall()


def test_folders_the_walk_has_left_are_walked_and_hashed_by_the_workers(tmp_path, monkeypatch):
    """Once the workers hash, the folders still to list are walked by them too
    (``_EarlyHash.subtrees``): each file found there is decided as an import without workers
    decides it: known, changed, new, a copy of a known file, a FIFO, a file no importer reads,
    a folder that cannot be listed, a symlinked folder (not followed)."""
    import os

    from benchwh.import_workers import POOL_MIN_FILES
    from benchwh.importing import _EarlyHash

    src = tmp_path / "src"
    # one flat folder first (its files start the workers), then 30 folders in a deeper one:
    # when the walk reaches those, they are left to the workers
    write_tree(tmp_path / "gen", POOL_MIN_FILES + 10, seed=1)
    (src / "flat").mkdir(parents=True)
    for i, p in enumerate(sorted((tmp_path / "gen").rglob("*.json"))):
        p.rename(src / "flat" / f"{i:04}_{p.name}")
    for i in range(30):
        write_tree(src / "flat" / "deep" / f"d{i:02}", 3, seed=100 + i)
    db = str(tmp_path / "w.duckdb")
    migrate(resolve(db))
    run_import(db, [src], jobs=1)
    deep = src / "flat" / "deep"
    changed = sorted((deep / "d03").rglob("*.json"))[0]
    changed.write_text(changed.read_text() + "\n")
    shutil.copy(sorted((deep / "d04").rglob("*.json"))[0], deep / "d05" / "copy.json")
    write_tree(deep / "d06" / "new", 1, seed=999)
    os.mkfifo(deep / "d07" / "pipe.json")
    (deep / "d08" / "chart.png").write_bytes(b"\x89PNG")
    (deep / "d09" / "locked").mkdir()
    (deep / "d09" / "locked" / "z.json").write_text("{}")
    (deep / "d10" / "link").symlink_to(deep / "d11", target_is_directory=True)
    real = os.scandir

    def scandir(path="."):  # inherited by the workers, forked later
        if os.path.abspath(path) == str(deep / "d09" / "locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    taken = []
    subtrees = _EarlyHash.subtrees

    def offered(self, folders):
        finish = subtrees(self, folders)
        taken.append((len(folders), finish is not None))
        return finish

    monkeypatch.setattr(_EarlyHash, "subtrees", offered)
    twin = str(tmp_path / "twin.duckdb")
    shutil.copy(db, twin)

    def entries(target, jobs):
        rep = run_import(target, [src], jobs=jobs)
        return [(f["path"], f["status"], f["results"], f["reason"]) for f in rep.files], dict(rep.added)

    with_workers, without = entries(db, 2), entries(twin, 1)
    assert taken == [(30, True)]  # all 30 offered at once (the walk had one folder left before), and taken
    assert with_workers == without
    by_status = {}
    for path, status, _, _ in with_workers[0]:
        by_status.setdefault(status, []).append(path)
    assert set(by_status) == {"duplicate", "imported", "skipped", "not read"}, by_status.keys()
    assert {"flat/deep/d08/chart.png", "flat/deep/d09/locked/"} <= set(by_status["not read"])
    assert not any("/link/" in p for p, *_ in with_workers[0])
    with open_warehouse(db, read_only=True) as a, open_warehouse(twin, read_only=True) as b:
        q = "SELECT file_sha256, path, status, results FROM import_ledger ORDER BY ALL"
        assert a.execute(q).fetchall() == b.execute(q).fetchall()


def test_a_failure_after_the_workers_started_stops_them(tmp_path):
    """The pool may start while the walk goes on; an error later in the walk (a path that does
    not exist) ends the import with that error and leaves no worker running."""
    import multiprocessing

    from benchwh.errors import BenchwhError
    from benchwh.import_workers import POOL_MIN_FILES

    src = tmp_path / "src"
    write_tree(src, POOL_MIN_FILES + 10)
    db = str(tmp_path / "w.duckdb")
    migrate(resolve(db))
    run_import(db, [src], jobs=1)
    with pytest.raises(BenchwhError, match="nowhere: no such file or folder"):
        run_import(db, [src, tmp_path / "nowhere"], jobs=2)
    assert multiprocessing.active_children() == []
    with open_warehouse(db) as con:  # the warehouse was closed: it opens read-write again
        assert con.execute("SELECT count(*) FROM import_ledger").fetchone()[0] == POOL_MIN_FILES + 10


@pytest.mark.parametrize("backend", __import__("conftest").BACKENDS)
def test_a_reimport_with_workers_on_each_backend_adds_nothing(backend, make_warehouse, tmp_path):
    """The warehouse opened during the walk (after the workers' fork) is the one the import
    writes through, on a DuckDB file and on DuckLake: a second import with workers finds every
    file known but one new content, which a dry run reads and leaves unrecorded, and an import
    records."""
    from benchwh.import_workers import POOL_MIN_FILES

    src = tmp_path / "src"
    write_tree(src, POOL_MIN_FILES + 5)
    from benchwh.api import Warehouse

    made = make_warehouse(backend, tmp_path / "wh")
    wh = Warehouse(made.db, made.data_path)
    first = wh.import_([src], jobs=2)
    assert first.statuses["imported"] == POOL_MIN_FILES + 5
    a_file = sorted(src.rglob("*.json"))[0]
    (src / "new.json").write_text(a_file.read_text() + "\n")  # content the ledger does not have
    dry = wh.import_([src], jobs=2, dry_run=True)
    # read and converted; its results are those of the file it copies: nothing new
    assert dict(dry.statuses) == {"already imported": POOL_MIN_FILES + 5, "imported (nothing new)": 1}
    again = wh.import_([src], jobs=2)
    assert dict(again.statuses) == {"already imported": POOL_MIN_FILES + 5, "imported (nothing new)": 1}
    assert dict(wh.import_([src], jobs=2).statuses) == {"already imported": POOL_MIN_FILES + 6}


def test_memory_at_least_raises_a_lower_limit_and_never_lowers_one():
    import duckdb

    from benchwh.warehouse.bulk import memory_at_least

    con = duckdb.connect()
    con.execute("SET memory_limit = '64MB'")
    memory_at_least(con, 1 << 30)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "1.0 GiB"
    con.execute("SET memory_limit = '4GiB'")
    memory_at_least(con, 1 << 30)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "4.0 GiB"


def test_import_settings_apply_for_the_import_and_are_put_back_even_on_an_error():
    import duckdb

    from benchwh.warehouse.bulk import import_settings

    con = duckdb.connect()
    names = ("memory_limit", "checkpoint_threshold", "threads")
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '1GiB'")  # DuckDB prints a limit rounded: one it prints exactly
    before = {n: con.execute(f"SELECT current_setting('{n}')").fetchone()[0] for n in names}
    with pytest.raises(RuntimeError):
        with import_settings(con, threads=1):
            during = {n: con.execute(f"SELECT current_setting('{n}')").fetchone()[0] for n in names}
            raise RuntimeError("a failed import")
    assert during == {"memory_limit": "244.1 MiB", "checkpoint_threshold": "61.0 MiB", "threads": 1}
    assert {n: con.execute(f"SELECT current_setting('{n}')").fetchone()[0] for n in names} == before
