"""Helpers of the attack tests (tests/test_attacks_*.py): other processes that hold, write or
die on a warehouse file, the way a second terminal or a CI job would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

from conftest import BENCHWH

PY = sys.executable


def py(code: str, *args: str) -> subprocess.Popen:
    """Start ``python -c code args...`` (stdout piped, so the caller can wait for a line)."""
    return subprocess.Popen([PY, "-c", textwrap.dedent(code), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_line(proc: subprocess.Popen, expected: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == expected:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"helper exited {proc.returncode}: {proc.stderr.read()}")
    raise AssertionError(f"helper did not say {expected!r} in {timeout}s")


def commit_runs_and_die(path: str, n: int, tag: str = "w") -> None:
    """Another process commits ``n`` runs rows into the file and is killed before it closes
    (no checkpoint on close): its committed rows live only in ``<file>.wal``."""
    p = py("""
        import os, sys, duckdb
        con = duckdb.connect(sys.argv[1])
        con.execute("SET checkpoint_threshold = '1GB'")
        n, tag = int(sys.argv[2]), sys.argv[3]
        con.executemany("INSERT INTO runs (run_id, origin, inserted_at) VALUES (?, 'attack', now()::TIMESTAMP)",
                        [[f"{tag}-{i}"] for i in range(n)])
        print("committed", flush=True)
        os.kill(os.getpid(), 9)
    """, path, str(n), tag)
    p.wait(60)
    assert p.returncode == -signal.SIGKILL, p.stderr.read()
    assert Path(path + ".wal").exists(), "the killed writer left no WAL"


@contextmanager
def reader_holding(path: str, seconds: float):
    """Another process holds the file open read-only for ``seconds`` (or until the block ends)."""
    p = py("""
        import sys, time, duckdb
        con = duckdb.connect(sys.argv[1], read_only=True)
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
    """, path, str(seconds))
    try:
        wait_line(p, "holding")
        yield p
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(30)


def benchwh(*args: str, env: dict | None = None) -> subprocess.Popen:
    """The real console script in its own process."""
    return subprocess.Popen([BENCHWH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def kill_after(proc: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL ``proc`` after ``seconds`` unless it has ended; True when it was killed."""
    try:
        proc.wait(seconds)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)
        return True


def count(path: str, table: str) -> int:
    """Rows of ``table`` in the DuckDB file (read-only, any revision)."""
    import duckdb

    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()
