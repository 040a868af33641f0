"""Attacks on `migrate` (issue 18, defect 1 and the backup half of 6): committed rows that live
only in the WAL, a reader holding the file, a failing migration, a full disk while backing up,
kill -9 in the middle, and backups that pile up. Real files, real processes."""

from __future__ import annotations

import errno
import random
from pathlib import Path

import pytest

from benchwh.errors import LockedError, MigrationError
from benchwh.warehouse import migrate as m
from benchwh.warehouse.location import resolve

from attack_tools import benchwh, commit_runs_and_die, count, kill_after, reader_holding


def _fail_0002(monkeypatch):
    from alembic.operations import Operations

    real = Operations.create_table

    def create_then_fail(self, name, *cols, **kw):
        real(self, name, *cols, **kw)
        raise RuntimeError("injected failure after creating " + name)

    monkeypatch.setattr(Operations, "create_table", create_then_fail)


@pytest.fixture
def db_0001(fresh_db):
    m.migrate(resolve(fresh_db), "0001")
    return fresh_db


def test_failed_migrate_keeps_rows_a_dead_writer_left_in_the_wal(db_0001, monkeypatch):
    """265 committed rows only in the WAL; the migration fails: every row must survive, and the
    message must not claim a restore that threw rows away."""
    commit_runs_and_die(db_0001, 265)
    _fail_0002(monkeypatch)
    with pytest.raises(MigrationError) as e:
        m.migrate(resolve(db_0001), "head")
    assert "injected failure" in str(e.value) and "\n" not in str(e.value)
    assert count(db_0001, "runs") == 265
    assert count(db_0001, "alembic_version") == 1


def test_failed_migrate_that_committed_something_is_restored(db_0001, monkeypatch):
    """A migration that commits part of its work and then fails: the file goes back to the
    backup (with the WAL's rows) and says so; one that committed nothing is left as it is."""
    from alembic.operations import Operations

    commit_runs_and_die(db_0001, 40)
    real = Operations.create_table

    def create_commit_fail(self, name, *cols, **kw):
        real(self, name, *cols, **kw)
        self.get_bind().commit()
        raise RuntimeError("injected failure after committing " + name)

    monkeypatch.setattr(Operations, "create_table", create_commit_fail)
    with pytest.raises(MigrationError) as e:
        m.migrate(resolve(db_0001), "head")
    assert "restored from the backup" in str(e.value)
    assert m.current_revision(resolve(db_0001)) == "0001"
    assert count(db_0001, "runs") == 40
    monkeypatch.undo()
    _fail_0002(monkeypatch)
    with pytest.raises(MigrationError) as e:
        m.migrate(resolve(db_0001), "head")
    assert "nothing was committed, the file is unchanged" in str(e.value)
    assert count(db_0001, "runs") == 40


def test_successful_migrate_backup_holds_the_wal_rows(db_0001):
    commit_runs_and_die(db_0001, 123)
    res = m.migrate(resolve(db_0001), "head")
    assert res.backup is not None and res.backup.exists()
    assert count(str(res.backup), "runs") == 123
    assert count(db_0001, "runs") == 123
    assert not res.backup.with_name(res.backup.name + ".wal").exists()


def test_migrate_waits_for_a_reader_within_the_lock_timeout(db_0001, monkeypatch):
    """SQLAlchemy wraps DuckDB's lock error; migrate must still wait for it (here 1.5 s of a
    reader against a 20 s allowance), then succeed with nothing lost."""
    commit_runs_and_die(db_0001, 50)
    monkeypatch.setenv("BENCHWH_LOCK_TIMEOUT", "20")
    with reader_holding(db_0001, 1.5):
        res = m.migrate(resolve(db_0001), "head")
    assert res.after == m.head()
    assert count(db_0001, "runs") == 50


def test_migrate_past_the_lock_timeout_is_one_line_and_touches_nothing(db_0001, monkeypatch):
    commit_runs_and_die(db_0001, 10)
    before = Path(db_0001).read_bytes(), Path(db_0001 + ".wal").read_bytes()
    baks = m.backups_of(Path(db_0001))
    monkeypatch.setenv("BENCHWH_LOCK_TIMEOUT", "0.5")
    with reader_holding(db_0001, 30):
        with pytest.raises(LockedError) as e:
            m.migrate(resolve(db_0001), "head")
    assert "locked by another process" in str(e.value) and "BENCHWH_LOCK_TIMEOUT" in str(e.value)
    assert (Path(db_0001).read_bytes(), Path(db_0001 + ".wal").read_bytes()) == before
    assert m.backups_of(Path(db_0001)) == baks
    assert count(db_0001, "runs") == 10


def test_full_disk_during_backup_leaves_no_truncated_backup(db_0001, monkeypatch):
    import shutil

    commit_runs_and_die(db_0001, 20)
    baks = m.backups_of(Path(db_0001))
    real = shutil.copyfileobj

    def half_then_enospc(fin, fout, length=0):
        fout.write(fin.read(8192))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", half_then_enospc)
    with pytest.raises(OSError):
        m.migrate(resolve(db_0001), "head")
    monkeypatch.setattr(shutil, "copyfileobj", real)
    folder = Path(db_0001).parent
    assert m.backups_of(Path(db_0001)) == baks and not list(folder.glob("*.tmp-*"))
    assert count(db_0001, "runs") == 20
    assert m.migrate(resolve(db_0001), "head").after == m.head()


def test_keep_backups_default_three_and_option(db_0001, cli):
    path = Path(db_0001)
    for to in ("head", "0001", "head", "0001", "head"):
        assert cli("migrate", "--to", to, "--db", db_0001).code == 0
    assert len(m.backups_of(path)) == 3
    assert cli("migrate", "--to", "0001", "--keep-backups", "1", "--db", db_0001).code == 0
    assert len(m.backups_of(path)) == 1


def test_kill_9_migrate_never_loses_rows_nor_leaves_a_bad_backup(db_0001):
    """kill -9 at random moments of real `benchwh migrate` processes (a few tries): the file is
    at one of the two revisions with every row, every `.bak` is complete, and the next
    migrate removes the stray temporary files."""
    commit_runs_and_die(db_0001, 77)
    older = set(m.backups_of(Path(db_0001)))  # taken before the rows were committed
    rng = random.Random(18)
    targets = ["head", "0001"]
    for i in range(4):
        p = benchwh("migrate", "--to", targets[i % 2], "--db", db_0001)
        kill_after(p, rng.uniform(0.3, 1.6))
        assert count(db_0001, "runs") == 77
        # each revision commits on its own: a kill leaves the file at one of them, never between
        from benchwh.migrations import REVISIONS

        assert m.current_revision(resolve(db_0001)) in REVISIONS
        for bak in set(m.backups_of(Path(db_0001))) - older:
            assert count(str(bak), "runs") == 77
    m.migrate(resolve(db_0001), "head")
    assert not list(Path(db_0001).parent.glob("*.tmp-*"))
    assert count(db_0001, "runs") == 77
