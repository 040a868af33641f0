"""`benchwh import` end to end: real files, real warehouses (``warehouse_db``: a DuckDB file and
DuckLake on PostgreSQL), real subprocess kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from benchwh.testing import f8_direct, write_tree

from conftest import BENCHWH, sql


def snapshot(db: str) -> dict:
    """Every table's rows minus the columns that record *when benchwh wrote* them."""
    out = {}
    for table, skip in (("runs", "inserted_at"), ("models", "inserted_at"), ("hardware", "inserted_at"),
                        ("results", "inserted_at"), ("compatibility", "inserted_at"),
                        ("test_results", "inserted_at"), ("import_ledger", "imported_at")):
        out[table] = sorted(map(repr, sql(db, f"SELECT * EXCLUDE ({skip}) FROM {table}")))
    return out


def test_generated_tree_imports_and_reimport_adds_nothing(tmp_path, warehouse_db, cli):
    src = tmp_path / "src"
    write_tree(src, 40)
    report = tmp_path / "r.json"
    res = cli("import", str(src), "--db", warehouse_db, "--report", str(report))
    assert res.code == 0, res.stderr
    rep = json.loads(report.read_text())
    assert len(rep["files"]) == 40 and {f["status"] for f in rep["files"]} == {"imported"}
    # f6: 2 configs, f8: 2 batches, f10: 2 batch sizes, f12: 1 result; 10 files each
    assert sql(warehouse_db, "SELECT count(*) FROM results")[0][0] == 10 * (2 + 2 + 2 + 1)
    before = snapshot(warehouse_db)
    res = cli("import", str(src), "--db", warehouse_db, "--report", str(report))
    assert res.code == 0 and "nothing new" in res.stdout
    assert {f["status"] for f in json.loads(report.read_text())["files"]} == {"duplicate"}
    assert snapshot(warehouse_db) == before
    assert cli("check", "--db", warehouse_db).code == 0


def test_dry_run_writes_nothing_but_counts_exactly(tmp_path, warehouse_db, cli):
    src = tmp_path / "src"
    write_tree(src, 8)
    res = cli("import", str(src), "--db", warehouse_db, "--dry-run")
    assert res.code == 0 and "would add 14 results" in res.stdout
    assert sql(warehouse_db, "SELECT count(*) FROM results")[0][0] == 0
    assert sql(warehouse_db, "SELECT count(*) FROM import_ledger")[0][0] == 0


def test_unknown_and_malformed_are_quarantined_with_reasons(tmp_path, warehouse_db, cli):
    src = tmp_path / "src"
    src.mkdir()
    # an unknown shape that may hold a measurement is quarantined (one without any is skipped)
    (src / "weird.json").write_text(json.dumps({"alpha": {"latency_ms": 1}, "beta": [1, 2]}))
    (src / "broken.json").write_text('{"model": "x", "batch_results": {')
    report = tmp_path / "r.json"
    res = cli("import", str(src), "--db", warehouse_db, "--report", str(report))
    assert res.code == 0
    files = {f["path"]: f for f in json.loads(report.read_text())["files"]}
    assert files["weird.json"]["status"] == "quarantined"
    assert files["weird.json"]["reason"].startswith("unknown format")
    assert files["broken.json"]["status"] == "quarantined"
    assert "line 1 column" in files["broken.json"]["reason"]
    assert cli("import", str(src), "--db", warehouse_db, "--strict").code == 1
    assert sql(warehouse_db, "SELECT count(*) FROM results")[0][0] == 0


def test_forced_format_that_does_not_match_is_quarantined(tmp_path, warehouse_db, cli):
    src = tmp_path / "one.json"
    src.write_text(json.dumps(f8_direct(0)[1]))
    report = tmp_path / "r.json"
    res = cli("import", str(src), "--format", "f12-web-result", "--db", warehouse_db, "--report", str(report))
    assert res.code == 0
    assert "does not look like format 'f12-web-result'" in json.loads(report.read_text())["files"][0]["reason"]
    res = cli("import", str(src), "--format", "f08-direct-benchmrk", "--db", warehouse_db)
    assert res.code == 1 and "did you mean `f08-direct-benchmark`" in res.stderr


def test_import_missing_path_is_an_error(tmp_path, warehouse_db, cli):
    res = cli("import", str(tmp_path / "nope"), "--db", warehouse_db)
    assert res.code == 1 and res.stderr.strip() == f"Error: {tmp_path / 'nope'}: no such file or folder"


