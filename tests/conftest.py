"""Shared test fixtures: real DuckDB files made by the real migrations, the legacy corpus,
and an in-process CLI runner that goes through the same error handler as the console script."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "legacy_corpus"
BENCHWH = str(Path(sys.executable).with_name("benchwh"))


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict | None = None) -> CliResult:
    """Run ``benchwh ARGS`` in-process through ``benchwh.cli.main.main``."""
    from benchwh.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    old_env = {}
    for k, v in (env or {}).items():
        old_env[k] = os.environ.get(k)
        os.environ[k] = v
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"legacy corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def fresh_db(tmp_path) -> str:
    """A new warehouse file at head, made by the real migrations."""
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    path = tmp_path / "wh.duckdb"
    migrate(resolve(str(path)))
    return str(path)


# --- both backends through one fixture (DuckDB file, DuckLake on PostgreSQL) ----------------
@pytest.fixture(scope="session")
def pg_cluster():
    """A private PostgreSQL cluster (own folder, own port, 127.0.0.1) for the session."""
    import pg

    reason = pg.why_unavailable()
    if reason:
        pytest.skip(reason)
    cluster = pg.start_cluster()
    yield cluster
    from benchwh.warehouse import lake

    lake.release()
    pg.stop_cluster(cluster)


@pytest.fixture(scope="session")
def _warehouse_templates(tmp_path_factory):
    return {"folder": tmp_path_factory.mktemp("wh-templates")}


@pytest.fixture(params=["file", pytest.param("lake", marks=pytest.mark.postgres)])
def warehouse_db(request, tmp_path, monkeypatch, _warehouse_templates) -> str:
    """``--db`` text of a fresh warehouse at head, made by the real migrations, on each backend:
    a DuckDB file, and DuckLake with a PostgreSQL catalog (BENCHWH_DATA_PATH is set to the test's
    own data folder for the test, so the CLI and library find it with the ``--db`` text alone)."""
    import pg

    t = _warehouse_templates
    if request.param == "file":
        if "file" not in t:
            t["file"] = pg.migrated_file_template(t["folder"])
        path = tmp_path / "wh.duckdb"
        path.write_bytes(t["file"].read_bytes())
        yield str(path)
        return
    cluster = request.getfixturevalue("pg_cluster")
    if "lake" not in t:
        t["lake"] = pg.migrated_lake_template(cluster, t["folder"])
    data = tmp_path / "lake-data"
    db = pg.lake_copy(cluster, t["lake"], data)
    monkeypatch.setenv("BENCHWH_DATA_PATH", str(data))
    yield db
    from benchwh.warehouse import lake
    from benchwh.warehouse.location import resolve

    lake.release(resolve(db, str(data)))


# --- reading any backend, and warehouses that outlive one test ------------------------------
# params of a module-scoped fixture that builds on each backend; `-m "not postgres"` skips the lake
BACKENDS = ["file", pytest.param("lake", marks=pytest.mark.postgres)]


def sql(db, query: str, params=(), any_revision: bool = False) -> list[tuple]:
    """Rows of one read-only query on the warehouse ``db`` (``--db`` text or Location; a lake's
    data path from BENCHWH_DATA_PATH), opened through the library as the commands open it: at
    head revision, or at whatever revision it is with ``any_revision``."""
    from benchwh.warehouse.connect import connection
    from benchwh.warehouse.open import as_location, open_warehouse

    if any_revision:
        ctx = connection(as_location(db), read_only=True)
    else:
        ctx = open_warehouse(db, read_only=True)
    with ctx as con:
        return con.execute(query, list(params)).fetchall()


@dataclass(frozen=True)
class Warehouse:
    """A warehouse made by ``make_warehouse``: ``db`` is the ``--db`` text; a lake also has its
    own data folder, so it is named by both (CLI options, a Location, or the environment)."""

    db: str
    data_path: str | None = None

    @property
    def is_lake(self) -> bool:
        return self.data_path is not None

    @property
    def args(self) -> list[str]:
        """``--db`` (and ``--data-path``) options naming it without the environment."""
        return ["--db", self.db] + (["--data-path", self.data_path] if self.data_path else [])

    def location(self):
        from benchwh.warehouse.location import resolve

        return resolve(self.db, self.data_path)

    def use(self, monkeypatch) -> str:
        """Name it for one test as ``warehouse_db`` does (BENCHWH_DATA_PATH for a lake);
        returns the ``--db`` text."""
        if self.data_path:
            monkeypatch.setenv("BENCHWH_DATA_PATH", self.data_path)
        return self.db


@pytest.fixture(scope="session")
def make_warehouse(request, _warehouse_templates):
    """``make(backend, folder, empty=False) -> Warehouse``: a new warehouse on ``backend``
    ("file" or "lake") under ``folder``, a copy of the session's migrated template like
    ``warehouse_db`` (``empty``: nothing at all yet, for tests of ``migrate`` itself). For a
    second warehouse in one test, and for module-scoped warehouses that are costly to fill."""
    import pg

    made = []

    def make(backend: str, folder: Path, empty: bool = False) -> Warehouse:
        t = _warehouse_templates
        folder.mkdir(parents=True, exist_ok=True)
        if backend == "file":
            path = folder / "wh.duckdb"
            if not empty:
                if "file" not in t:
                    t["file"] = pg.migrated_file_template(t["folder"])
                path.write_bytes(t["file"].read_bytes())
            return Warehouse(str(path))
        assert backend == "lake", backend
        cluster = request.getfixturevalue("pg_cluster")
        data = folder / "lake-data"
        if empty:
            data.mkdir(parents=True, exist_ok=True)
            wh = Warehouse("ducklake:postgres:" + cluster.conninfo(cluster.create_database()), str(data))
        else:
            if "lake" not in t:
                t["lake"] = pg.migrated_lake_template(cluster, t["folder"])
            wh = Warehouse(pg.lake_copy(cluster, t["lake"], data), str(data))
        made.append(wh)
        return wh

    yield make
    from benchwh.warehouse import lake

    for wh in made:
        lake.release(wh.location())
