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
