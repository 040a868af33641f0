"""``adopt`` on every file the legacy project committed (../shared/legacy_corpus/legacy_db/);
skipped where that folder is absent. The expected counts come from reading each file (see
FORMATS.md, INDEX.md "Related binary artifacts"): the committed warehouses hold seeded samples,
zero fills, synthetic rows and one real (empty) web run, and adopt must say so, not import them
as measurements. Each file must be byte-identical afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from benchwh.warehouse.adopt import adopt
from benchwh.legacy_import.adopt_base import R_SAMPLE, R_ZERO
from benchwh.legacy_import.adopt_flat import R_INDEX, R_SYNTHETIC
from benchwh.legacy_import.adopt_star import R_DIM_SEEDED, R_DIM_UNUSED, R_RUN_PLACEHOLDER
from benchwh.warehouse.location import resolve
from benchwh.warehouse.migrate import migrate
from test_adopt_shapes import sha256

LEGACY_DB = Path(__file__).parents[1].parent / "shared" / "legacy_corpus" / "legacy_db"
NOT_ADOPTED = "table is not part of a recognised legacy family: not adopted"

# file -> (kind, family, carried, flagged, refused, {(table, reason): count} for the reasons)
EXPECTED = {
    "benchmark_db@b4a8e2df8.duckdb": ("duckdb", "star", 0, 13, 0, {
        ("hardware_platforms", R_DIM_SEEDED): 7, ("models", R_DIM_SEEDED): 6}),
    "benchmark_db@90b80efc3.duckdb": ("duckdb", "star-drifted", 0, 68, 0, {
        ("performance_results", R_ZERO): 33, ("test_runs", R_RUN_PLACEHOLDER): 33,
        ("models", R_DIM_UNUSED): 1, ("hardware_platforms", R_DIM_UNUSED): 1}),
    "benchmark_db__benchmark@b4a8e2df8.duckdb": ("duckdb", "star+flat", 0, 13, 0, {
        ("hardware_platforms", R_DIM_SEEDED): 7, ("models", R_DIM_SEEDED): 6}),
    "benchmark_db_new@266e8b9c9.duckdb": ("duckdb", "star+web+flat", 0, 113, 0, {
        ("benchmark_performance", R_ZERO): 101, ("hardware_platforms", R_DIM_SEEDED): 7,
        ("models", R_DIM_SEEDED): 5}),
    "web_benchmark@90b80efc3.duckdb": ("duckdb", "star+web", 1, 0, 0, {}),
    "benchmark_performance@ea97db41a.parquet": ("parquet", "flat", 0, 129, 0, {
        ("benchmark_performance", R_ZERO): 129}),
    "test_benchmark_database__benchmark_data@b4a8e2df8.parquet": ("parquet", "parquet-store", 0, 100, 0, {
        ("benchmark_data", R_SYNTHETIC): 100}),
    "test_benchmark_database__benchmark_index@b4a8e2df8.parquet": ("parquet", "parquet-index", 0, 0, 100, {
        ("benchmark_index", R_INDEX): 100}),
    "benchmark_db@54e5bc569.sqlite": ("sqlite", "star", 0, 12, 4, {
        ("performance_results", R_SAMPLE): 3, ("performance_history", R_SAMPLE): 2,
        ("hardware_platforms", R_DIM_SEEDED): 4, ("models", R_DIM_SEEDED): 3,
        ("hardware_platform_relationships", NOT_ADOPTED): 2, ("mobile_edge_metrics", NOT_ADOPTED): 2}),
    "performance_results@ea97db41a.csv": ("csv", "star", 0, 0, 4, {
        ("performance_results", "model_id cannot be resolved: the file has no models table"): 4}),
}

pytestmark = pytest.mark.skipif(not LEGACY_DB.is_dir(), reason=f"legacy corpus not present at {LEGACY_DB}")


@pytest.fixture(scope="module")
def adopted(tmp_path_factory):
    """Every corpus file adopted, in turn, into one warehouse, each twice; with each file's
    sha256 before and after and both reports."""
    path = tmp_path_factory.mktemp("corpus") / "w.duckdb"
    migrate(resolve(str(path)))
    out = {}
    for name in sorted(EXPECTED):
        src = LEGACY_DB / name
        before = sha256(src)
        first = adopt(src, db=str(path))
        second = adopt(src, db=str(path))
        out[name] = (before, sha256(src), first, second)
    return str(path), out


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in LEGACY_DB.iterdir() if p.is_file()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_adopt_corpus_file(name: str, adopted) -> None:
    wh, out = adopted
    before, after, report, again = out[name]
    assert after == before

    kind, family, carried, flagged, refused, reasons = EXPECTED[name]
    assert (report.kind, report.family) == (kind, family)
    assert (report.n_carried, report.n_flagged, report.n_refused) == (carried, flagged, refused)
    got = {(t.table, t.reason): t.count for t in (*report.flagged, *report.refused)}
    assert got == reasons
    assert report.records["results"] == 0  # not one committed legacy row is a real measurement
    assert report.inserted["import_ledger"] == 1
    assert all(n == 0 for n in again.inserted.values())  # the second adopt added nothing
    ledger = _rows(wh, "SELECT format, status, results, reason FROM import_ledger WHERE file_sha256 = ?", [before])
    assert ledger == [(f"adopt:{family}", "imported", 0, report.summary())]


def test_after_the_whole_corpus(adopted) -> None:
    """The only fact the corpus carries is the web run that recorded no results (its ingestion
    failed); no result, so no 0 metric, is written."""
    wh, _ = adopted
    assert _rows(wh, "SELECT count(*) FROM results") == [(0,)]
    assert _rows(wh, "SELECT count(*) FROM import_ledger") == [(len(EXPECTED),)]
    assert _rows(wh, "SELECT origin, started_at::VARCHAR, git_commit FROM runs") == [
        ("legacy-warehouse:web", "2025-03-06 18:41:31.567878", "8fc40de0260403fd8b084a2710a44d1bf9e4c8d3")]


def test_read_only_copy_in_read_only_folder(tmp_path: Path) -> None:
    """A read-only file in a read-only folder adopts, and no lock, WAL or journal file appears
    beside it. (Run as root, the modes are not enforced; the listing check still holds.)"""
    folder = tmp_path / "ro"
    folder.mkdir()
    src = shutil.copy(LEGACY_DB / "web_benchmark@90b80efc3.duckdb", folder / "web.duckdb")
    Path(src).chmod(0o444)
    folder.chmod(0o555)
    try:
        report = adopt(src, dry_run=True)
        assert report.n_carried == 1
        assert sorted(p.name for p in folder.iterdir()) == ["web.duckdb"]
    finally:
        folder.chmod(0o755)


def _rows(db: str, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
