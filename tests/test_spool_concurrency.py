"""Eight processes write 250 results each into one warehouse at once while another process
holds a long read: afterwards exactly 2,000 results, none twice, no stray files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from benchwh.cli.main import main
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from benchwh.warehouse.open import open_warehouse

WRITERS, PER_WRITER = 8, 250

WRITER = textwrap.dedent("""
    import sys
    from benchwh.runners.recorder import Recorder

    db, k, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with Recorder(db, origin=f"test.concurrent.{k}", flush_every=25, lock_timeout_s=timeout,
                  say=lambda m: print(m, file=sys.stderr)) as rec:
        for i in range(%d):
            rec.result(model_name=f"writer-{k}", hardware_type="cpu", batch_size=i + 1,
                       latency_ms_mean=float(i + 1), latency_samples_ms=[float(i + 1)])
    print(rec.inserted_results, len(rec.spooled))
""" % PER_WRITER)

READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    n = con.execute("SELECT count(*) FROM results").fetchone()[0]
    print("holding", n, flush=True)
    sys.stdin.readline()  # a long read: the connection stays open until the test says
    print("still", con.execute("SELECT count(*) FROM results").fetchone()[0], flush=True)
    con.close()
""")


@pytest.mark.slow
def test_eight_writers_and_a_long_reader(tmp_path):
    db = tmp_path / "w.duckdb"
    migrate(resolve(str(db)))
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().split() == ["holding", "0"]
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(k), "0.3"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for k in range(WRITERS)]
    spool_dir = tmp_path / "w.duckdb.spool"
    deadline = time.monotonic() + 300
    # Keep reading until the writers have had to spool around us (at least one batch each on
    # average), then let go. Each writer also has at most one live journal there: 2 x WRITERS.
    while time.monotonic() < deadline:
        if spool_dir.is_dir() and len(list(spool_dir.glob("*.json*"))) >= 2 * WRITERS:
            break
        if all(w.poll() is not None for w in writers):
            break
        time.sleep(0.05)
    spooled_while_held = len(list(spool_dir.glob("*.json*")))
    reader.stdin.close()
    assert reader.stdout.readline().split() == ["still", "0"]  # the reader was never disturbed
    assert reader.wait(timeout=60) == 0
    outs = []
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        outs.append((out, err))
    assert spooled_while_held >= 2 * WRITERS
    assert any("wait in" in err for _, err in outs)

    with pytest.raises(SystemExit) as e:  # whatever the last writers left in the spool
        main(["ingest", "--spool", "--db", str(db)])
    assert e.value.code == 0

    with open_warehouse(str(db), read_only=True) as con:
        total, distinct_ids, distinct_keys = con.execute(
            "SELECT count(*), count(DISTINCT result_id), count(DISTINCT (model_id, batch_size)) FROM results"
        ).fetchone()
        per_writer = con.execute(
            "SELECT m.model_name, count(*), min(r.batch_size), max(r.batch_size) FROM results r"
            " JOIN models m USING (model_id) GROUP BY 1 ORDER BY 1").fetchall()
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert (total, distinct_ids, distinct_keys) == (WRITERS * PER_WRITER,) * 3
    assert per_writer == [(f"writer-{k}", PER_WRITER, 1, PER_WRITER) for k in range(WRITERS)]
    assert runs == WRITERS
    # no spool, no WAL, no new DB; the recorders' run progress (benchwh serve shows it) sits beside
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "w.duckdb.progress") == ["w.duckdb"]
