"""Attacks with impossible values (issue 18, defect 8): negative latencies, batch sizes 0 and
-1, all-zero measurements and duplicate keys. Refused with a reason in the import report,
never stored as measurements; merged rows are judged by the same rule book."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import sql

FIXTURE = Path(__file__).parent / "fixtures" / "legacy" / "f08-direct-benchmark" / "mixed_batches.json"


def _import(cli, db, root) -> dict:
    report = root.parent / "report.json"
    res = cli("import", str(root), "--db", db, "--report", str(report))
    assert res.code == 0, res.stderr
    return {f["path"]: f for f in json.loads(report.read_text())["files"]}


def _doc(model: str, **entry) -> dict:
    doc = json.loads(FIXTURE.read_text())
    doc["model"] = model
    doc["batch_results"]["1"].update(entry)
    return doc


@pytest.mark.parametrize("entry, reason", [
    ({"avg_latency_ms": -2.5}, "latency_ms_mean -2.5 is negative"),
    ({"batch_size": 0}, "batch_size 0 is not a positive number"),
    ({"batch_size": -1}, "batch_size -1 is not a positive number"),
    ({"avg_latency_ms": 0, "throughput_items_per_second": 0, "memory_mb": 0, "latencies_ms": [0, 0]},
     "every measurement is 0"),
    ({"memory_mb": -612.25}, "memory_peak_mb -612.25 is negative"),
])
def test_impossible_values_are_refused_with_a_reason(warehouse_db, cli, tmp_path, entry, reason):
    root = tmp_path / "src"
    root.mkdir()
    (root / "bad.json").write_text(json.dumps(_doc("acme/impossible", **entry)))
    files = _import(cli, warehouse_db, root)
    assert reason in files["bad.json"]["reason"]
    assert "refused 1 impossible result(s)" in files["bad.json"]["reason"]
    # the file's other, possible results are kept; the impossible one is nowhere
    assert sql(warehouse_db, "SELECT count(*) FROM results WHERE batch_size <= 0 OR latency_ms_mean < 0 "
                             "OR memory_peak_mb < 0 OR (latency_ms_mean = 0 AND memory_peak_mb = 0)")[0][0] == 0
    kept = sql(warehouse_db, "SELECT count(*) FROM results JOIN models USING (model_id) "
                             "WHERE model_name = 'acme/impossible'")[0][0]
    assert kept == files["bad.json"]["results"] and kept >= 1


def test_duplicate_keys_quarantine_the_file(warehouse_db, cli, tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    text = FIXTURE.read_text().replace('"avg_latency_ms": 2.5,', '"avg_latency_ms": 2.5, "avg_latency_ms": 0.001,', 1)
    assert text.count('"avg_latency_ms": 0.001') == 1
    (root / "dup.json").write_text(text)
    shutil.copy(FIXTURE, root / "ok.json")
    files = _import(cli, warehouse_db, root)
    assert files["dup.json"]["status"] == "quarantined"
    assert "duplicate key 'avg_latency_ms'" in files["dup.json"]["reason"]
    assert files["ok.json"]["status"] == "imported"
    assert sql(warehouse_db, "SELECT count(*) FROM results WHERE latency_ms_mean = 0.001")[0][0] == 0


def test_merge_refuses_impossible_rows(warehouse_db, make_warehouse, cli, tmp_path):
    """A warehouse whose rows were edited to a negative latency behind benchwh's back (ids
    still match: latency is not part of the identity) is merged: the rows are refused."""
    src = make_warehouse("file", tmp_path / "src")
    assert cli("import", str(FIXTURE), "--db", src.db).code == 0
    con = duckdb.connect(src.db)
    con.execute("UPDATE results SET latency_ms_mean = -1 WHERE latency_ms_mean IS NOT NULL")
    n = con.execute("SELECT count(*) FROM results WHERE latency_ms_mean = -1").fetchone()[0]
    con.close()
    assert n > 0
    res = cli("merge", src.db, "--db", warehouse_db, "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)[0]["refused"]["results"] == n
    assert sql(warehouse_db, "SELECT count(*) FROM results WHERE latency_ms_mean < 0")[0][0] == 0


def test_a_number_with_a_unit_is_never_dropped_silently(warehouse_db, cli, tmp_path):
    """`"12 ms"` where the format has a plain number: the import report names the value (it
    is not read as a number of an assumed unit, and not lost without a word)."""
    root = tmp_path / "src"
    root.mkdir()
    (root / "units.json").write_text(json.dumps(_doc("acme/units", avg_latency_ms="12 ms")))
    files = _import(cli, warehouse_db, root)
    assert files["units.json"]["status"] == "imported"
    assert "'12 ms'" in files["units.json"]["reason"] and "with a unit" in files["units.json"]["reason"]


def test_unit_helpers_parse_numbers_with_their_unit():
    from benchwh import normalize as nz

    assert nz.quantity("12 ms") == (12.0, "ms") and nz.quantity("12") is None and nz.quantity("12 parsecs") is None
    assert nz.ms("12 ms") == 12.0 and nz.ms("1.5 s") == 1500.0 and nz.ms("250us") == 0.25
    assert nz.s_to_ms("12 ms") == 12.0 and nz.s_to_ms("0.5") == 500.0
    assert nz.gb_to_mib("512 MiB") == 512.0 and nz.gb_to_mib("2") == 2048.0 and nz.bytes_to_mib("1 GiB") == 1024.0
    assert nz.ms("12 MB") is None  # a size is not a latency


def test_recorder_refuses_impossible_values_and_stores_nothing(fresh_db):
    """The recorder applies the same rule as import and merge: a negative latency is refused
    with a reason, before anything is journaled or written."""
    from benchwh.errors import BenchwhError
    from benchwh.runners.recorder import Recorder

    with Recorder(fresh_db, origin="test.validate", flush_every=1) as rec:
        rec.result("m", "cpu", batch_size=1, latency_ms_mean=1.5)
        with pytest.raises(BenchwhError, match="refused"):
            rec.result("m", "cpu", batch_size=2, latency_ms_mean=-3.0)
        with pytest.raises(BenchwhError, match="refused"):
            rec.result("m", "cpu", batch_size=0, latency_ms_mean=2.0)
    import duckdb

    con = duckdb.connect(fresh_db, read_only=True)
    try:
        assert con.execute("SELECT batch_size, latency_ms_mean FROM results").fetchall() == [(1, 1.5)]
    finally:
        con.close()
