"""What a newcomer sees in the terminal: tables that fit (80 and 200 columns; `--wide` for
everything), units in headers, changes as signed percents, import summaries that say what
happened, exit 1 on a missing warehouse, shell completion, and a quick start that imports
only result files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchwh.testing import f8_direct

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    """bert-tiny on cpu, batch 1 and 2, three runs; the last run twice as slow."""
    from conftest import run_cli

    base = tmp_path_factory.mktemp("cliout")
    root, db = base / "legacy", str(base / "wh.duckdb")
    root.mkdir()
    for i in range(3):
        name, doc = f8_direct(i, samples=8, seed=4, mean_ms=6.0 if i == 2 else 3.0)
        (root / name).write_text(json.dumps(doc))
    assert run_cli("migrate", "--db", db).code == 0
    assert run_cli("import", str(root), "--db", db).code == 0
    return db


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("argv", [["query", "latest"], ["query", "trend", "--model", "bert-tiny", "--hardware", "cpu"],
                                  ["query", "compare-hardware", "--model", "bert-tiny"], ["query", "runs"]])
def test_tables_fit_the_terminal(cli, wh, width, argv):
    res = cli(*argv, "--db", wh, env={"COLUMNS": str(width)})
    assert res.code == 0, res.stderr
    lines = _lines(res.stdout)
    assert lines and max(len(line) for line in lines) <= width, max(lines, key=len)
    wide = cli(*argv, "--db", wh, "--wide", env={"COLUMNS": str(width)})
    assert wide.code == 0 and "left out" not in wide.stderr
    if "left out" in res.stderr:
        # Named, and all there with --wide.
        hidden = res.stderr.split("columns: ", 1)[1].split(" (--wide")[0].split(", ")
        assert "--wide shows all" in res.stderr
        assert max(len(line) for line in _lines(wide.stdout)) > width
        for name in hidden:
            assert name.split("_")[0] in wide.stdout


def test_wider_terminal_shows_more(cli, wh):
    narrow = cli("query", "latest", "--db", wh, env={"COLUMNS": "80"})
    wide = cli("query", "latest", "--db", wh, env={"COLUMNS": "200"})
    # the data columns in the header row (the "…" column, which says columns were left out, is not one)
    count = lambda r: len([h for h in _lines(r.stdout)[2].strip("┃").split("┃") if h.strip() not in ("", "…")])  # noqa: E731
    assert count(wide) > count(narrow)
    assert "left out to fit 80 columns" in narrow.stderr and "left out" not in wide.stderr
    assert "latency_mean (ms)" in narrow.stdout  # a main number is kept before lesser columns


def test_units_in_headers_and_signed_percent(cli, wh):
    res = cli("query", "trend", "--model", "bert-tiny", "--hardware", "cpu", "--db", wh, "--wide",
              env={"COLUMNS": "250"})
    assert res.code == 0, res.stderr
    assert "latency_mean (ms)" in res.stdout and "change_vs_previous (%)" in res.stdout
    rows = json.loads(cli("query", "trend", "--model", "bert-tiny", "--hardware", "cpu", "--db", wh,
                          "--format", "json").stdout)
    changes = [r["change_vs_previous"] for r in rows if r["change_vs_previous"] is not None]
    assert changes and max(changes) > 0.5  # the last run is about twice as slow
    for c in changes:
        assert f"{c * 100:+.1f}%" in res.stdout
    md = cli("query", "trend", "--model", "bert-tiny", "--hardware", "cpu", "--db", wh, "--format", "markdown")
    assert f"{max(changes) * 100:+.1f}%" in md.stdout


@pytest.fixture
def db(fresh_db):
    return fresh_db


def test_import_summary_empty_folder(cli, db, tmp_path):
    (tmp_path / "empty").mkdir()
    res = cli("import", str(tmp_path / "empty"), "--db", db)
    assert res.code == 0 and "no result files found" in res.stdout and "already imported" not in res.stdout


def test_import_summary_no_json(cli, db, tmp_path):
    (tmp_path / "txt").mkdir()
    for n in range(3):
        (tmp_path / "txt" / f"r{n}.txt").write_text("latency 3 ms")
    res = cli("import", str(tmp_path / "txt"), "--db", db)
    assert "no result files found" in res.stdout and "3 other file(s): not read" in res.stdout


def test_import_summary_all_quarantined(cli, db, tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "odd.json").write_text(json.dumps({"odd": {"latency_ms": 3.5}}))
    (tmp_path / "bad" / "broken.json").write_text('{"a": ')
    res = cli("import", str(tmp_path / "bad"), "--db", db)
    assert "nothing imported: all 2 file(s) quarantined (1 not valid JSON)" in res.stdout, res.stdout
    assert "already imported" not in res.stdout
    assert res.stderr.count("quarantined: ") == 2


def test_import_summary_added_then_already_imported(cli, db, tmp_path):
    (tmp_path / "ok").mkdir()
    for i in range(2):
        name, doc = f8_direct(i)
        (tmp_path / "ok" / name).write_text(json.dumps(doc))
    (tmp_path / "ok" / "broken.json").write_text("{")
    first = cli("import", str(tmp_path / "ok"), "--db", db)
    assert "added 4 results" in first.stdout and "from 2 of 3 file(s)" in first.stdout
    assert "1 quarantined, 1 of them not valid JSON" in first.stdout
    (tmp_path / "ok" / "broken.json").unlink()
    again = cli("import", str(tmp_path / "ok"), "--db", db)
    assert "nothing new: all 2 file(s) already imported" in again.stdout, again.stdout


def test_status_on_a_missing_warehouse_exits_1(cli, tmp_path):
    for argv in (["status"], ["status", "--json"], ["query", "latest"], ["regressions"], ["check"]):
        res = cli(*argv, "--db", str(tmp_path / "none.duckdb"))
        assert res.code == 1, (argv, res.stdout, res.stderr)
    assert not (tmp_path / "none.duckdb").exists()


def test_completion_script_generated():
    exe = Path(sys.executable).with_name("benchwh")
    res = subprocess.run([str(exe), "--show-completion", "bash"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "_benchwh_completion" in res.stdout and "complete " in res.stdout
    helptext = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--install-completion" in helptext


def test_quickstart_imports_only_result_files():
    script = (REPO / "quickstart.sh").read_text()
    line = next(x for x in script.splitlines() if "find tests/fixtures/legacy" in x)
    finder = line.split("< <(", 1)[1].rsplit(")", 1)[0]
    files = subprocess.run(["bash", "-c", finder], capture_output=True, text=True, cwd=REPO, check=True).stdout.split()
    every = list((REPO / "tests" / "fixtures" / "legacy").rglob("*.json"))
    golden = [p for p in every if p.name.endswith(".expected.json")]
    assert golden and files
    assert not [f for f in files if f.endswith(".expected.json")]
    assert len(files) == len(every) - len(golden)


@pytest.mark.parametrize("width", [80, 200])
def test_regressions_table_fits_the_terminal(cli, wh, width):
    res = cli("regressions", "--db", wh, "--all", env={"COLUMNS": str(width)})
    assert res.code == 0, res.stderr
    lines = _lines(res.stdout)
    assert max(len(line) for line in lines) <= width, max(lines, key=len)
    # Wrapped, not cut: each series label's characters all appear, in order, in its row's lines.
    rows = json.loads(cli("regressions", "--db", wh, "--all", "--format", "json").stdout)["findings"]
    text = "".join("".join(line.split()) for line in lines[2:])
    pos = 0
    for f in rows:
        for ch in "".join(f["series"].split()):
            pos = text.index(ch, pos) + 1
    assert re.search(r"[+-]\d+\.\d%", res.stdout)  # changes as signed percents


def test_regressions_wide_keeps_one_line_per_series(cli, wh):
    """At 80 columns the table wraps; --wide prints each series on one line, wider than the
    terminal, with the whole label in it."""
    rows = json.loads(cli("regressions", "--db", wh, "--all", "--format", "json").stdout)["findings"]
    narrow = cli("regressions", "--db", wh, "--all", env={"COLUMNS": "80"})
    wide = cli("regressions", "--db", wh, "--all", "--wide", env={"COLUMNS": "80"})
    assert wide.code == 0, wide.stderr
    body = _lines(wide.stdout)[2:]
    assert len(body) == len(rows) < len(_lines(narrow.stdout)[2:])
    assert max(len(line) for line in body) > 80
    for f in rows:
        assert any(f["series"] in line for line in body), f["series"]


def test_changes_table_fits_and_wide_shows_whole_lines(cli, tmp_path):
    """`changes` on a series with one level shift: its table fits 80 columns; --wide does not wrap."""
    from conftest import run_cli
    from benchwh.runners.recorder import Recorder
    from datetime import datetime, timedelta

    db = str(tmp_path / "ch.duckdb")
    assert run_cli("migrate", "--db", db).code == 0
    t0 = datetime(2026, 1, 1)
    for i in range(12):
        with Recorder(db, origin="test.changes", progress=False) as rec:
            rec.result("acme/a-model-with-a-long-name-for-wrapping", "cpu", batch_size=1, sequence_length=128,
                       precision="fp32", latency_ms_mean=10.0 if i < 6 else 20.0, measured_at=t0 + timedelta(days=i))
    narrow = cli("changes", "--db", db, env={"COLUMNS": "80"})
    assert narrow.code == 0, narrow.stderr
    assert "no change points" not in narrow.stdout
    assert max(len(line) for line in _lines(narrow.stdout)) <= 80
    wide = cli("changes", "--db", db, "--wide", env={"COLUMNS": "80"})
    assert wide.code == 0 and max(len(line) for line in _lines(wide.stdout)) > 80
    assert len(_lines(wide.stdout)) < len(_lines(narrow.stdout))


@pytest.mark.parametrize("argv", [["query", "latest"], ["query", "trend"], ["query", "compare-hardware"], ["query", "runs"],
                                  ["query", "sql"], ["regressions"], ["changes"], ["import"]])
def test_every_table_printing_command_has_wide(cli, argv):
    res = cli(*argv, "--help", env={"COLUMNS": "200"})
    assert res.code == 0 and "--wide" in res.stdout, (argv, res.stdout[-400:])
