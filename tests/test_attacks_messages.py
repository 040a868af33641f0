"""Attacks whose answer was a traceback or a multi-line dump (issue 18, defect 7): each must be
one `Error:` line naming the file or value and what to do. (Deeply nested SQL and the merge of
a foreign DuckDB file are in test_attacks_sql.py and test_attacks_merge.py.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate

from attack_tools import benchwh

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"


def one_error(res) -> str:
    assert res.code == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error: ")]
    # one Error line and nothing after it (progress notes such as "backup of ..." may come before)
    assert len(errors) == 1 and lines[-1] == errors[0], res.stderr
    return errors[0]


def test_query_latest_with_a_limit_beyond_any_integer(warehouse_db, cli):
    res = cli("query", "latest", "--limit", "99999999999999999999", "--db", warehouse_db, "--json")
    assert res.code == 0, res.stderr
    assert res.stdout.strip() == "[]"


@pytest.mark.parametrize("keep", [0.7, 0.9, 0.98])
def test_check_and_status_on_a_truncated_file(fresh_db, cli, tmp_path, keep):
    assert cli("import", str(FIXTURES), "--db", fresh_db).code == 0
    data = Path(fresh_db).read_bytes()
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(data[:int(len(data) * keep)])
    line = one_error(cli("check", "--db", str(cut)))
    assert str(cut) in line and "damaged or truncated" in line


def test_migrate_error_is_one_line_not_a_sqlalchemy_dump(fresh_db, cli):
    """A warehouse at 0001 that already has the table 0002 creates: the CREATE fails inside
    SQLAlchemy; the user gets DuckDB's reason in one line, without the SQL dump."""
    migrate(resolve(fresh_db), "0001")
    con = duckdb.connect(fresh_db)
    con.execute("CREATE TABLE annotations (x INTEGER)")
    con.close()
    line = one_error(cli("migrate", "--db", fresh_db))
    assert "[SQL:" not in line and "sqlalche.me" not in line and "annotations" in line


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1.3 MB tmpfs (needs the right to mount; skipped where there is none)."""
    where = tmp_path / "disk"
    where.mkdir()
    if not shutil.which("mount") or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1300k", "tmpfs", str(where)],
                                                   capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_full_disk_during_import_says_so_in_one_line(tiny_disk, corpus):
    db = str(tiny_disk / "wh.duckdb")
    migrate(resolve(db))
    p = benchwh("import", str(corpus), "--db", db)
    out, err = p.communicate(timeout=300)
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("quarantined", "skipped"))]
    assert p.returncode == 1 and "Traceback" not in err, err[-2000:]
    assert lines[-1].startswith("Error: the disk is full (No space left on device)"), lines[-3:]
    assert "cannot rollback" not in err
    check = benchwh("check", "--db", db)
    out, err = check.communicate(timeout=120)
    assert check.returncode == 0, out + err
