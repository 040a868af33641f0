"""Attacks on `import` (issue 18, defect 4): one bad file beside good ones. Each bad file is
that file's quarantine (or skip) with a reason naming it; the good files are imported; the
import neither hangs nor streams from a device; a rerun does the same."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from benchwh.import_workers import parse_size, read_source

from conftest import sql

FIXTURE = Path(__file__).parent / "fixtures" / "legacy" / "f08-direct-benchmark" / "mixed_batches.json"


def good_and(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    root.mkdir()
    shutil.copy(FIXTURE, root / "a_good.json")
    return root


def import_json(cli, db: str, root: Path, *extra: str, timeout: float = 120) -> dict:
    """Run `benchwh import --report` in a thread so a hang fails the test instead of the run."""
    report = root.parent / "report.json"
    box = {}
    t = threading.Thread(target=lambda: box.update(res=cli("import", str(root), "--db", db, "--report",
                                                           str(report), *extra)), daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "import hung"
    res = box["res"]
    assert res.code == 0, res.stderr
    assert "Traceback" not in res.stderr
    return {f["path"]: f for f in json.loads(report.read_text())["files"]}


def test_batch_size_2_31_is_that_files_quarantine(warehouse_db, cli, tmp_path):
    root = good_and(tmp_path)
    doc = json.loads(FIXTURE.read_text())
    doc["model"] = "acme/overflow"
    doc["batch_results"]["1"]["batch_size"] = 2 ** 31
    (root / "b_overflow.json").write_text(json.dumps(doc))
    for _ in range(2):  # the rerun behaves the same
        files = import_json(cli, warehouse_db, root)
        assert files["b_overflow.json"]["status"] == "quarantined"
        assert "does not fit" in files["b_overflow.json"]["reason"]
    assert sql(warehouse_db, "SELECT count(*) FROM results r JOIN models m USING (model_id) "
                             "WHERE m.model_name = 'acme/tiny-encoder'")[0][0] > 0
    assert sql(warehouse_db, "SELECT count(*) FROM models WHERE model_name = 'acme/overflow'")[0][0] == 0


def test_file_name_that_is_not_utf8(warehouse_db, cli, tmp_path):
    root = good_and(tmp_path)
    bad = os.fsencode(str(root)) + b"/caf\xe9.json"
    with open(bad, "wb") as fh:
        fh.write(FIXTURE.read_bytes().replace(b"acme/tiny-encoder", b"acme/latin1"))
    files = import_json(cli, warehouse_db, root)
    assert files["a_good.json"]["status"] == "imported"
    assert files["caf\\xe9.json"]["status"] == "imported"
    assert sql(warehouse_db, "SELECT count(*) FROM import_ledger WHERE path = 'caf\\xe9.json'")[0][0] == 1


def test_fifo_and_device_symlink_are_skipped_not_read(warehouse_db, cli, tmp_path):
    root = good_and(tmp_path)
    os.mkfifo(root / "x.json")
    os.symlink("/dev/zero", root / "zero.json")
    files = import_json(cli, warehouse_db, root, timeout=60)
    assert files["x.json"]["status"] == "skipped" and "FIFO" in files["x.json"]["reason"]
    assert files["zero.json"]["status"] == "skipped" and "character device" in files["zero.json"]["reason"]
    assert files["a_good.json"]["status"] == "imported"


def test_sparse_huge_file_is_refused_unread(warehouse_db, cli, tmp_path):
    root = good_and(tmp_path)
    with open(root / "huge.json", "wb") as fh:
        fh.truncate(3 << 30)  # 3 GiB, sparse: costs no disk, would cost 3 GiB+ of memory
    files = import_json(cli, warehouse_db, root)
    assert files["huge.json"]["status"] == "quarantined" and "--max-file-size" in files["huge.json"]["reason"]
    assert files["a_good.json"]["status"] == "imported"
    files = import_json(cli, warehouse_db, root, "--max-file-size", "1KB")
    assert "over the 1,024-byte limit" in files["huge.json"]["reason"]


def test_read_source_reads_regular_files_once_and_refuses_the_rest(tmp_path):
    p = tmp_path / "f.json"
    p.write_bytes(b"x" * 5000)
    assert read_source(str(p), 5000) == (b"x" * 5000, None, None)
    data, status, reason = read_source(str(p), 4999)
    assert data is None and status == "quarantined" and "5,000 bytes" in reason
    assert read_source(str(tmp_path / "missing.json"), 10)[1] == "quarantined"
    assert read_source(str(tmp_path), 10)[1] == "skipped"
    assert parse_size("64MB") == 64 << 20 and parse_size("512k") == 512 << 10 and parse_size(10) == 10
    for bad in ("", "ten", "-1", "0", "5 parsecs"):
        with pytest.raises(Exception, match="--max-file-size"):
            parse_size(bad)


def test_adopt_of_a_batch_size_2_31_is_one_line_and_writes_nothing(fresh_db, cli, tmp_path):
    import duckdb

    from test_adopt_shapes import build_flat

    legacy = build_flat(tmp_path / "flat.duckdb")
    con = duckdb.connect(str(legacy))
    con.execute("ALTER TABLE benchmark_performance ALTER batch_size TYPE BIGINT")
    con.execute("UPDATE benchmark_performance SET batch_size = 2147483648 WHERE id = 1")
    con.close()
    res = cli("adopt", str(legacy), "--db", fresh_db)
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("Error:")]
    assert res.code == 1 and len(errors) == 1 and "Traceback" not in res.stderr
    assert str(legacy) in errors[0] and "does not fit" in errors[0]
    assert sql(fresh_db, "SELECT count(*) FROM results")[0][0] == 0
