"""Several processes (standing in for machines) writing one DuckLake on PostgreSQL at once.

DuckLake lets concurrent appends to a table commit side by side, so two writers inserting the
same new ids both succeed; ``benchwh.warehouse.lake.commit_write`` settles that after COMMIT.
These tests run real processes against a real catalog and count what is left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchwh.testing import write_tree
from benchwh.warehouse.open import open_warehouse

from conftest import BENCHWH

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# One writer process: waits for the start signal, then records N results through the recorder
# API in commits of FLUSH, and prints how many results its commits added.
WRITER = r"""
import json, os, sys, time
from datetime import datetime, timedelta
from benchwh.records import RunInfo
from benchwh.runners.recorder import Recorder

db, tag, n, flush, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
run = RunInfo(origin="lake-writer", started_at=datetime(2026, 2, 1), run_key=tag, host=tag)
while not os.path.exists(go):
    time.sleep(0.01)
with Recorder(db, run=run, flush_every=flush, say=lambda s: None) as rec:
    for i in range(n):
        rec.result(model_name=f"model-{i % 5}", hardware_type="cpu", batch_size=1 + i % 8,
                   latency_ms_mean=1.0 + i / 10, measured_at=datetime(2026, 2, 1) + timedelta(seconds=i))
print(json.dumps({"tag": tag, "inserted": rec.inserted_results, "spooled": len(rec.spooled)}))
"""


def _writer(db: str, tag: str, n: int, flush: int, go: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, db, tag, str(n), str(flush), str(go)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def _env(**extra: str) -> dict[str, str]:
    """The writers serialise on the lake's writers' lock: on a loaded 2-core test machine six
    processes can queue past the default 30 s wait, which is a lock-wait error, not the race
    these tests look for; they wait up to 10 minutes."""
    return dict(os.environ, BENCHWH_LOCK_TIMEOUT="600", **extra)


def _finish(procs: list[subprocess.Popen], timeout: float) -> list[str]:
    outs = []
    deadline = time.monotonic() + timeout
    for p in procs:
        out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
        assert p.returncode == 0, err[-3000:]
        outs.append(out)
    return outs


def test_ducklake_conflict_rules_the_writer_relies_on(pg_cluster, tmp_path):
    """DuckLake 1.5.5 on PostgreSQL, two transactions at once on one table (a scratch lake, not
    a warehouse): INSERT/INSERT both commit, same id or not; a DELETE and an INSERT conflict
    whichever commits first. README "Running on many machines" states these; the writer is built on them."""
    import duckdb

    from benchwh.warehouse import lake
    from benchwh.warehouse.location import resolve

    loc = resolve("ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database()), str(tmp_path))
    a, b = lake.connect(loc, create=True), lake.connect(loc)
    a.execute("CREATE TABLE probe (id VARCHAR NOT NULL, v DOUBLE)")
    a.execute("INSERT INTO probe VALUES ('old', 0)")

    def race(first: str, second: str) -> str | None:
        a.execute("BEGIN TRANSACTION")
        b.execute("BEGIN TRANSACTION")
        a.execute(first)
        b.execute(second)
        a.execute("COMMIT")
        try:
            b.execute("COMMIT")
        except duckdb.TransactionException as e:
            return str(e)
        return None

    assert race("INSERT INTO probe VALUES ('x', 1)", "INSERT INTO probe VALUES ('x', 2)") is None
    assert a.execute("SELECT count(*) FROM probe WHERE id = 'x'").fetchone() == (2,)
    assert "Transaction conflict" in race("DELETE FROM probe WHERE v = 2", "INSERT INTO probe VALUES ('y', 1)")
    assert "Transaction conflict" in race("INSERT INTO probe VALUES ('z', 1)", "DELETE FROM probe WHERE id = 'old'")
    a.close()
    b.close()


@pytest.mark.parametrize("order", ["later settles first", "earlier settles first"])
def test_settle_keeps_the_earliest_copy_and_tells_the_later_writer(pg_cluster, tmp_path, order):
    """Two writers commit the same new results (the second began before the first committed),
    then settle in either order: one copy is left, the earlier commit's, and only the later
    writer is told its rows went, whoever removed them."""
    from datetime import datetime, timedelta

    from benchwh.records import Result, RunInfo
    from benchwh.warehouse import lake
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.write import append_in_transaction, batch_of

    loc = resolve("ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database()), str(tmp_path))
    migrate(loc)
    run = RunInfo(origin="settle", started_at=datetime(2026, 6, 1), run_key="s")
    recs = [Result(run=run, model_name="m", hardware_type="cpu", batch_size=b, latency_ms_mean=1.0,
                   measured_at=datetime(2026, 6, 1) + timedelta(seconds=b)) for b in range(15)]
    w1, w2 = lake.connect(loc), lake.connect(loc)
    starts = {}
    for w in (w1, w2):  # both read the lake before either commits
        w.execute("BEGIN TRANSACTION")
        starts[id(w)] = w.execute("SELECT id FROM lake.current_snapshot()").fetchone()[0]
        assert append_in_transaction(w, batch_of(recs))["results"] == 15
    snaps = {}
    for w in (w1, w2):
        w.execute("COMMIT")
        snaps[id(w)] = w.execute("SELECT * FROM lake.last_committed_snapshot()").fetchone()[0]
    assert w1.execute("SELECT count(*), count(DISTINCT result_id) FROM results").fetchone() == (30, 15)
    settle_order = (w2, w1) if order == "later settles first" else (w1, w2)
    lost = {id(w): lake.settle(w, snaps[id(w)], starts[id(w)]) for w in settle_order}
    assert w1.execute("SELECT count(*), count(DISTINCT result_id) FROM results").fetchone() == (15, 15)
    assert w1.execute("SELECT DISTINCT snapshot_id FROM results").fetchall() == [(snaps[id(w1)],)]
    assert lost[id(w1)] == {}
    assert len(lost[id(w2)]["results"]) == 15 and {len(lost[id(w2)][t]) for t in ("runs", "models", "hardware")} == {1}
    w1.close()
    w2.close()


@pytest.mark.parametrize("order", ["later settles first", "earlier settles first"])
def test_settle_finds_copies_that_a_third_writer_updated(pg_cluster, tmp_path, order):
    """Two writers commit the same new model and run; before either settles, a third writer
    merges new metadata into that model (an UPDATE of both copies, which makes them the third
    snapshot's rows). Settling still leaves one copy of each id, with the merged metadata, and
    tells only the later writer that its rows went."""
    from datetime import datetime, timedelta

    from benchwh.records import Result, RunInfo
    from benchwh.warehouse import lake
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.tables import ID_COLUMN
    from benchwh.warehouse.write import append_in_transaction, batch_of, commit

    loc = resolve("ducklake:postgres:" + pg_cluster.conninfo(pg_cluster.create_database()), str(tmp_path))
    migrate(loc)
    run = RunInfo(origin="settle", started_at=datetime(2026, 6, 1), run_key="s")
    recs = [Result(run=run, model_name="m", hardware_type="cpu", batch_size=b, latency_ms_mean=1.0,
                   measured_at=datetime(2026, 6, 1) + timedelta(seconds=b)) for b in range(3)]
    w1, w2, w3 = lake.connect(loc), lake.connect(loc), lake.connect(loc)
    starts = {}
    for w in (w1, w2):
        w.execute("BEGIN TRANSACTION")
        starts[id(w)] = w.execute("SELECT id FROM lake.current_snapshot()").fetchone()[0]
        append_in_transaction(w, batch_of(recs))
    snaps = {}
    for w in (w1, w2):
        w.execute("COMMIT")
        snaps[id(w)] = w.execute("SELECT * FROM lake.last_committed_snapshot()").fetchone()[0]
    assert w1.execute("SELECT count(*) FROM models").fetchone() == (2,)
    other = RunInfo(origin="third", started_at=datetime(2026, 6, 2), run_key="t")
    stats = commit(w3, lambda c: append_in_transaction(c, batch_of([Result(
        run=other, model_name="m", model_family="fam-x", hardware_type="cpu", batch_size=1,
        latency_ms_mean=2.0, measured_at=datetime(2026, 6, 2))])))
    assert stats["results"] == 1
    third = w3.execute("SELECT * FROM lake.last_committed_snapshot()").fetchone()[0]
    # both copies are now the third snapshot's rows, with the merged family
    assert w1.execute("SELECT count(*), min(snapshot_id), max(snapshot_id), min(model_family) FROM models"
                      ).fetchone() == (2, third, third, "fam-x")
    settle_order = (w2, w1) if order == "later settles first" else (w1, w2)
    lost = {id(w): lake.settle(w, snaps[id(w)], starts[id(w)]) for w in settle_order}
    for table in ("models", "runs", "hardware", "results"):
        idcol = ID_COLUMN[table]
        total, distinct = w1.execute(f"SELECT count(*), count(DISTINCT {idcol}) FROM {table}").fetchone()
        assert total == distinct, f"{table}: {total} rows, {distinct} ids"
    assert w1.execute("SELECT count(*), min(model_family) FROM models").fetchone() == (1, "fam-x")
    assert w1.execute("SELECT count(*) FROM results").fetchone() == (4,)
    assert lost[id(w1)] == {}
    assert len(lost[id(w2)]["results"]) == 3
    assert {len(lost[id(w2)][t]) for t in ("runs", "models", "hardware")} == {1}
    for w in (w1, w2, w3):
        w.close()


# A DuckDB file admits one writing process, so these races exist on DuckLake only: the shared
# fixture, lake parameter only.
lake_only = pytest.mark.parametrize("warehouse_db", ["lake"], indirect=True)


@lake_only
def test_two_writers_with_the_same_results_leave_each_once(warehouse_db, tmp_path):
    go = tmp_path / "go"
    procs = [_writer(warehouse_db, "same", 120, 20, go) for _ in range(2)]
    procs.append(_writer(warehouse_db, "other", 120, 20, go))
    go.touch()
    reports = [json.loads(o) for o in _finish(procs, 600)]
    with open_warehouse(warehouse_db, read_only=True) as con:
        total, distinct = con.execute("SELECT count(*), count(DISTINCT result_id) FROM results").fetchone()
        runs = con.execute("SELECT count(*), count(DISTINCT run_id) FROM runs").fetchone()
    assert (total, distinct) == (240, 240)
    assert runs == (2, 2)
    # each result was added by exactly one writer: the counts the writers report add up
    assert sum(r["inserted"] for r in reports if r["tag"] == "same") == 120
    assert [r["inserted"] for r in reports if r["tag"] == "other"] == [120]
    assert not any(r["spooled"] for r in reports)


@lake_only
def test_four_writers_and_two_importers_of_one_folder(warehouse_db, tmp_path):
    """The acceptance run: 4 writers x 250 results, and 2 processes importing the same legacy
    folder, all at once; afterwards each result is there exactly once and `check` is clean."""
    src = tmp_path / "legacy"
    write_tree(src, 40)  # 70 results (see tests/test_import.py)
    go = tmp_path / "go"
    writers = [_writer(warehouse_db, f"machine-{k}", 250, 25, go) for k in range(4)]
    env = _env(BENCHWH_IMPORT_BATCH_FILES="5")  # 8 commits each: interleaved
    reports = [tmp_path / f"import-{k}.json" for k in range(2)]
    importers = [subprocess.Popen([BENCHWH, "import", str(src), "--db", warehouse_db, "--report", str(r)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for r in reports]
    go.touch()
    writer_reports = [json.loads(o) for o in _finish(writers, 900)]
    _finish(importers, 900)
    import_reports = [json.loads(r.read_text()) for r in reports]

    with open_warehouse(warehouse_db, read_only=True) as con:
        total, distinct = con.execute("SELECT count(*), count(DISTINCT result_id) FROM results").fetchone()
        imported = con.execute("SELECT count(*) FROM results WHERE source_sha256 IS NOT NULL").fetchone()[0]
        ledger = con.execute("SELECT count(*), count(DISTINCT ledger_id) FROM import_ledger").fetchone()
    assert imported == 70
    assert (total, distinct) == (4 * 250 + 70, 4 * 250 + 70)
    assert ledger == (40, 40)
    assert [r["inserted"] for r in writer_reports] == [250] * 4
    # the two imports together report each imported result once
    assert sum(r["added"].get("results", 0) for r in import_reports) == 70
    check = subprocess.run([BENCHWH, "check", "--db", warehouse_db], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