# File-only: it kills an import holding the DuckDB file's single-writer lock mid-transaction.
@pytest.mark.slow
def test_sigkill_midway_then_rerun_converges(tmp_path):
    """Kill a real import process at several moments; the rerun must equal an uninterrupted run."""
    src = tmp_path / "src"
    write_tree(src, 3000)
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    ref = str(tmp_path / "ref.duckdb")
    migrate(resolve(ref))
    env = dict(os.environ, BENCHWH_IMPORT_BATCH_FILES="20")
    subprocess.run([BENCHWH, "import", str(src), "--db", ref], env=env, check=True, capture_output=True)
    expected = snapshot(ref)
    total = sql(ref, "SELECT count(*) FROM results")[0][0]

    partial_seen = False
    # Killed once the import's streamed --report has grown past a size (files decided), not
    # after a fixed delay, which a loaded machine turns into "before it began".
    for attempt, grown in enumerate((2_000, 20_000, 60_000, 150_000, 300_000)):
        db = str(tmp_path / f"k{attempt}.duckdb")
        migrate(resolve(db))
        report = tmp_path / f"k{attempt}.report.json"
        streamed = report.with_name(f".{report.name}.tmp")  # the report while it is written
        proc = subprocess.Popen([BENCHWH, "import", str(src), "--db", db, "--report", str(report)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline and (
                not streamed.exists() or streamed.stat().st_size < grown):
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        n = sql(db, "SELECT count(*) FROM results")[0][0]
        # all-or-nothing per file: every ledgered file has exactly its results
        assert subprocess.run([BENCHWH, "check", "--db", db], capture_output=True).returncode == 0
        partial_seen |= 0 < n < total
        subprocess.run([BENCHWH, "import", str(src), "--db", db], env=env, check=True, capture_output=True)
        assert snapshot(db) == expected
        if partial_seen:
            break
    assert partial_seen, "never killed the import midway; raise the file count"


def test_corpus_import_is_faithful_and_idempotent(tmp_path, warehouse_db, cli, corpus):
    report = tmp_path / "r.json"
    res = cli("import", str(corpus), "--db", warehouse_db, "--report", str(report))
    assert res.code == 0, res.stderr
    rep = json.loads(report.read_text())
    files = [f for f in rep["files"] if f["status"] != "not read"]
    assert len(files) == 105
    # every other file under the corpus is accounted for: counted by extension, listed
    others = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*") if p.is_file() and p.suffix != ".json")
    assert sorted(f["path"] for f in rep["files"] if f["status"] == "not read") == others
    assert sum(rep["not_read"].values()) == len(others)
    status = {f["path"]: f["status"] for f in files}
    quarantined = sorted(p for p, s in status.items() if s == "quarantined")
    assert quarantined == [
        "13_malformed_and_degenerate/skills/collected_results/hf_lm_test_results.json",
        "13_malformed_and_degenerate/skills/collected_results/hf_wav2vec2_test_results.json",
        "13_malformed_and_degenerate/test_benchmark_database/database_metadata.json",
    ]
    for f in files:
        if f["status"] in ("skipped", "quarantined"):
            assert f["reason"], f
    # F30 API test files produce no results
    assert all(f["results"] == 0 for f in files if f["path"].startswith("12_"))
    # The bert-base cpu batch 1 seq 32 measurement of run 20250305_204942, in ms, with samples
    rows = sql(warehouse_db, """
        SELECT r.latency_ms_mean, len(r.latency_samples_ms), r.latency_samples_ms[1]
        FROM results r JOIN models m USING (model_id) JOIN hardware h USING (hardware_id)
        WHERE m.model_name = 'bert-base-uncased' AND h.hardware_type = 'cpu' AND r.batch_size = 1
          AND r.sequence_length = 32 AND r.measured_at::DATE = DATE '2025-03-05' AND NOT r.is_simulated""")
    assert any(abs(mean - 753.000009059906) < 1e-9 and n == 20 and abs(first - 893.5601711273193) < 1e-9
               for mean, n, first in rows), rows
    # No latency or throughput of 0 anywhere
    assert sql(warehouse_db, "SELECT count(*) FROM results WHERE latency_ms_mean = 0 OR throughput_items_per_s = 0 "
                       "OR throughput_tokens_per_s = 0")[0][0] == 0
    # No time stamped from the clock: every measured_at is in the corpus's era
    assert sql(warehouse_db, "SELECT count(*) FROM results WHERE measured_at >= DATE '2025-04-01'")[0][0] == 0
    before = snapshot(warehouse_db)
    res = cli("import", str(corpus), "--db", warehouse_db)
    assert res.code == 0 and "added 0 results" in res.stdout
    assert snapshot(warehouse_db) == before
    assert cli("check", "--db", warehouse_db).code == 0


@pytest.mark.parametrize("warehouse_db", ["file", pytest.param("lake", marks=pytest.mark.postgres)], indirect=True)
def test_a_later_simulation_annotation_flags_the_same_fact_in_either_order(tmp_path, warehouse_db, request,
                                                                          make_warehouse, corpus, cli):
    """cleanup_stale_reports re-wrote a run's files adding `simulated_hardware`: the same facts,
    now known simulated. Whatever order the two copies arrive in, there is one row per fact and it
    is flagged simulated."""
    folder = corpus / "03_cleanup_annotated_variants" / "benchmark_results" / "20250302_201142"
    original, annotated = folder / "benchmark_results.json", folder / "benchmark_results@79800fbd5.json"
    listed = set(json.loads(annotated.read_text())["simulated_hardware"])
    states = []
    backend = request.node.callspec.params["warehouse_db"]
    for order in ((original, annotated), (annotated, original)):
        wh = make_warehouse(backend, tmp_path / order[0].stem)
        for f in order:
            assert cli("import", str(f), *wh.args).code == 0
        rows = sql(wh.location(), """SELECT c.compat_id, h.hardware_type, c.is_simulated, c.simulation_reason
                            FROM compatibility c JOIN hardware h USING (hardware_id) ORDER BY 1""")
        assert len({r[0] for r in rows}) == len(rows)
        # listed hardware is simulated; others keep what the facts themselves say (some are
        # flagged for mock evidence in their test logs, in both copies alike)
        assert all(sim for _, hw, sim, _ in rows if hw in listed), rows
        assert any(not sim for _, hw, sim, _ in rows if hw not in listed)
        assert cli("check", *wh.args).code == 0
        states.append(rows)
    assert states[0] == states[1]
    alone = make_warehouse(backend, tmp_path / "alone")
    assert cli("import", str(original), *alone.args).code == 0
    assert len(sql(alone.location(), "SELECT compat_id FROM compatibility")) == len(states[0])
