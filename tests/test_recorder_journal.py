"""The recorder's journal: every record is on disk before ``rec.result`` returns, the warehouse
gets batches, and a process killed at any moment loses nothing it had handed over."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import pytest

from benchwh.errors import BenchwhError
from benchwh.interchange import InterchangeError, journal_line, loads, read_file
from benchwh.records import Result, RunInfo, RunMeta
from benchwh.runners.recorder import Recorder
from benchwh.warehouse import spool
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from benchwh.warehouse.open import open_warehouse

T0 = datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture()
def loc(tmp_path):
    loc = resolve(str(tmp_path / "w.duckdb"))
    migrate(loc)
    return loc


def result_ids(loc) -> set[str]:
    with open_warehouse(loc, read_only=True) as con:
        return {r[0] for r in con.execute("SELECT result_id FROM results").fetchall()}


def results(n: int) -> list[Result]:
    run = RunInfo(origin="test.journal", started_at=T0, run_key="j")
    return [Result(run=run, model_name="m", hardware_type="cpu", batch_size=i + 1,
                   measured_at=T0 + timedelta(seconds=i)) for i in range(n)]


def test_a_journal_reads_as_one_document_and_a_cut_last_line_is_dropped():
    recs = results(3)
    text = b"".join(journal_line([r]) for r in recs)
    back = loads(text)
    assert [r.result_id for r in back] == [r.result_id for r in recs]
    cut = text + journal_line(results(4)[3:])[:-7]  # a write the crash cut short
    assert [r.result_id for r in loads(cut)] == [r.result_id for r in recs]
    bad = journal_line(recs[:1]) + b"{not json}\n" + journal_line(recs[1:2])
    with pytest.raises(InterchangeError, match="journal line 2: not JSON"):
        loads(bad)


def test_records_go_to_the_journal_then_in_batches_to_the_warehouse(loc, tmp_path):
    out = tmp_path / "out.json"
    with Recorder(str(loc.path), flush_every=3, flush_interval_s=3600, output=out) as rec:
        ids = [rec.result(model_name="m", hardware_type="cpu", batch_size=b).result_id for b in (1, 2)]
        journals = [p for p in spool.pending(loc) if p.suffix == spool.JOURNAL_SUFFIX]
        assert len(journals) == 1 and result_ids(loc) == set()  # waiting, but on disk
        assert [r.result_id for r in read_file(journals[0]) if isinstance(r, Result)] == ids
        assert [r.result_id for r in read_file(out) if isinstance(r, Result)] == ids  # appended so far
        assert spool.ingest(loc).files == 0  # a live writer's journal is left to it
        ids.append(rec.result(model_name="m", hardware_type="cpu", batch_size=3).result_id)
        assert result_ids(loc) == set(ids) and spool.pending(loc) == []  # the batch: written, journal gone
        ids.append(rec.result(model_name="m", hardware_type="cpu", batch_size=4).result_id)
    assert result_ids(loc) == set(ids) and spool.pending(loc) == []
    back = read_file(out)
    assert isinstance(back[0], RunMeta) and [r.result_id for r in back[1:]] == ids
    assert out.read_bytes().startswith(b"{\n")  # one plain document at the end


def test_a_batch_is_also_written_after_flush_interval(loc):
    with Recorder(str(loc.path), flush_every=1000, flush_interval_s=0.0) as rec:
        r = rec.result(model_name="m", hardware_type="cpu", batch_size=1)
        assert result_ids(loc) == {r.result_id}


def test_nothing_is_printed_unless_asked(loc, capfd):
    with Recorder(str(loc.path)) as rec:
        rec.result(model_name="m", hardware_type="cpu", batch_size=1)
    assert capfd.readouterr() == ("", "")
    said = []
    with Recorder(str(loc.path), say=said.append) as rec:
        rec.result(model_name="m", hardware_type="cpu", batch_size=2)
    assert len(said) == 1 and "1 record(s)" in said[0]


def test_a_record_json_cannot_carry_is_refused_before_it_is_journaled(loc):
    with Recorder(str(loc.path)) as rec:
        with pytest.raises(BenchwhError, match="JSON cannot carry"):
            rec.result(model_name="m", hardware_type="cpu", batch_size=1, latency_ms_mean=float("nan"))
        ok = rec.result(model_name="m", hardware_type="cpu", batch_size=2)
    assert result_ids(loc) == {ok.result_id}


CHILD = textwrap.dedent("""
    import sys
    from benchwh.runners.recorder import Recorder
    db, out = sys.argv[1], sys.argv[2]
    with Recorder(db, output=out, flush_every=7, flush_interval_s=3600) as rec:
        for i in range(100000):
            r = rec.result(model_name="m", hardware_type="cpu", batch_size=i + 1)
            print(r.result_id, flush=True)  # only after rec.result returned
""")


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_at_a_random_result_loses_none_that_returned(loc, tmp_path, seed, cli):
    out = tmp_path / "out.json"
    stop_after = random.Random(seed).randrange(3, 40)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(loc.path), str(out)],
                            stdout=subprocess.PIPE, text=True)
    returned = []
    try:
        while len(returned) < stop_after:
            line = proc.stdout.readline()
            assert line, "the recording process ended early"
            returned.append(line.strip())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    # the output file (a journal still) holds every returned result
    in_output = {r.result_id for r in read_file(out) if isinstance(r, Result)}
    assert set(returned) <= in_output
    # the journal left in the spool is appended by `benchwh ingest --spool` (or the next writer)
    res = cli("ingest", "--spool", "--db", str(loc.path))
    assert res.code == 0, res.stderr
    assert set(returned) <= result_ids(loc)
    assert spool.pending(loc) == []


def test_the_next_writer_drains_a_killed_writers_journal(loc, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(loc.path), str(tmp_path / "o.json")],
                            stdout=subprocess.PIPE, text=True)
    returned = [proc.stdout.readline().strip() for _ in range(3)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdout.close()
    assert result_ids(loc).isdisjoint(returned)  # the first batch of 7 never came
    with Recorder(str(loc.path), flush_every=1) as rec:
        mine = rec.result(model_name="other", hardware_type="cpu", batch_size=1)
    assert set(returned) | {mine.result_id} <= result_ids(loc)
