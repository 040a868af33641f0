"""Every benchmark under benchmarks/ runs at its tiny ``--smoke`` size, so none can break
unnoticed (the figures are not checked here: only that each runs to its last line)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))

# What a benchmark needs beyond the base install; without it, it is skipped, not failed.
NEEDS = {"runner_overhead.py": "torch"}
MARKS = {"lake_append.py": [pytest.mark.postgres]}
NO_POSTGRES = 2  # lake_append.py's exit status when it cannot start a PostgreSQL cluster


def test_the_benchmarks_are_all_here():
    assert {"import_speed.py", "query_speed.py", "recorder_speed.py", "startup.py"} <= set(SCRIPTS)


@pytest.mark.slow
@pytest.mark.parametrize("script", [pytest.param(s, marks=MARKS.get(s, [])) for s in SCRIPTS])
def test_benchmark_runs_with_smoke(script, tmp_path):
    need = NEEDS.get(script)
    if need and importlib.util.find_spec(need) is None:
        pytest.skip(f"{script} needs {need}")
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), "--smoke"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    if script == "lake_append.py" and proc.returncode == NO_POSTGRES:
        pytest.skip(proc.stderr.strip())
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert "=" in last, last  # every benchmark ends with its key=value figures


@pytest.mark.slow
def test_import_into_a_big_warehouse_runs_with_smoke(tmp_path):
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "import_speed.py"), "--smoke", "--big-ledger", "2000"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert proc.stdout.strip().splitlines()[-1].startswith("big_vs_empty="), proc.stdout
