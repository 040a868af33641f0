"""The importer's general rules on small documents of their own: one clock (inferred offset,
``--source-tz``, unknown zone), ids that do not depend on the clock, cross-format identity,
failed calls keeping their timings, non-benchmark content, and migration 0004 moving a
warehouse that holds the corpus onto one clock without losing a row."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchwh.legacy_import.convert import convert_bytes
from benchwh.records import Result, TestOutcome

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "legacy_corpus"


def _doc(**over) -> dict:
    """A skill test result (F20 shape): naive ISO time in metadata, epoch times in examples."""
    doc = {
        "status": {"cpu_handler": "Success (REAL)"},
        "examples": [{"input": "x", "output": {"text": "y"}, "timestamp": 1740729996.5,
                      "elapsed_time": 0.25, "implementation_type": "REAL", "platform": "CPU"}],
        "metadata": {"model_name": "bert-tiny", "test_timestamp": "2025-02-28T00:06:37.365430",
                     "test_run_id": "bert-test-1"},
    }
    doc.update(over)
    return doc


def _convert(doc, name="x.json", **kw):
    out = convert_bytes(json.dumps(doc).encode(), name, **kw)
    assert out.status == "imported", out.reason
    return out.records


def test_offset_inferred_from_an_epoch_and_a_naive_text_of_one_moment():
    recs = _convert(_doc())
    res = next(r for r in recs if isinstance(r, Result))
    test = next(r for r in recs if isinstance(r, TestOutcome))
    assert res.time_basis == "explicit" and res.measured_at == datetime(2025, 2, 28, 8, 6, 36, 500000)
    # the naive text was local time 8 hours behind the epoch: moved onto UTC
    assert test.time_basis == "inferred" and test.measured_at == datetime(2025, 2, 28, 8, 6, 37, 365430)
    assert test.recorded_at == datetime(2025, 2, 28, 0, 6, 37, 365430)
    assert res.run.time_basis == "inferred" and res.run.started_at == test.measured_at


def test_disagreeing_evidence_settles_nothing():
    doc = _doc()
    doc["metadata"]["test_timestamp"] = "2025-02-28T05:23:10"  # 2h43m from the epoch: no zone
    recs = _convert(doc)
    test = next(r for r in recs if isinstance(r, TestOutcome))
    assert test.time_basis == "unknown" and test.measured_at == datetime(2025, 2, 28, 5, 23, 10)
    assert test.recorded_at is None


def test_source_tz_moves_naive_times_the_file_does_not_settle():
    path = FIXTURES / "f06-hardware-benchmark" / "runner_mixed.json"  # naive ISO times only
    plain = convert_bytes(path.read_bytes(), "r.json").records
    la = convert_bytes(path.read_bytes(), "r.json", source_tz="America/Los_Angeles").records
    fixed = convert_bytes(path.read_bytes(), "r.json", source_tz="UTC-08:00").records
    p = [r for r in plain if isinstance(r, Result)]
    q = [r for r in la if isinstance(r, Result)]
    assert p and all(r.time_basis == "unknown" for r in p)
    assert all(r.time_basis == "assumed" for r in q)
    # March 5th 2025 is standard time in Los Angeles (UTC-8)
    assert [r.measured_at for r in q] == [r.measured_at + timedelta(hours=8) for r in p]
    assert [r.measured_at for r in fixed if isinstance(r, Result)] == [r.measured_at for r in q]
    # identity keeps the time as written: re-importing with a zone adds nothing
    assert [r.result_id for r in p] == [r.result_id for r in q]


def test_source_tz_evidence_in_the_file_wins():
    recs = _convert(_doc(), source_tz="Asia/Tokyo")
    test = next(r for r in recs if isinstance(r, TestOutcome))
    assert test.time_basis == "inferred" and test.measured_at == datetime(2025, 2, 28, 8, 6, 37, 365430)


def test_unknown_source_tz_is_one_clear_error(tmp_path, cli, fresh_db):
    f = tmp_path / "a.json"
    f.write_text(json.dumps(_doc()))
    res = cli("import", str(f), "--db", fresh_db, "--source-tz", "Mars/Olympus")
    assert res.code == 1 and "unknown time zone 'Mars/Olympus'" in res.stderr
    res = cli("import", str(f), "--db", fresh_db, "--source-tz", "America/Los_Angeles")
    assert res.code == 0, res.stderr


def test_skill_result_is_one_fact_standalone_or_wrapped():
    inner = _doc()
    wrapped = {"timestamp": "2025-02-28T00:10:00", "python_version": "3.12", "command": "run --skills",
               "skill_tests": {"test_hf_bert.py": {"test_file": "skills/test_hf_bert.py", "return_code": 0,
                                                   "elapsed_time": 3.0, "stdout": "", "stderr": "",
                                                   "json_result": inner}}}
    alone = {r.result_id for r in _convert(inner) if isinstance(r, Result)}
    inside = {r.result_id for r in _convert(wrapped) if isinstance(r, Result)}
    assert alone and alone == inside


def test_failed_call_keeps_its_error_text_and_timing():
    doc = _doc()
    doc["examples"][0]["output"] = "Error in CPU handler: Invalid inputs format"
    res = next(r for r in _convert(doc) if isinstance(r, Result))
    assert res.status == "failed" and res.error == "Error in CPU handler: Invalid inputs format"
    assert res.latency_ms_mean == pytest.approx(250.0)


@pytest.mark.parametrize("doc, words", [
    ({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T", "type": "object"}, "JSON Schema"),
    ({"cid": "Qm1", "name": "n", "data": {"x": 1}}, "content-addressed cache"),
    ({"schema_version": "tool/fixture@2", "cases": [{"wall_ms": 100}]}, "schema tool/fixture@2"),
    ({"endpoint_handler": "Success", "post_request": "Success", "streaming": "Failed"}, "API client test"),
    ([{"name": "m", "type": "llm", "batch_support": True}], "no number in it names"),
])
def test_non_benchmark_content_is_skipped_with_its_reason(doc, words):
    out = convert_bytes(json.dumps(doc).encode(), "anything.json")
    assert out.status == "skipped" and words in out.reason


def test_unknown_shape_with_measurements_is_quarantined():
    out = convert_bytes(json.dumps({"bench": {"latency_ms": 4.0}}).encode(), "x.json")
    assert out.status == "quarantined" and out.reason.startswith("unknown format")


def test_migration_0004_moves_a_corpus_warehouse_onto_one_clock(tmp_path, monkeypatch):
    """A warehouse written the old way (epochs on UTC, naive texts as written), downgraded to
    0002 and upgraded again: every row kept with its id, no run on two clocks any more."""
    if not CORPUS.is_dir():
        pytest.skip("legacy corpus not found")
    import benchwh.legacy_import.convert as conv
    from benchwh.importing import run_import
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.open import open_warehouse

    db = str(tmp_path / "old.duckdb")
    loc = resolve(db)
    migrate(loc)
    monkeypatch.setattr(conv, "apply_clock", lambda *a, **k: None)  # the importer before 0004
    run_import(db, [CORPUS], jobs=1)
    monkeypatch.undo()
    shifted_sql = ("SELECT count(*) FROM results f JOIN runs r USING (run_id) WHERE f.measured_at IS NOT NULL "
                   "AND abs(epoch(f.measured_at) - epoch(r.started_at)) >= 1800 AND "
                   "abs(epoch(f.measured_at) - epoch(r.started_at) - round((epoch(f.measured_at) - "
                   "epoch(r.started_at)) / 3600) * 3600) < 60")
    tables = ("runs", "models", "hardware", "results", "compatibility", "test_results", "import_ledger")
    from benchwh.warehouse.tables import ID_COLUMN

    def ids(con):
        return {t: sorted(r[0] for r in con.execute(f"SELECT {ID_COLUMN[t]} FROM {t}").fetchall()) for t in tables}

    assert migrate(loc, "0002").after == "0002"
    import duckdb

    con = duckdb.connect(db)
    before = ids(con)
    assert con.execute(shifted_sql).fetchone()[0] > 0  # the old importer split runs over two clocks
    con.close()
    from benchwh.migrations import HEAD

    assert migrate(loc, "head").after == HEAD  # 0004 and every later revision
    with open_warehouse(db, read_only=True) as con:
        assert ids(con) == before
        assert con.execute(shifted_sql).fetchone()[0] == 0
        bases = dict(con.execute("SELECT time_basis, count(*) FROM results GROUP BY 1").fetchall())
        assert bases.get("explicit", 0) > 0 and None not in bases
        runs = dict(con.execute("SELECT time_basis, count(*) FROM runs GROUP BY 1").fetchall())
        assert runs.get("inferred", 0) > 0  # the naive starts of two-clock runs were moved
    # a re-import with the new importer adds nothing: the ids never depended on the clock
    report = run_import(db, [CORPUS], jobs=1)
    assert not report.added.get("results") and not report.added.get("test_results")


def test_mock_in_the_output_text_means_simulated():
    doc = _doc()
    doc["examples"][0]["output"] = "This is a mock CPU transcription output"
    res = next(r for r in _convert(doc) if isinstance(r, Result))
    assert res.is_simulated and "mock" in res.simulation_reason


def test_zero_memory_of_a_status_snapshot_is_no_peak():
    doc = _doc()
    doc["status"]["cuda_memory_allocated_mb"] = 0.0
    recs = [r for r in _convert(doc) if isinstance(r, Result) and r.hardware_type == "cuda"]
    assert recs and all(r.memory_peak_mb is None for r in recs)
    assert any(r.metrics.get("memory_allocated_mb") == 0.0 for r in recs)


def test_placeholders_flagged_across_days_with_evidence(tmp_path):
    from benchwh.importing import run_import
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.open import open_warehouse

    db = str(tmp_path / "p.duckdb")
    migrate(resolve(db))
    for i, day in enumerate(("2025-02-27", "2025-03-02")):
        doc = _doc()
        doc["metadata"].update(test_timestamp=f"{day}T10:00:00", test_run_id=f"run-{i}")
        doc["examples"][0].pop("timestamp")
        doc["examples"][0]["elapsed_time"] = 0.1  # the same constant on two days
        (tmp_path / f"{i}.json").write_text(json.dumps(doc))
    run_import(db, [tmp_path / "0.json"], jobs=1)
    run_import(db, [tmp_path / "1.json"], jobs=1)
    with open_warehouse(db, read_only=True) as con:
        rows = con.execute("SELECT suspected_placeholder, placeholder_evidence, is_simulated FROM results").fetchall()
    assert len(rows) == 2 and all(r[0] and "latency_ms_mean = 100.0" in r[1] and not r[2] for r in rows)


def _recompute_changes(db: str) -> tuple[int, int]:
    """(rows a whole-table placeholder recompute would change, rows flagged now)."""
    from benchwh.warehouse.open import open_warehouse
    from benchwh.warehouse.write import flag_placeholders

    with open_warehouse(db) as con:
        flagged = con.execute("SELECT count(*) FROM results WHERE suspected_placeholder").fetchone()[0]
        con.execute("BEGIN")
        try:
            return flag_placeholders(con), flagged
        finally:
            con.execute("ROLLBACK")


def _import_in_chunks(db: str, files: list[Path], chunks: int) -> None:
    from benchwh.importing import run_import
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    migrate(resolve(db))
    for i in range(chunks):
        run_import(db, files[i::chunks], jobs=1)


def test_placeholders_of_a_write_equal_a_whole_table_recompute(tmp_path, warehouse_db):
    """Each write recomputes only the groups its rows joined; whatever the order and the
    split, the stored flags and evidence are what a recompute over the whole table gives (on
    a DuckDB file and on DuckLake, whose rowids the check's fetch uses as well)."""
    import random

    rnd = random.Random(7)
    files = []
    def value(base: float, i: int) -> float:  # now and then a repeated constant, else measured
        return rnd.choice((base, base + 1)) if rnd.random() < 0.3 else base + i / 1000

    for i in range(60):  # three numbers per row, each repeated now and then: rows in several groups
        day = f"2025-03-0{rnd.randint(1, 5)}T10:{i:02d}:00"
        doc = {"model": "BERT", "model_key": "bert", "model_category": "embedding",
               "model_path": rnd.choice(("bert-base-uncased", "t5-small")), "hardware": "CPU",
               "hardware_key": "cpu", "timestamp": day, "compatible": True,
               "batch_sizes": {"1": {"throughput": value(50.0, i), "latency_ms": value(20.0, i),
                                     "memory_usage_mb": value(100.0, i), "success": True}}}
        files.append(tmp_path / f"benchmark_bert_cpu_{i}.json")
        files[-1].write_text(json.dumps(doc))
    db = warehouse_db
    _import_in_chunks(db, files, 12)
    changes, flagged = _recompute_changes(db)
    assert flagged >= 10 and changes == 0


@pytest.mark.skipif(not (CORPUS.parent / "legacy_history").is_dir(), reason="../shared/legacy_history not present")
def test_placeholders_on_the_legacy_files_imported_in_pieces(tmp_path):
    files = sorted(p for d in (CORPUS, CORPUS.parent / "legacy_history") for p in d.rglob("*.json"))
    import random

    random.Random(3).shuffle(files)
    db = str(tmp_path / "w.duckdb")
    _import_in_chunks(db, files, 4)
    changes, flagged = _recompute_changes(db)
    assert flagged >= 2 and changes == 0


def test_a_group_that_comes_to_span_two_days_flags_its_stored_rows(tmp_path):
    """A later write that makes a stored row's group span two days gives the stored row that
    group's evidence, next to the evidence it had from another group; the new row's other
    numbers, on one day only, give none. The outcome is what a whole-table recompute gives."""
    from benchwh.importing import run_import
    from benchwh.warehouse.open import open_warehouse

    def bench(i: int, day: str, latency: float, memory: float) -> Path:
        doc = {"model": "BERT", "model_key": "bert", "model_category": "embedding",
               "model_path": "bert-base-uncased", "hardware": "CPU", "hardware_key": "cpu",
               "timestamp": f"{day}T10:00:00", "compatible": True,
               "batch_sizes": {"1": {"throughput": 50.0 + i, "latency_ms": latency,
                                     "memory_usage_mb": memory, "success": True}}}
        path = tmp_path / f"benchmark_bert_cpu_{i}.json"
        path.write_text(json.dumps(doc))
        return path

    db = str(tmp_path / "w.duckdb")
    files = [bench(0, "2025-03-01", 20.0, 100.0), bench(1, "2025-03-02", 21.0, 100.0),
             bench(2, "2025-03-03", 20.0, 101.0)]
    _import_in_chunks(db, files[:2], 2)  # memory 100 on two days: both rows flagged
    run_import(db, [files[2]], jobs=1)  # latency 20 now on two days too
    with open_warehouse(db, read_only=True) as con:
        rows = con.execute("SELECT latency_ms_mean, memory_peak_mb, placeholder_evidence FROM results "
                           "ORDER BY measured_at").fetchall()
    first, second, third = rows
    assert "latency_ms_mean = 20.0" in first[2] and "memory_peak_mb = 100.0" in first[2]
    assert first[2].index("latency_ms_mean") < first[2].index("memory_peak_mb")
    assert "memory_peak_mb = 100.0" in second[2] and "latency" not in second[2]
    assert "latency_ms_mean = 20.0" in third[2] and "memory" not in third[2]
    changes, flagged = _recompute_changes(db)
    assert flagged == 3 and changes == 0
