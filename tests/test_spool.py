"""The spool: a batch that cannot get the warehouse lock waits beside it, atomically, and
drains exactly once, whoever drains it and however often."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchwh.cli.main import main
from benchwh.errors import LockedError
from benchwh.records import Result, RunInfo
from benchwh.warehouse import spool
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from benchwh.warehouse.open import open_warehouse

T0 = datetime(2026, 1, 2, 3, 4, 5)


def results(n: int, tag: str = "t", start: int = 0) -> list[Result]:
    run = RunInfo(origin=f"test.spool.{tag}", started_at=T0, run_key=tag)
    return [Result(run=run, model_name=f"m-{tag}", hardware_type="cpu", batch_size=i + 1,
                   latency_ms_mean=float(i), measured_at=T0 + timedelta(microseconds=i))
            for i in range(start, start + n)]


@pytest.fixture()
def loc(tmp_path):
    loc = resolve(str(tmp_path / "w.duckdb"))
    migrate(loc)
    return loc


def count(loc, sql="SELECT count(*), count(DISTINCT result_id) FROM results"):
    with open_warehouse(loc, read_only=True) as con:
        return con.execute(sql).fetchone()


def files(tmp_path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


def test_spool_file_is_atomic_and_drains_once(loc, tmp_path):
    path = spool.spool_batch(loc, results(5))
    assert path.parent == tmp_path / "w.duckdb.spool" and path.suffix == ".json"
    assert files(tmp_path) == ["w.duckdb", "w.duckdb.spool", f"w.duckdb.spool/{path.name}"]  # no temporary left
    copy = tmp_path / "again.json"
    shutil.copy(path, copy)
    st = spool.ingest(loc)
    assert (st.files, st.records, st.results) == (1, 5, 5)
    assert count(loc) == (5, 5)
    assert files(tmp_path) == ["again.json", "w.duckdb"]  # spool folder removed once empty
    # A drainer killed between commit and delete leaves the file: draining it again adds nothing.
    (tmp_path / "w.duckdb.spool").mkdir()
    shutil.move(copy, tmp_path / "w.duckdb.spool" / path.name)
    st = spool.ingest(loc)
    assert (st.files, st.results) == (1, 0)
    assert count(loc) == (5, 5)


def test_unreadable_spool_file_is_kept_aside(loc, tmp_path):
    d = tmp_path / "w.duckdb.spool"
    d.mkdir()
    (d / "20260101T000000000000-1-x.json").write_text('{"format": "benchwh-interchange", "version": 1')
    good = spool.spool_batch(loc, results(2))
    st = spool.ingest(loc)
    assert st.files == 1 and st.results == 2 and len(st.bad) == 1
    assert sorted(p.name for p in d.iterdir()) == ["20260101T000000000000-1-x.json.bad"]
    assert not good.exists()


def test_abandoned_temporary_only_when_writer_is_gone(loc, tmp_path):
    d = tmp_path / "w.duckdb.spool"
    d.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = spool._host()
    live_tmp = d / f".a.json.{host}.{os.getpid()}.tmp"
    dead_tmp = d / f".b.json.{host}.{dead.pid}.tmp"
    live_tmp.write_text("{")
    dead_tmp.write_text("{")
    st = spool.ingest(loc)
    assert st.removed_tmp == 1 and live_tmp.exists() and not dead_tmp.exists()


HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    con.execute("SELECT count(*) FROM results").fetchall()
    print("holding", flush=True)
    sys.stdin.readline()  # hold until the test closes our stdin
    con.close()
""")


def hold(db: Path, mode: str = "ro") -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), mode], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def release(p: subprocess.Popen) -> None:
    p.stdin.close()
    assert p.wait(timeout=60) == 0


def test_locked_write_spools_and_next_writer_drains(loc, tmp_path):
    holder = hold(loc.path, "rw")
    said: list[str] = []
    try:
        t = time.monotonic()
        out = spool.write_or_spool(loc, results(3, "a"), timeout_s=0.3, say=said.append)
        assert time.monotonic() - t < 10  # bounded wait, then spool
        assert out.spooled is not None and out.inserted is None
        assert "locked" in said[0] and "spooled 3 records" in said[0] and "ingesting the spool adds them" in said[0]
        with pytest.raises(LockedError):
            spool.ingest(loc, timeout_s=0.2)
    finally:
        release(holder)
    out = spool.write_or_spool(loc, results(2, "b"), say=said.append)
    assert out.inserted["results"] == 2 and out.drained.files == 1 and out.drained.results == 3
    assert count(loc) == (5, 5)
    assert files(tmp_path) == ["w.duckdb"]


def test_write_failure_other_than_lock_keeps_the_batch(tmp_path):
    loc = resolve(str(tmp_path / "w.duckdb"))
    migrate(loc)
    migrate(loc, to="base")  # a warehouse that is not at head: the write is refused
    with pytest.raises(spool.SpooledError, match="no benchwh schema: migrate it.*kept in"):
        spool.write_or_spool(loc, results(4))
    assert len(spool.pending(loc)) == 1
    migrate(loc)
    assert spool.ingest(loc).results == 4


SPOOLER = textwrap.dedent("""
    import os, sys, time
    from datetime import datetime, timedelta
    from benchwh.records import Result, RunInfo
    from benchwh.warehouse import spool
    from benchwh.warehouse.location import resolve

    loc = resolve(sys.argv[1])
    run = RunInfo(origin="test.killed", started_at=datetime(2026, 1, 1), run_key="k")
    real_fsync = os.fsync
    state = {"batches": 0}

    def fsync(fd):
        # Injected delay: from the third batch on, stop inside the spool write (the temporary
        # file is on disk, not yet renamed) so the test can kill us exactly there.
        if state["batches"] >= 2:
            print("in-spool", flush=True)
            time.sleep(600)
        real_fsync(fd)

    os.fsync = fsync
    for b in range(100):
        batch = [Result(run=run, model_name="killed", hardware_type="cpu", batch_size=i + 1,
                        measured_at=datetime(2026, 1, 1) + timedelta(seconds=b, microseconds=i))
                 for i in range(500)]
        spool.spool_batch(loc, batch)
        state["batches"] += 1
        print("spooled", flush=True)
""")


def test_writer_killed_mid_spool_leaves_a_spool_that_drains(loc, tmp_path):
    p = subprocess.Popen([sys.executable, "-c", SPOOLER, str(loc.path)], stdout=subprocess.PIPE, text=True)
    lines = [p.stdout.readline().strip() for _ in range(3)]
    assert lines == ["spooled", "spooled", "in-spool"]
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    d = tmp_path / "w.duckdb.spool"
    tmp = [x.name for x in d.iterdir() if x.name.endswith(".tmp")]
    assert len(tmp) == 1 and len(spool.pending(loc)) == 2  # killed mid-spool: a temporary, 2 whole files
    with pytest.raises(SystemExit) as e:
        main(["ingest", "--spool", "--db", str(loc.path)])
    assert e.value.code == 0
    assert count(loc) == (1000, 1000)
    assert files(tmp_path) == ["w.duckdb"]  # temporary of the dead writer removed, folder gone
    with pytest.raises(SystemExit):
        main(["ingest", "--spool", "--db", str(loc.path)])
    assert count(loc) == (1000, 1000)


def test_ingest_needs_spool_flag(loc, capsys):
    with pytest.raises(SystemExit) as e:
        main(["ingest", "--db", str(loc.path)])
    assert e.value.code == 1 and "--spool" in capsys.readouterr().err
