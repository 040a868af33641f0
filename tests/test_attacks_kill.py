"""The kill -9 catalogue (issue 18): real `benchwh` processes (import, merge, adopt) and a
recorder script are killed at random moments while another process holds the file for reading
part of the time (so the writer is also killed while it waits for the lock). Afterwards the
file is consistent (`check` passes) and a rerun converges to what an uninterrupted run writes.
Migrate and export have their loops in test_attacks_migrate.py and test_attacks_export.py.
A few tries each, so the whole set stays short."""

from __future__ import annotations

import random
import shutil
import textwrap
from pathlib import Path

import pytest

from attack_tools import PY, benchwh, kill_after, reader_holding
from conftest import sql

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"
TABLES = ("runs", "models", "hardware", "results", "compatibility", "test_results")
ENV = {"BENCHWH_LOCK_TIMEOUT": "30", "BENCHWH_IMPORT_BATCH_FILES": "2"}


def ids(db: str) -> dict:
    from benchwh.warehouse.tables import ID_COLUMN

    return {t: sorted(r[0] for r in sql(db, f"SELECT {ID_COLUMN[t]} FROM {t}")) for t in TABLES}


def run_ok(*args: str) -> None:
    """In this process (the process that is killed is the real console script)."""
    from conftest import run_cli

    res = run_cli(*args, env=ENV)
    assert res.code == 0, res.stderr[-2000:]


def check_ok(db: str) -> None:
    from conftest import run_cli

    res = run_cli("check", "--db", db)
    assert res.code == 0, res.stdout + res.stderr


def kill_loop(template: str, tmp_path: Path, args: list[str], tries: int = 2, seed: int = 9) -> None:
    """Reference = ``args`` run once on a copy of ``template``, as a process of its own (its
    time, startup included, sets when the kills fall, so that they land while the command runs
    on a fast machine as on a slow one); then ``tries`` copies where a reader holds the file
    for a while, the command is started and killed, the file checked, the command rerun, and
    the rows compared with the reference."""
    import time

    rng = random.Random(seed)
    ref = str(tmp_path / "ref.duckdb")
    shutil.copy(template, ref)
    t = time.monotonic()
    p = benchwh(*args, "--db", ref, env=ENV)
    _out, err = p.communicate(timeout=600)
    took = time.monotonic() - t
    assert p.returncode == 0, err[-2000:]
    want = ids(ref)
    assert want["results"] or want["compatibility"] or want["test_results"]
    killed = 0
    for i in range(tries):
        db = str(tmp_path / f"k{i}.duckdb")
        shutil.copy(template, db)
        hold = rng.uniform(0.2, 1.5)
        with reader_holding(db, hold):
            p = benchwh(*args, "--db", db, env=ENV)
            # before it could end (it runs at least as long as the reference and as the hold):
            # while it waits for the reader, or at a moment of its own work
            killed += kill_after(p, rng.uniform(0.2, 0.9) * max(hold, took))
        check_ok(db)
        run_ok(*args, "--db", db)
        assert ids(db) == want
    assert killed, "no try was killed before it finished"


def test_kill_9_import_with_a_reader(fresh_db, tmp_path):
    kill_loop(fresh_db, tmp_path, ["import", str(FIXTURES)])


def test_kill_9_merge_with_a_reader(fresh_db, tmp_path):
    src = str(tmp_path / "src.duckdb")
    shutil.copy(fresh_db, src)
    run_ok("import", str(FIXTURES), "--db", src)
    kill_loop(fresh_db, tmp_path, ["merge", src])


def test_kill_9_adopt_with_a_reader(fresh_db, tmp_path):
    from test_adopt_shapes import build_star

    legacy = build_star(tmp_path / "legacy.duckdb")
    kill_loop(fresh_db, tmp_path, ["adopt", str(legacy)])


RECORD = textwrap.dedent("""
    import sys, time
    from benchwh.runners.recorder import Recorder
    with Recorder(sys.argv[1], origin="attack.recorder", say=lambda s: None) as rec:
        for i in range(40):
            rec.result(model_name="m", hardware_type="cpu", batch_size=i + 1, latency_ms_mean=1.0 + i)
            print(i, flush=True)
            time.sleep(0.05)
""")


def test_kill_9_recorder_with_a_reader(fresh_db, tmp_path):
    """What a killed recorder had flushed is there, whole (each result with its run, model and
    hardware), and nothing else; a reader holding the file only delays its flushes."""
    import subprocess

    rng = random.Random(3)
    for i in range(2):
        db = str(tmp_path / f"r{i}.duckdb")
        shutil.copy(fresh_db, db)
        with reader_holding(db, rng.uniform(0.2, 1.0)):
            p = subprocess.Popen([PY, "-c", RECORD, db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**__import__("os").environ, **ENV})
            kill_after(p, rng.uniform(1.0, 2.5))
        printed = [ln for ln in p.stdout.read().splitlines() if ln.strip().isdigit()]
        # every result whose rec.result returned is in the journal; the next writer (here
        # `benchwh ingest --spool`) appends what the killed one had not written yet
        from benchwh.warehouse.location import resolve
        from benchwh.warehouse.spool import ingest

        ingest(resolve(db))
        check_ok(db)
        n = sql(db, "SELECT count(*) FROM results")[0][0]
        # each result printed was journaled before the print; at most one more was being written
        assert len(printed) <= n <= min(40, len(printed) + 1), (len(printed), n)
        got = sorted(r[0] for r in sql(db, "SELECT batch_size FROM results"))
        assert got == list(range(1, n + 1))
