"""Every error path of ``benchwh adopt``: one line ``Error: ...`` on stderr, exit code 1,
nothing on stdout, and the legacy file unchanged."""

from __future__ import annotations

import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from benchwh.cli.main import main
from test_adopt_shapes import build_star, sha256


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err


def assert_one_line_error(capsys, args: list[str], expected: str) -> str:
    """Exit 1, empty stdout, exactly one stderr line equal to ``expected`` (or starting with
    it, when ``expected`` ends with an ellipsis)."""
    code, out, err = run_cli(capsys, *args)
    assert code == 1
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    line = err.rstrip("\n")
    if expected.endswith("…"):
        assert line.startswith(expected[:-1]), line
    else:
        assert line == expected
    return err


def test_missing_file(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "gone.duckdb"
    assert_one_line_error(capsys, ["adopt", str(missing), "--dry-run"], f"Error: no such file: {missing}")


def test_folder_instead_of_file(tmp_path: Path, capsys) -> None:
    assert_one_line_error(capsys, ["adopt", str(tmp_path), "--dry-run"],
                          f"Error: {tmp_path} is a folder: pass one legacy warehouse file")


@pytest.mark.parametrize("content", [bytes(range(256)) * 4, b"", b"just some notes\nno table here\n"],
                         ids=["binary", "empty", "text"])
def test_not_a_database(tmp_path: Path, capsys, content: bytes) -> None:
    path = tmp_path / "legacy.duckdb"
    path.write_bytes(content)
    err = assert_one_line_error(
        capsys, ["adopt", str(path), "--dry-run"],
        "Error: legacy.duckdb is not a database: expected a DuckDB, SQLite or Parquet file or a CSV "
        "table export (its first bytes are …")
    assert err.rstrip().endswith(f"{content[:16]!r})")
    assert path.read_bytes() == content


def _expect_unrecognised(capsys, path: Path, found: str) -> None:
    before = sha256(path)
    err = assert_one_line_error(capsys, ["adopt", str(path), "--dry-run"],
                                f"Error: {path.name} is not a recognised legacy warehouse: found {found}; …")
    for looked_for in ("star schema (performance_results, hardware_platforms, models",
                       "web tables (web_platform_results)", "flat converter tables (benchmark_performance",
                       "Parquet store (benchmark_id, avg_latency"):
        assert looked_for in err
    assert "`benchwh import`" in err
    assert sha256(path) == before


def test_unrecognised_sqlite(tmp_path: Path, capsys) -> None:
    path = tmp_path / "notes.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER, body TEXT)")
    con.execute("INSERT INTO notes VALUES (1, 'hello')")
    con.commit()
    con.close()
    _expect_unrecognised(capsys, path, "notes (id, body)")


def test_unrecognised_duckdb(tmp_path: Path, capsys) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    # a table named like a legacy one but without its columns is not taken for it
    con.execute("CREATE TABLE performance_results (id INTEGER, score DOUBLE)")
    con.close()
    _expect_unrecognised(capsys, path, "performance_results (id, score)")


def test_unrecognised_csv(tmp_path: Path, capsys) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("region,month,amount\nnorth,2025-01,10\n")
    _expect_unrecognised(capsys, path, "sales (region, month, amount)")


def _duckdb_header_checksum(block: bytes) -> int:
    """DuckDB's block checksum (5381, then xor of each 8-byte word times a 64-bit constant),
    over the main header after its checksum field; used to write a header of an old version."""
    acc = 5381
    for (word,) in struct.iter_unpack("<Q", block):
        acc ^= (word * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    return acc


def test_old_duckdb_storage_version(tmp_path: Path, capsys) -> None:
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    data = bytearray(path.read_bytes())
    assert data[8:12] == b"DUCK"
    data[12:20] = struct.pack("<Q", 39)  # the storage version DuckDB 0.6 wrote
    data[0:8] = struct.pack("<Q", _duckdb_header_checksum(bytes(data[8:4096])))
    path.write_bytes(bytes(data))
    before = sha256(path)
    err = assert_one_line_error(
        capsys, ["adopt", str(path), "--dry-run"],
        f"Error: cannot open old.duckdb read-only with DuckDB {duckdb.__version__}: IO Error: Trying to read "
        "a database file with version number 39…")
    assert "EXPORT DATABASE" in err and "IMPORT DATABASE" in err
    assert sha256(path) == before


def test_corrupt_duckdb(tmp_path: Path, capsys) -> None:
    path = tmp_path / "corrupt.duckdb"
    duckdb.connect(str(path)).close()
    data = bytearray(path.read_bytes())
    data[100:108] = b"garbage!"  # inside the checksummed header block
    path.write_bytes(bytes(data))
    assert_one_line_error(capsys, ["adopt", str(path), "--dry-run"],
                          f"Error: cannot open corrupt.duckdb read-only with DuckDB {duckdb.__version__}: "
                          "IO Error: Corrupt database file…")


def test_corrupt_sqlite(tmp_path: Path, capsys) -> None:
    path = tmp_path / "corrupt.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    assert_one_line_error(capsys, ["adopt", str(path), "--dry-run"],
                          "Error: cannot open corrupt.sqlite read-only with SQLite: file is not a database")


def test_warehouse_not_created(tmp_path: Path, capsys) -> None:
    legacy = build_star(tmp_path / "star.duckdb")
    before = sha256(legacy)
    missing = tmp_path / "w.duckdb"
    assert_one_line_error(capsys, ["adopt", str(legacy), "--db", str(missing)],
                          f"Error: no warehouse at {missing}: run `benchwh migrate --db {missing}` to create one")
    assert sha256(legacy) == before and not missing.exists()


def test_legacy_file_held_by_a_writer(tmp_path: Path, capsys) -> None:
    legacy = build_star(tmp_path / "star.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         "con = duckdb.connect(sys.argv[1])\nprint('ready', flush=True)\ntime.sleep(60)\n", str(legacy)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        err = assert_one_line_error(
            capsys, ["adopt", str(legacy), "--dry-run"],
            f"Error: cannot open star.duckdb read-only with DuckDB {duckdb.__version__}: IO Error: …")
        assert "lock" in err and "close that process or adopt a copy" in err
    finally:
        holder.kill()
        holder.wait()


def test_a_benchwh_warehouse_is_not_a_legacy_one(tmp_path: Path, capsys) -> None:
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    other = tmp_path / "other.duckdb"
    migrate(resolve(str(other)))
    before = sha256(other)
    assert_one_line_error(capsys, ["adopt", str(other), "--dry-run"],
                          "Error: other.duckdb is a benchwh warehouse, not a legacy one: "
                          "bring it in with `benchwh merge`")
    assert sha256(other) == before
