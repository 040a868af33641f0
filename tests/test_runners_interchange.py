"""The interchange format: what a runner writes with ``--no-db-store`` comes back through
``benchwh import`` as the very rows the runner would have written directly (same ids)."""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest

from benchwh.cli.main import main
from benchwh.interchange import InterchangeError, dumps, from_document, loads, to_document
from benchwh.legacy_import.convert import convert_bytes
from benchwh.records import CompatFact, ModelInfo, Result, RunInfo, RunMeta, TestOutcome, record_to_dict
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from benchwh.warehouse.open import open_warehouse

RUN = RunInfo(origin="test.x", started_at=datetime(2026, 3, 4, 5, 6, 7, 890123), run_key="abc",
              library_versions={"torch": "2.13.0"}, environment={"gpus": [{"name": "X", "memory_mib": 1.5}]})


def sample_records():
    return [
        RunMeta(RUN),
        Result(run=RUN, model_name="m", hardware_type="cuda", device_name="X", batch_size=2,
               sequence_length=8, precision="fp16", latency_samples_ms=[0.1, 0.30000000000000004],
               latency_ms_mean=0.2, metrics={"loss_per_step": [1.5, None]},
               measured_at=datetime(2026, 3, 4, 5, 6, 8, 1)),
        CompatFact(run=RUN, model_name="m", hardware_type="mps", compatible=None, status="skipped",
                   error="absent", measured_at=datetime(2026, 3, 4, 5, 6, 9)),
        TestOutcome(run=RUN, module="t", test_name="x", status="passed", duration_s=0.5),
        ModelInfo("m", "bert", "text", {"k": 1}),
    ]


def test_round_trip_is_exact():
    recs = sample_records()
    back = loads(dumps(recs))
    assert [record_to_dict(r) for r in back] == [record_to_dict(r) for r in recs]
    assert back[1].run is back[2].run  # one run object shared, as the runner made it


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(version=99), "newer benchwh"),
    (lambda d: d["records"][1].update(batch_size="2"), "expected int"),
    (lambda d: d["records"][1].update(colour="red"), "unknown field"),
    (lambda d: d["records"][1].pop("model_name"), "missing field 'model_name'"),
    (lambda d: d["records"][1].update(measured_at="yesterday"), "ISO date-time"),
    (lambda d: d["records"][1].update(run_id="nope"), "not among the document's runs"),
    (lambda d: d["runs"][0].update(run_key="other"), "does not match the run's content"),
    (lambda d: d["records"][1].update(sequence_length=9), "does not match the record's content"),
    (lambda d: d["records"][1].update(latency_samples_ms=[1.0, True]), "expected float"),
])
def test_reader_refuses_what_it_cannot_read_faithfully(edit, message):
    doc = json.loads(dumps(sample_records()))
    edit(doc)
    with pytest.raises(InterchangeError, match=message):
        from_document(doc)


def test_writer_refuses_nan():
    bad = Result(run=RUN, model_name="m", hardware_type="cpu", latency_ms_mean=math.nan)
    with pytest.raises(InterchangeError, match="None for missing"):
        dumps([bad])


def test_importer_keeps_records_and_ids():
    recs = sample_records()
    data = dumps(recs).encode()
    out = convert_bytes(data, rel_path="gpu/run.json")
    assert out.status == "imported" and out.format == "benchwh-interchange"
    for a, b in zip(recs, out.records):
        da, db = record_to_dict(a), record_to_dict(b)
        if "provenance" in db:
            assert db.pop("provenance")["source_file"] == "gpu/run.json"
            da.pop("provenance")
        assert da == db


def _cli(args):
    with pytest.raises(SystemExit) as e:
        main(args)
    return e.value.code


def _rows(db: str, table: str, key: str):
    skip = {"inserted_at", "source_file", "source_sha256", "source_pointer"}
    with open_warehouse(db, read_only=True) as con:
        cols = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] not in skip]
        return cols, con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {key}").fetchall()


def test_runner_file_imports_as_the_rows_written_directly(tmp_path):
    pytest.importorskip("torch", reason="needs torch (pip install 'benchwh[runners]')")
    pytest.importorskip("transformers", reason="needs transformers (pip install 'benchwh[runners]')")
    direct, imported = str(tmp_path / "direct.duckdb"), str(tmp_path / "imported.duckdb")
    migrate(resolve(direct))
    migrate(resolve(imported))
    out = tmp_path / "run.json"
    # One run, recorded both ways at once: into a warehouse and into an interchange file.
    assert _cli(["run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1",
                 "--seq-lens", "8,600", "--iterations", "2", "--warmup", "0", "--db", direct,
                 "--output", str(out)]) == 0
    assert _cli(["import", str(out), "--db", imported]) == 0
    for table, key in (("results", "result_id"), ("runs", "run_id"), ("models", "model_id"),
                       ("hardware", "hardware_id")):
        assert _rows(direct, table, key) == _rows(imported, table, key), table
    _, rows = _rows(imported, "results", "result_id")
    assert len(rows) == 2
    with open_warehouse(imported, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM results WHERE source_file = 'run.json'").fetchone()[0] == 2
    # importing again, or the same run spooled and drained, adds nothing
    assert _cli(["import", str(out), "--db", imported]) == 0
    assert len(_rows(imported, "results", "result_id")[1]) == 2


def test_document_lists_each_run_once():
    doc = to_document(sample_records())
    assert len(doc["runs"]) == 1 and doc["runs"][0]["run_id"] == RUN.run_id
    assert [r["kind"] for r in doc["records"]] == ["RunMeta", "Result", "CompatFact", "TestOutcome", "ModelInfo"]
