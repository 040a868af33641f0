"""`benchwh --help`, `status` and `query` start quickly: they load none of alembic, SQLAlchemy,
pandas or matplotlib (each command runs in a fresh interpreter and lists what it loaded)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("alembic", "sqlalchemy", "pandas", "matplotlib")

WALK = """
import json, sys
from benchwh.cli.quick import main  # the console script's entry point
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
else:
    code = 0
loaded = sorted({m.split(".")[0] for m, mod in sys.modules.items() if mod is not None})
print("\\n" + json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    from benchwh.records import Result, RunInfo
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate
    from benchwh.warehouse.write import write_records
    from datetime import datetime

    path = tmp_path_factory.mktemp("imports") / "w.duckdb"
    loc = resolve(str(path))
    migrate(loc)
    run = RunInfo(origin="test.imports", started_at=datetime(2026, 1, 1), run_key="i")
    write_records(loc, [Result(run=run, model_name="m", hardware_type="cpu", batch_size=b,
                               latency_ms_mean=1.0 + b, measured_at=datetime(2026, 1, 1, 0, b))
                        for b in (1, 2)])
    return str(path)


def loaded_by(*args: str) -> tuple[int, set[str], str]:
    proc = subprocess.run([sys.executable, "-c", WALK, *args], capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"]), proc.stdout


@pytest.mark.parametrize("args", [
    ["--help"],
    ["status", "--db", "{db}"],
    ["query", "latest", "--db", "{db}", "--format", "json"],
    ["query", "latest", "--db", "{db}", "--model", "m", "--batch-size", "2", "--format", "csv"],
])
def test_quick_commands_load_no_heavy_module(db, args):
    code, loaded, stdout = loaded_by(*(a.format(db=db) for a in args))
    assert code in (0, None), stdout
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    if args[0] == "query":
        assert "pydantic" not in loaded  # the quick path: typer's coercion (pydantic) is not used
    if "latest" in args:
        assert "polars" in loaded  # the answer went through Polars
        if "json" in args:
            rows = json.loads(stdout)
            assert sorted(r["batch_size"] for r in rows) == [1, 2]
            assert rows[0]["measured_at"].startswith("2026-01-01T00:0")
        else:
            assert stdout.splitlines()[0].startswith("result_id,") or "batch_size" in stdout.splitlines()[0]
            assert len(stdout.strip().splitlines()) == 2  # the header and the one filtered row


def test_quick_status_prints_what_the_typer_command_prints(db, cli):
    from benchwh.cli.quick import status_options

    for extra in ([], ["--json"]):
        proc = subprocess.run([sys.executable, "-c", "from benchwh.cli.quick import main; main()", "status",
                               "--db", db, *extra], capture_output=True, text=True, timeout=120)
        via_typer = cli("status", "--db", db, *extra)  # benchwh.cli.main: the typer command
        assert proc.returncode == via_typer.code == 0 and proc.stdout == via_typer.stdout
    assert "results                  2" in proc.stdout or json.loads(proc.stdout)["tables"]["results"] == 2
    assert status_options(["status", "--db", "x", "--json"]) == {"db": "x", "data_path": None, "as_json": True}
    for other in (["status", "--help"], ["status", "--db"], ["status", "--db", "a", "--db", "b"], ["query"]):
        assert status_options(other) is None  # typer answers these


QUICK_QUERIES = [
    ["latest", "--db", "{db}", "--format", "json"],
    ["latest", "--db", "{db}", "--param", "a=1", "--param", "b=2", "--batch-size", "4", "--include-simulated",
     "-f", "csv", "--limit", "7"],
    ["trend", "--db", "{db}", "--hardware", "cpu", "--metric", "memory", "--model", "m"],
    ["compare-models", "--db", "{db}", "--hardware", "cuda", "--json", "--until", "2026-02-01"],
    ["compare-hardware", "--db", "{db}", "--model", "m", "--since", "2026-01-01", "--wide", "--precision", "fp16"],
    ["matrix", "--db", "{db}", "--hardware", "cpu"],
    ["runs", "--db", "{db}", "--data-path", "d", "--model", "m", "--format", "markdown"],
]


@pytest.mark.parametrize("args", QUICK_QUERIES, ids=lambda a: " ".join(a[:1] + a[3:]))
def test_quick_query_calls_the_command_with_what_typer_gives_it(db, monkeypatch, args):
    """The quick path reads a query command's options from its typer declarations; the command
    is called with exactly the values typer's own parsing gives it."""
    import benchwh.cli.query as query
    from benchwh.cli.main import main as via_typer
    from benchwh.cli.quick import main, query_options

    args = ["query", *(a.format(db=db) for a in args)]
    assert query_options(query.COMMANDS[args[1]], args[2:]) is not None  # this spelling takes the quick path
    calls = []
    monkeypatch.setattr(query, "_answer", lambda kw, title, method, **own: calls.append((kw, title, method, own)))
    main(args)
    with pytest.raises(SystemExit) as done:
        via_typer(args)
    assert done.value.code == 0
    assert len(calls) == 2 and calls[0] == calls[1], calls


@pytest.mark.parametrize("args", [
    ["latest", "--help"], ["latest", "--format=json"], ["latest", "--batch-size", "x"], ["latest", "--batch-size", "-1"],
    ["latest", "--model", "a", "--model", "b"], ["latest", "--model"], ["latest", "--model", "--db"],
    ["latest", "--no-include-simulated"], ["compare-models"], ["trend", "--model", "m"], ["sql", "SELECT 1"],
    ["latest", "extra"],
])
def test_other_spellings_are_left_to_typer(args):
    from benchwh.cli.query import COMMANDS
    from benchwh.cli.quick import query_options

    assert query_options(COMMANDS[args[0]], args[1:]) is None


def test_a_spelling_left_to_typer_gets_typers_answer(db):
    code, loaded, _ = loaded_by("query", "latest", "--db", db, "--batch-size", "x")
    assert code == 2 and "pydantic" in loaded  # typer's usage error, from typer


def test_status_knows_its_head_and_tables_without_alembic():
    from benchwh.migrations import HEAD, REVISIONS
    from benchwh.warehouse import migrate, status, tables

    assert status.head() == HEAD == migrate.head()
    assert status.revisions() == list(REVISIONS) == migrate.revisions()
    assert status.TABLES == tuple(tables.SCHEMAS)


def test_execute_leaves_a_loaded_pandas_alone():
    import duckdb
    import pandas  # noqa: F401  (loaded in this process: the guard must not hide it)

    from benchwh.warehouse.connect import execute

    con = duckdb.connect()
    assert execute(con, "SELECT ? + 1", [1]).fetchone() == (2,)
    assert sys.modules["pandas"] is not None


def test_an_import_with_workers_loads_no_pandas(tmp_path):
    """``benchwh import --jobs 2`` (a worker pool, so threads in the importing process) hides
    pandas from DuckDB's and pyarrow's checks in the importer and in its workers."""
    from benchwh.import_workers import POOL_MIN_FILES
    from benchwh.testing import write_tree
    from benchwh.warehouse.location import resolve
    from benchwh.warehouse.migrate import migrate

    write_tree(tmp_path / "src", POOL_MIN_FILES + 10)
    migrate(resolve(str(tmp_path / "w.duckdb")))
    code, loaded, stdout = loaded_by("import", str(tmp_path / "src"), "--db", str(tmp_path / "w.duckdb"), "--jobs", "2")
    assert code in (0, None), stdout
    assert f"from {POOL_MIN_FILES + 10} of {POOL_MIN_FILES + 10} file(s)" in stdout
    assert "pandas" not in loaded


def test_pandas_imports_again_after_it_was_hidden():
    """Hidden only for the block: afterwards pandas imports, and pyarrow and DuckDB (which
    looked for it and did not find it while hidden) convert to pandas again."""
    script = """
import sys, duckdb, pyarrow as pa
from benchwh.warehouse.connect import execute, pandas_hidden
con = duckdb.connect()
with pandas_hidden():
    pa.array([1, 2]); execute(con, "SELECT ?", [1]).fetchall()
    try:
        import pandas
        raise SystemExit("pandas was not hidden")
    except ModuleNotFoundError:
        pass
assert "pandas" not in sys.modules
print(type(pa.table({"a": [1]}).to_pandas()).__name__, type(con.execute("SELECT 1 AS a").df()).__name__)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["DataFrame", "DataFrame"]
