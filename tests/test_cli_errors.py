"""Every warehouse error path: one line `Error: ...`, exit code 1, the file named."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import head, migrate

# Commands that open an existing warehouse, with the arguments they need.
READERS = [("check",), ("merge", "OTHER"), ("import", "SRC")]


def _args(cmd, tmp_path):
    other = tmp_path / "other.duckdb"
    if not other.exists():
        migrate(resolve(str(other)))
    src = tmp_path / "src.json"
    src.write_text("{}")
    return [str(other) if a == "OTHER" else str(src) if a == "SRC" else a for a in cmd]


def one_error_line(res) -> str:
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.code == 1, (res.code, res.stdout, res.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("cmd", READERS, ids=lambda c: c[0])
def test_missing_warehouse(cmd, tmp_path, cli):
    path = tmp_path / "absent.duckdb"
    line = one_error_line(cli(*_args(cmd, tmp_path), "--db", str(path)))
    assert line == f"Error: no warehouse at {path}: run `benchwh migrate --db {path}` to create one"
    assert not path.exists()


@pytest.mark.parametrize("cmd", READERS + [("status",), ("migrate",)], ids=lambda c: c[0])
def test_not_a_duckdb_file(cmd, tmp_path, cli):
    path = tmp_path / "notes.duckdb"
    path.write_text("these are my notes, not a database\n")
    line = one_error_line(cli(*_args(cmd, tmp_path), "--db", str(path)))
    assert line == f"Error: {path} is not a DuckDB file (no DuckDB header); pass `--db` a benchwh warehouse"
    assert path.read_text() == "these are my notes, not a database\n"


def test_folder_is_not_a_warehouse(tmp_path, cli):
    line = one_error_line(cli("check", "--db", str(tmp_path)))
    assert line == f"Error: {tmp_path} is a folder, not a DuckDB file"


@pytest.mark.parametrize("cmd", READERS, ids=lambda c: c[0])
def test_behind_head_is_refused(cmd, tmp_path, cli):
    path = tmp_path / "old.duckdb"
    migrate(resolve(str(path)), "0001")
    line = one_error_line(cli(*_args(cmd, tmp_path), "--db", str(path)))
    assert line == f"Error: warehouse {path} is at revision 0001, behind head {head()}: run `benchwh migrate`"


def test_empty_duckdb_file_without_schema(tmp_path, cli):
    path = tmp_path / "plain.duckdb"
    duckdb.connect(str(path)).close()
    line = one_error_line(cli("check", "--db", str(path)))
    assert line == f"Error: warehouse {path} has no benchwh schema: run `benchwh migrate`"


@pytest.mark.parametrize("cmd", READERS, ids=lambda c: c[0])
def test_ahead_of_this_benchwh_is_refused(cmd, tmp_path, cli):
    path = tmp_path / "future.duckdb"
    migrate(resolve(str(path)))
    con = duckdb.connect(str(path))
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.close()
    line = one_error_line(cli(*_args(cmd, tmp_path), "--db", str(path)))
    assert line == (f"Error: warehouse {path} is at revision 9999, newer than this benchwh knows "
                    f"(head {head()}): upgrade benchwh")


def test_locked_by_another_process(tmp_path, cli):
    path = tmp_path / "busy.duckdb"
    migrate(resolve(str(path)))
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        t0 = time.monotonic()
        res = cli("check", "--db", str(path), env={"BENCHWH_LOCK_TIMEOUT": "0.5"})
        waited = time.monotonic() - t0
        line = one_error_line(res)
        assert line == (f"Error: {path} is locked by another process (PID {holder.pid}); waited 0.5s "
                        f"(set BENCHWH_LOCK_TIMEOUT to wait longer)")
        assert 0.4 < waited < 10
        # no new database file appeared beside it
        assert sorted(p.name for p in tmp_path.iterdir()) == ["busy.duckdb"]
    finally:
        holder.kill()
        holder.wait()


def test_merge_refuses_other_revision_with_the_fix(tmp_path, cli, fresh_db):
    other = tmp_path / "ci-job.duckdb"
    migrate(resolve(str(other)), "0001")
    line = one_error_line(cli("merge", str(other), "--db", fresh_db))
    assert line == (f"Error: {other} is at revision 0001, this warehouse at {head()}: "
                    f"run `benchwh migrate --db {other}` first")


def test_merge_into_itself_is_refused(cli, fresh_db):
    line = one_error_line(cli("merge", fresh_db, "--db", fresh_db))
    assert line == f"Error: cannot merge {fresh_db} into itself"


def test_debug_env_shows_traceback(tmp_path, cli):
    res = cli("check", "--db", str(tmp_path / "x.duckdb"), env={"BENCHWH_DEBUG": "1"})
    assert res.code == 1 and "Traceback" in res.stderr and "Error: no warehouse at" in res.stderr
