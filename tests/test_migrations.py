"""Migrations tested the way users run them: real files, real alembic, real failures."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import head, heads, migrate, revisions
from benchwh.warehouse.tables import SCHEMAS

FIXTURE_F8 = Path(__file__).parent / "fixtures" / "legacy" / "f08-direct-benchmark"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tables(path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()


def revision_of(path) -> str | None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
        return rows[0][0] if rows else None
    finally:
        con.close()


def test_exactly_one_head_and_linear_history():
    assert len(heads()) == 1
    assert revisions()[-1] == head()
    assert revisions()[0] == "0001"


def test_revision_constants_match_alembic():
    from benchwh.migrations import HEAD, REVISIONS

    assert list(REVISIONS) == revisions() and HEAD == head()


def test_every_revision_has_docstring_and_downgrade():
    from benchwh.warehouse.migrate import script

    for rev in script().walk_revisions():
        assert (rev.module.__doc__ or "").strip(), f"revision {rev.revision} has no docstring"
        assert callable(getattr(rev.module, "downgrade", None))


def test_empty_to_head_to_base_to_head(tmp_path):
    path = tmp_path / "w.duckdb"
    loc = resolve(str(path))
    r = migrate(loc)
    assert r.changed and r.before is None and r.after == head()
    assert set(SCHEMAS) <= tables(path)
    r = migrate(loc, "base")
    assert r.after is None and r.backup is not None and r.backup.exists()
    assert tables(path) == {"alembic_version"}
    r = migrate(loc, "head")
    assert r.after == head() and set(SCHEMAS) <= tables(path)


def test_migrated_columns_match_writer_schemas(fresh_db):
    con = duckdb.connect(fresh_db, read_only=True)
    try:
        for table, schema in SCHEMAS.items():
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            assert cols == schema.names, table
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'results'").fetchall())
        assert types["latency_ms_mean"] == "DOUBLE"
        assert types["latency_samples_ms"] == "DOUBLE[]"
        # Portable to DuckLake: no indexes, sequences, primary/unique/foreign keys.
        assert con.execute("SELECT count(*) FROM duckdb_sequences()").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0] == 0
        kinds = {r[0] for r in con.execute(
            "SELECT constraint_type FROM duckdb_constraints() WHERE table_name <> 'alembic_version'").fetchall()}
        assert kinds <= {"NOT NULL"}, kinds
    finally:
        con.close()


def test_second_migrate_says_already_at_head_and_changes_nothing(fresh_db, cli):
    before = sha(fresh_db)
    res = cli("migrate", "--db", fresh_db)
    assert res.code == 0 and "already at head" in res.stdout
    assert sha(fresh_db) == before
    assert not list(Path(fresh_db).parent.glob("*.bak"))


def test_migrate_sql_prints_sql_without_touching_anything(tmp_path, cli):
    path = tmp_path / "new.duckdb"
    res = cli("migrate", "--sql", "--db", str(path))
    assert res.code == 0
    assert "CREATE TABLE results" in res.stdout and "latency_samples_ms DOUBLE PRECISION[]" in res.stdout
    assert not path.exists()
    migrate(resolve(str(path)), "0001")
    before = sha(path)
    res = cli("migrate", "--sql", "--db", str(path))
    assert "CREATE TABLE annotations" in res.stdout and "CREATE TABLE results" not in res.stdout
    assert sha(path) == before


def _import_fixture(db: str, cli) -> int:
    res = cli("import", str(FIXTURE_F8), "--db", db)
    assert res.code == 0, res.stderr
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM results").fetchone()[0]
    finally:
        con.close()


def test_revision_1_with_rows_upgrades_with_rows_intact(fresh_db, cli):
    n = _import_fixture(fresh_db, cli)
    assert n > 0
    con = duckdb.connect(fresh_db, read_only=True)
    rows_before = con.execute("SELECT * FROM results ORDER BY result_id").fetchall()
    con.close()
    loc = resolve(fresh_db)
    assert migrate(loc, "0001").after == "0001"
    assert "annotations" not in tables(fresh_db)
    assert migrate(loc, "head").after == head()
    con = duckdb.connect(fresh_db, read_only=True)
    try:
        assert con.execute("SELECT * FROM results ORDER BY result_id").fetchall() == rows_before
    finally:
        con.close()
    assert cli("check", "--db", fresh_db).code == 0


def test_failing_migration_leaves_file_byte_identical(fresh_db, cli, monkeypatch):
    """Inject a failure into the real 0002 upgrade after it has created its table."""
    from alembic.operations import Operations

    _import_fixture(fresh_db, cli)
    migrate(resolve(fresh_db), "0001")
    before = sha(fresh_db)
    real = Operations.create_table

    def create_then_fail(self, name, *cols, **kw):
        real(self, name, *cols, **kw)
        raise RuntimeError("injected failure after creating " + name)

    monkeypatch.setattr(Operations, "create_table", create_then_fail)
    res = cli("migrate", "--db", fresh_db)
    assert res.code == 1
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1
    line = errors[0]
    assert line.startswith("Error: migration of ") and "injected failure" in line
    assert "restored unchanged" in line and ".bak" in line
    assert sha(fresh_db) == before
    backups = list(Path(fresh_db).parent.glob("wh.duckdb.0001-*.bak"))
    assert len(backups) == 1 and str(backups[0]) in line
    assert revision_of(fresh_db) == "0001"


def test_failing_first_migration_leaves_no_file(tmp_path, cli, monkeypatch):
    from alembic.operations import Operations

    def fail(self, name, *cols, **kw):
        raise RuntimeError("injected")

    monkeypatch.setattr(Operations, "create_table", fail)
    path = tmp_path / "new.duckdb"
    res = cli("migrate", "--db", str(path))
    assert res.code == 1 and "no file was left behind" in res.stderr
    assert not path.exists()


def test_unknown_revision_is_refused(fresh_db, cli):
    res = cli("migrate", "--to", "nope", "--db", fresh_db)
    assert res.code == 1
    assert res.stderr.strip() == f"Error: unknown revision 'nope'; known: base, {', '.join(revisions())}, head"


def test_status_json(fresh_db, cli):
    res = cli("status", "--json", "--db", fresh_db)
    info = json.loads(res.stdout)
    assert info["current_revision"] == head() and info["pending"] == []
    assert info["backend"] == "duckdb-file" and info["tables"]["results"] == 0
    migrate(resolve(fresh_db), "0001")
    info = json.loads(cli("status", "--json", "--db", fresh_db).stdout)
    assert info["current_revision"] == "0001" and info["pending"] == revisions()[1:]
