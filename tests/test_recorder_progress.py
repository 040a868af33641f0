"""The recorder publishes its run's progress by itself: started, configuration k of N, the
configuration under way, an ETA, finished or failed; without the caller calling anything
beyond ``result``. Progress never touches the warehouse, so a locked warehouse (whose results
spool) still sees its progress move."""

from __future__ import annotations

import os
import socket

import pytest

from benchwh.progress import FAILED, FINISHED, RUNNING, progress_dir, read_all
from benchwh.runners.recorder import Recorder
from test_spool import hold, release


def _only(db: str) -> dict:
    docs = read_all(progress_dir(db))
    assert len(docs) == 1, docs
    return docs[0]


def test_progress_is_published_without_the_caller_doing_anything(fresh_db):
    seen: list[dict] = []
    with Recorder(fresh_db, origin="test.progress", total=3, flush_every=1, on_progress=seen.append) as rec:
        d = _only(fresh_db)
        assert d["run_id"] == rec.run.run_id and d["state"] == RUNNING and d["shown"] == RUNNING
        assert d["total"] == 3 and d["done"] == 0 and d["what"] == "test.progress"
        assert d["pid"] == os.getpid() and d["host"] == socket.gethostname() and d["started_at"]
        rec.result("acme/m", "cpu", batch_size=1, sequence_length=8, precision="fp32", latency_ms_mean=1.0)
        d = _only(fresh_db)
        assert d["done"] == 1 and d["current"] == "acme/m cpu fp32 b1 s8" and d["last"] == d["current"]
        assert d["eta_s"] is not None and d["eta_s"] >= 0
        # Two scenarios of one configuration (a generation's prefill and decode) count once.
        for sc in ("prefill", "decode"):
            rec.result("acme/m", "cpu", batch_size=4, sequence_length=8, precision="fp32", scenario=sc,
                       latency_ms_mean=2.0)
        assert _only(fresh_db)["done"] == 2
    d = _only(fresh_db)
    assert d["state"] == FINISHED and d["done"] == 2 and d["current"] is None and d["eta_s"] == 0
    # The listener saw every write, in order: start, two configurations, finish.
    assert [s["done"] for s in seen] == [0, 1, 2, 2] and seen[-1]["state"] == FINISHED


def test_an_exception_marks_the_run_failed(fresh_db):
    with pytest.raises(RuntimeError, match="boom"):
        with Recorder(fresh_db, origin="test.progress") as rec:
            rec.result("acme/m", "cpu", batch_size=1, latency_ms_mean=1.0)
            raise RuntimeError("boom")
    d = _only(fresh_db)
    assert d["state"] == FAILED and d["shown"] == FAILED and "RuntimeError: boom" in d["error"]
    assert d["done"] == 1 and d["total"] is None


def test_expect_and_configuration_state_n_and_the_current_one(fresh_db):
    with Recorder(fresh_db, origin="test.progress") as rec:
        rec.expect(2)
        rec.configuration("first config")
        d = _only(fresh_db)
        assert d["total"] == 2 and d["done"] == 0 and d["current"] == "first config"
        rec.result("acme/m", "cpu", batch_size=1, latency_ms_mean=1.0)
        d = _only(fresh_db)  # announced: the current stays the caller's, the done one is `last`
        assert d["done"] == 1 and d["current"] == "first config" and d["last"] == "acme/m cpu b1"
        rec.configuration("second config")
        assert _only(fresh_db)["current"] == "second config"


def test_progress_moves_while_the_warehouse_is_locked(fresh_db):
    """Results spool (the warehouse is held by another process); progress still moves, and
    the run finishes with its results spooled, not lost."""
    holder = hold(fresh_db, "rw")
    try:
        with Recorder(fresh_db, origin="test.locked", total=2, flush_every=1, lock_timeout_s=0.2) as rec:
            rec.result("acme/m", "cpu", batch_size=1, latency_ms_mean=1.0)
            assert _only(fresh_db)["done"] == 1
            rec.result("acme/m", "cpu", batch_size=2, latency_ms_mean=1.0)
        d = _only(fresh_db)
        assert d["state"] == FINISHED and d["done"] == 2 and rec.spooled
    finally:
        release(holder)


def test_no_progress_file_without_a_warehouse_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCHWH_PROGRESS_DIR", raising=False)
    seen: list[dict] = []
    out = tmp_path / "run.json"
    with Recorder(store=False, output=out, origin="test.nostore", on_progress=seen.append) as rec:
        rec.result("acme/m", "cpu", batch_size=1, latency_ms_mean=1.0)
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]
    assert seen[-1]["state"] == FINISHED and seen[-1]["done"] == 1
    monkeypatch.setenv("BENCHWH_PROGRESS_DIR", str(tmp_path / "prog"))
    with Recorder(store=False, output=out, origin="test.nostore", progress=True) as rec:
        rec.result("acme/m", "cpu", batch_size=1, latency_ms_mean=1.0)
    assert [d["run_id"] for d in read_all(tmp_path / "prog")] == [rec.run.run_id]
    with Recorder(fresh_db_path := str(tmp_path / "unused.duckdb"), store=False, output=out, progress=False) as rec:
        rec.result("acme/m", "cpu", batch_size=1, latency_ms_mean=1.0)
    assert len(read_all(tmp_path / "prog")) == 1 and not os.path.exists(fresh_db_path)
