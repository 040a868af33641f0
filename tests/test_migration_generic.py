"""Revision 3 (generic benchmark identity) on a warehouse holding the real legacy corpus, on each
backend: at revision 2 every row is there, upgrading to 3 keeps every row and every query's
answer, the new columns are NULL for the legacy model results, and downgrade/upgrade repeat.

The current writer writes revision 3, so the corpus is imported at head and the warehouse taken
down to revision 2 by the real downgrade; the revision-2 state is checked column for column
against revision 2's table definitions before anything is compared.
"""

from __future__ import annotations

import json

import pytest

from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import head, migrate
from benchwh.warehouse.tables import GENERIC_COLUMNS, ID_COLUMN, SCHEMAS

from conftest import BACKENDS, CORPUS, sql

# revision 3 added the generic columns to results and annotations
# revision 4's columns (the one clock) and 5's (the ledger key); the test walks 2 <-> 3 below them
REV4_COLUMNS = {"time_basis", "metadata_sources", "suspected_placeholder", "placeholder_evidence",
                "recorded_start", "recorded_at", "file_key"}
REV3 = {t: [c for c in s.names if c not in REV4_COLUMNS] for t, s in SCHEMAS.items()}
REV2 = {t: [c for c in cols if t not in ("results", "annotations") or c not in GENERIC_COLUMNS]
        for t, cols in REV3.items()}
REV2_RESULTS = REV2["results"]


def rows_at_rev2(db) -> dict[str, list[tuple]]:
    """Every row of every table, revision 2's columns only, in id order."""
    out = {}
    for t in SCHEMAS:
        cols = REV2[t]
        out[t] = sql(db, f"SELECT {', '.join(cols)} FROM {t} ORDER BY {ID_COLUMN[t]}", any_revision=True)
    return out


def columns(db, table: str) -> list[str]:
    return [r[0] for r in sql(db, f"DESCRIBE {table}", any_revision=True)]


def model_id_nullable(db) -> bool:
    return sql(db, "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'results' "
                   "AND column_name = 'model_id' AND table_catalog = current_database()",
               any_revision=True)[0][0] == "YES"


QUERIES = [
    ("query", "latest", "--include-simulated"),
    ("query", "compare-hardware", "--model", "bert-base-uncased"),
    ("query", "compare-models", "--hardware", "cpu"),
    ("query", "trend", "--model", "bert-base-uncased", "--hardware", "cpu"),
    ("query", "matrix"),
    ("query", "runs"),
    ("regressions", "--format", "json"),
]


def answers(db, cli) -> dict[str, str]:
    out = {}
    for q in QUERIES:
        args = [*q, "--db", db] + ([] if q[0] == "regressions" else ["--format", "json"])
        res = cli(*args)
        assert res.code in (0, 1), (q, res.stderr)  # regressions exits 1 when it finds one
        out[" ".join(q)] = res.stdout
    return out


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_wh(request, make_warehouse, tmp_path_factory):
    if not CORPUS.is_dir():
        pytest.skip(f"legacy corpus not found at {CORPUS}")
    wh = make_warehouse(request.param, tmp_path_factory.mktemp("rev3-corpus"))
    return wh


def test_corpus_at_revision_2_upgrades_to_3_intact(corpus_wh, cli, monkeypatch, capsys):
    from conftest import run_cli

    db = corpus_wh.use(monkeypatch)
    res = run_cli("import", str(CORPUS), "--db", db)
    assert res.code == 0, res.stderr
    res = run_cli("annotate", "--model", "bert-base-uncased", "--hardware", "cpu", "--at", "2025-03-05",
                  "--note", "new tokenizer", "--db", db)
    assert res.code == 0, res.stderr
    at_head = rows_at_rev2(db)
    assert len(at_head["annotations"]) == 1
    assert len(at_head["results"]) > 100 and at_head["import_ledger"]
    # the legacy results are model results: no generic identity, every one has a model
    assert sql(db, "SELECT count(*) FROM results WHERE benchmark IS NOT NULL OR benchmark_params IS NOT NULL "
                   "OR reported_unit IS NOT NULL OR model_id IS NULL") == [(0,)]
    loc = resolve(db)
    # revision 3 (below the one clock: moved times go back as written, ids still match)
    assert migrate(loc, "0003").after == "0003"
    rev3 = rows_at_rev2(db)
    assert {t: len(r) for t, r in rev3.items()} == {t: len(r) for t, r in at_head.items()}

    # revision 2: the schema is revision 2's, every row is there
    assert migrate(loc, "0002").after == "0002"
    assert {t: columns(db, t) for t in SCHEMAS} == REV2
    if not corpus_wh.is_lake:  # DuckLake cannot restore NOT NULL (see the revision's docstring)
        assert not model_id_nullable(db)
    rev2 = rows_at_rev2(db)
    assert rev2 == rev3

    # revision 3: same rows, new columns NULL, same answers
    assert migrate(loc, "0003").after == "0003"
    assert columns(db, "results") == REV3["results"]
    assert model_id_nullable(db)
    assert rows_at_rev2(db) == rev2
    assert sql(db, "SELECT count(*) FROM results WHERE benchmark IS NOT NULL OR benchmark_params IS NOT NULL "
                   "OR reported_unit IS NOT NULL", any_revision=True) == [(0,)]

    # and again: down, up, then to head: every id still matches its row, same answers
    assert migrate(loc, "0002").after == "0002" and rows_at_rev2(db) == rev2
    assert migrate(loc, "0003").after == "0003" and rows_at_rev2(db) == rev2
    assert migrate(loc, "head").after == head()
    # every row is there (revision 4 may move two-clock runs' times onto UTC again)
    assert {t: len(r) for t, r in rows_at_rev2(db).items()} == {t: len(r) for t, r in rev2.items()}
    assert cli("check", "--db", db).code == 0
    q_after = answers(db, cli)
    assert migrate(loc, "0003").after == "0003" and migrate(loc, "head").after == head()
    assert answers(db, cli) == q_after
    counts = {t: len(r) for t, r in rev2.items()}
    with capsys.disabled():
        print(f"\n[{'lake' if corpus_wh.is_lake else 'file'}] rows per table at 0002 and at 0003: {json.dumps(counts)}")


def test_downgrade_refuses_generic_results(warehouse_db, cli):
    from benchwh.records import Result, RunInfo
    from benchwh.warehouse.write import write_records

    run = RunInfo(origin="pytest-benchmark")
    write_records(warehouse_db, [Result(run=run, model_name=None, hardware_type="cpu",
                                        benchmark="test_sort", benchmark_params={"n": 10},
                                        reported_unit="s", latency_ms_mean=1.5)])
    before = sql(warehouse_db, "SELECT * FROM results")
    res = cli("migrate", "--to", "0002", "--db", warehouse_db)
    assert res.code == 1
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: migration of ") and "1 generic benchmark result(s)" in line
    version = sql(warehouse_db, "SELECT version_num FROM alembic_version", any_revision=True)
    if "ducklake:" in warehouse_db:  # no file to restore: the steps before the refusal stay
        assert version == [("0003",)]
        assert sql(warehouse_db, "SELECT benchmark, benchmark_params, latency_ms_mean FROM results",
                   any_revision=True) == \
            [("test_sort", '{"n": 10}', 1.5)]
    else:  # the file is restored from the backup taken before
        assert version == [(head(),)]
        assert sql(warehouse_db, "SELECT * FROM results") == before
