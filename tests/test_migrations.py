"""Migrations tested the way users run them: real alembic, real failures, on each backend (a
DuckDB file and DuckLake on PostgreSQL: ``warehouse_db``, and ``empty_db`` before any migration)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from benchwh.warehouse.connect import exists
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import head, heads, migrate, revisions
from benchwh.warehouse.tables import SCHEMAS

from conftest import BACKENDS, sql

FIXTURE_F8 = Path(__file__).parent / "fixtures" / "legacy" / "f08-direct-benchmark"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def is_lake(db: str) -> bool:
    return db.startswith("ducklake:")


def tables(db) -> set[str]:
    """The warehouse's own tables (not DuckLake's catalog tables), at any revision."""
    return {r[0] for r in sql(db, "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()",
                              any_revision=True)}


def revision_of(db) -> str | None:
    rows = sql(db, "SELECT version_num FROM alembic_version", any_revision=True)
    return rows[0][0] if rows else None


def unchanged_token(db: str):
    """What must not change when nothing is written: a file's bytes; a lake's latest snapshot."""
    if is_lake(db):
        from benchwh.warehouse.lake import CATALOG

        return sql(db, f"SELECT max(snapshot_id), count(*) FROM {CATALOG}.snapshots()", any_revision=True)
    return sha(db)


@pytest.fixture(params=BACKENDS)
def empty_db(request, make_warehouse, tmp_path, monkeypatch) -> str:
    """``--db`` text of a warehouse not created yet: a file path, or an empty PostgreSQL
    database for a lake (BENCHWH_DATA_PATH set as ``warehouse_db`` does)."""
    return make_warehouse(request.param, tmp_path / "empty", empty=True).use(monkeypatch)


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


def test_empty_to_head_to_base_to_head(empty_db):
    loc = resolve(empty_db)
    assert not exists(loc)
    r = migrate(loc)
    assert r.changed and r.before is None and r.after == head()
    assert set(SCHEMAS) <= tables(empty_db)
    r = migrate(loc, "base")
    assert r.after is None
    if is_lake(empty_db):
        assert r.backup is None  # a lake keeps its history in snapshots, not in a copied file
    else:
        assert r.backup is not None and r.backup.exists()
    assert tables(empty_db) == {"alembic_version"}
    assert revision_of(empty_db) is None
    r = migrate(loc, "head")
    assert r.after == head() and set(SCHEMAS) <= tables(empty_db)


def test_migrated_columns_match_writer_schemas(warehouse_db):
    for table, schema in SCHEMAS.items():
        cols = [r[0] for r in sql(warehouse_db, f"DESCRIBE {table}")]
        assert cols == schema.names, table
    types = dict(sql(warehouse_db, "SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_name = 'results' AND table_catalog = current_database()"))
    assert types["latency_ms_mean"] == "DOUBLE"
    assert types["latency_samples_ms"] == "DOUBLE[]"
    # Portable to DuckLake: no indexes, sequences, primary/unique/foreign keys.
    here = "WHERE database_name = current_database()"
    assert sql(warehouse_db, f"SELECT count(*) FROM duckdb_sequences() {here}") == [(0,)]
    assert sql(warehouse_db, f"SELECT count(*) FROM duckdb_indexes() {here}") == [(0,)]
    kinds = {r[0] for r in sql(warehouse_db, f"SELECT constraint_type FROM duckdb_constraints() {here} "
                                             "AND table_name <> 'alembic_version'")}
    assert kinds <= {"NOT NULL"}, kinds


def test_second_migrate_says_already_at_head_and_changes_nothing(warehouse_db, cli, tmp_path):
    before = unchanged_token(warehouse_db)
    res = cli("migrate", "--db", warehouse_db)
    assert res.code == 0 and "already at head" in res.stdout
    assert unchanged_token(warehouse_db) == before
    assert not list(tmp_path.rglob("*.bak"))


def test_migrate_sql_prints_sql_without_touching_anything(empty_db, cli):
    res = cli("migrate", "--sql", "--db", empty_db)
    assert res.code == 0, res.stderr
    assert "CREATE TABLE results" in res.stdout and "latency_samples_ms DOUBLE PRECISION[]" in res.stdout
    assert not exists(resolve(empty_db))
    migrate(resolve(empty_db), "0001")
    before = unchanged_token(empty_db)
    res = cli("migrate", "--sql", "--db", empty_db)
    assert "CREATE TABLE annotations" in res.stdout and "CREATE TABLE results" not in res.stdout
    assert unchanged_token(empty_db) == before and revision_of(empty_db) == "0001"


def _import_fixture(db: str, cli) -> int:
    res = cli("import", str(FIXTURE_F8), "--db", db)
    assert res.code == 0, res.stderr
    return sql(db, "SELECT count(*) FROM results")[0][0]


# Columns revision 0004 adds (a downgrade below it drops them).
_REV4_COLUMNS = {"time_basis", "metadata_sources", "suspected_placeholder", "placeholder_evidence",
                 "recorded_start", "recorded_at"}


def every_row(db: str) -> dict[str, list[tuple]]:
    """Every row of every table revision 1 has (its revision-1 columns), in id order, at any
    revision."""
    from benchwh.warehouse.tables import GENERIC_COLUMNS, ID_COLUMN

    def cols(t):  # revisions 3 and 4 added columns to results, 5 one to the ledger
        return ", ".join(c for c in SCHEMAS[t].names
                         if c not in GENERIC_COLUMNS and c not in _REV4_COLUMNS and c != "file_key")

    return {t: sql(db, f"SELECT {cols(t)} FROM {t} ORDER BY {ID_COLUMN[t]}", any_revision=True)
            for t in SCHEMAS if t != "annotations"}


def test_revision_1_with_rows_upgrades_with_rows_intact(warehouse_db, cli):
    n = _import_fixture(warehouse_db, cli)
    assert n > 0
    before = every_row(warehouse_db)
    assert len(before["results"]) == n and before["import_ledger"]
    loc = resolve(warehouse_db)
    assert migrate(loc, "0001").after == "0001"
    assert "annotations" not in tables(warehouse_db)
    assert every_row(warehouse_db) == before  # the downgrade touched only its own table
    assert migrate(loc, "head").after == head()
    assert every_row(warehouse_db) == before
    assert cli("check", "--db", warehouse_db).code == 0


def test_revision_5_keys_every_ledger_row_and_goes_back_without_loss(warehouse_db, cli):
    """0005 fills ``file_key`` for the rows before it with what the writer computes
    (``ledger_key``: NULL for a digest that is not sha256 text), and its downgrade drops only
    that column."""
    from benchwh.warehouse.tables import ledger_key

    _import_fixture(warehouse_db, cli)
    before = every_row(warehouse_db)
    written = sql(warehouse_db, "SELECT file_sha256, file_key FROM import_ledger ORDER BY 1")
    assert written and all(k == ledger_key(d) and k is not None for d, k in written)
    loc = resolve(warehouse_db)
    assert migrate(loc, "0004").after == "0004"
    assert "file_key" not in {r[0] for r in sql(warehouse_db, "DESCRIBE import_ledger", any_revision=True)}
    assert every_row(warehouse_db) == before
    # a row an older writer could have left with text that is not a digest
    from benchwh.warehouse.connect import connection
    from benchwh.warehouse.open import as_location

    with connection(as_location(warehouse_db)) as con:
        con.execute("UPDATE import_ledger SET file_sha256 = 'not-a-digest' WHERE ledger_id = "
                    "(SELECT min(ledger_id) FROM import_ledger)")
    assert migrate(loc, "head").after == head()
    keyed = sql(warehouse_db, "SELECT file_sha256, file_key FROM import_ledger ORDER BY 1")
    assert ("not-a-digest", None) in keyed
    assert all(k == ledger_key(d) for d, k in keyed) and len(keyed) == len(written)


def test_revision_6_rewrites_placeholder_evidence_into_what_the_writer_now_writes(warehouse_db, cli, tmp_path):
    """0006 turns revision 5's evidence (with the group's counts and days) into the form the
    writer now writes, number for number; the flags do not change, and its downgrade keeps
    every row as it is."""
    from benchwh.warehouse.connect import connection
    from benchwh.warehouse.open import as_location

    src = tmp_path / "src"
    src.mkdir()
    for i, day in enumerate(("2025-03-01", "2025-03-02")):  # latency and memory repeated on two days
        doc = {"model": "BERT", "model_key": "bert", "model_category": "embedding",
               "model_path": "bert-base-uncased", "hardware": "CPU", "hardware_key": "cpu",
               "timestamp": f"{day}T10:00:00", "compatible": True,
               "batch_sizes": {"1": {"throughput": 50.0 + i, "latency_ms": 20.0,
                                     "memory_usage_mb": 100.0, "success": True}}}
        (src / f"benchmark_bert_cpu_{i}.json").write_text(json.dumps(doc))
    assert cli("import", str(src), "--db", warehouse_db).code == 0
    query = "SELECT result_id, suspected_placeholder, placeholder_evidence FROM results ORDER BY 1"
    written = sql(warehouse_db, query)
    assert len(written) == 2 and all(flag and text.count("; ") == 1 for _, flag, text in written)
    loc = resolve(warehouse_db)
    assert migrate(loc, "0005").after == "0005"
    assert sql(warehouse_db, query, any_revision=True) == written  # the downgrade changed nothing
    with connection(as_location(warehouse_db)) as con:  # what revision 5's writer wrote for them
        con.execute("UPDATE results SET placeholder_evidence = replace(placeholder_evidence, "
                    "' exactly, in runs on two or more days', ' exactly in 2 runs on 2 days (2025-03-01 .. 2025-03-02)')")
    old = sql(warehouse_db, query, any_revision=True)
    assert all(text.count(" exactly in 2 runs on 2 days (2025-03-01 .. 2025-03-02)") == 2 for _, _, text in old)
    assert migrate(loc, "head").after == head()
    assert sql(warehouse_db, query) == written


# File-only: a file is backed up and restored byte for byte (a lake's counterpart follows).
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
    assert "unchanged" in line and ".bak" in line
    assert sha(fresh_db) == before
    backups = list(Path(fresh_db).parent.glob("wh.duckdb.0001-*.bak"))
    assert len(backups) == 1 and str(backups[0]) in line
    assert revision_of(fresh_db) == "0001"


@pytest.mark.parametrize("warehouse_db", ["lake"], indirect=True)
def test_failing_migration_leaves_a_lake_at_its_revision(warehouse_db, cli, monkeypatch):
    """The same injected failure on a lake: no backup file, the migration's transaction is
    rolled back, and the lake keeps its revision, its tables and every row."""
    from alembic.operations import Operations

    _import_fixture(warehouse_db, cli)
    migrate(resolve(warehouse_db), "0001")
    before, names = every_row(warehouse_db), tables(warehouse_db)
    real = Operations.create_table

    def create_then_fail(self, name, *cols, **kw):
        real(self, name, *cols, **kw)
        raise RuntimeError("injected failure after creating " + name)

    monkeypatch.setattr(Operations, "create_table", create_then_fail)
    res = cli("migrate", "--db", warehouse_db)
    assert res.code == 1
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith("Error: migration of ") and "injected failure" in errors[0]
    assert revision_of(warehouse_db) == "0001"
    assert tables(warehouse_db) == names and "annotations" not in names
    assert every_row(warehouse_db) == before


# File-only: no DuckDB file may be left behind by a failed first migration.
def test_failing_first_migration_leaves_no_file(tmp_path, cli, monkeypatch):
    from alembic.operations import Operations

    def fail(self, name, *cols, **kw):
        raise RuntimeError("injected")

    monkeypatch.setattr(Operations, "create_table", fail)
    path = tmp_path / "new.duckdb"
    res = cli("migrate", "--db", str(path))
    assert res.code == 1 and "no file was left behind" in res.stderr
    assert not path.exists()


def test_unknown_revision_is_refused(warehouse_db, cli):
    res = cli("migrate", "--to", "nope", "--db", warehouse_db)
    assert res.code == 1
    assert res.stderr.strip() == f"Error: unknown revision 'nope'; known: base, {', '.join(revisions())}, head"


def test_status_json(warehouse_db, cli):
    res = cli("status", "--json", "--db", warehouse_db)
    info = json.loads(res.stdout)
    assert info["current_revision"] == head() and info["pending"] == []
    assert info["backend"] == ("ducklake" if is_lake(warehouse_db) else "duckdb-file")
    assert info["tables"]["results"] == 0
    migrate(resolve(warehouse_db), "0001")
    info = json.loads(cli("status", "--json", "--db", warehouse_db).stdout)
    assert info["current_revision"] == "0001" and info["pending"] == revisions()[1:]
