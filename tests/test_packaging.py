"""The package as users get it: a built wheel in a clean venv, run from another directory;
and the core CLI never importing the runner stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True)
    (whl,) = out.glob("benchwh-*.whl")
    return whl


def test_wheel_ships_no_generic_top_level_names(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("benchwh-")}
    assert tops == {"benchwh"}, tops
    assert "benchwh/migrations/env.py" in names
    assert any(n.startswith("benchwh/migrations/versions/0001") for n in names)
    assert "benchwh/legacy_import/registry.py" in names
    assert "benchwh/runners/__init__.py" in names


@pytest.mark.slow
def test_wheel_in_clean_venv_from_another_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", str(wheel)], check=True, capture_output=True)
    exe = str(venv / "bin" / "benchwh")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("BENCHWH_DB", "PYTHONPATH", "VIRTUAL_ENV")}

    def run(*args):
        return subprocess.run([exe, *args], cwd=elsewhere, env=env, capture_output=True, text=True)

    r = run("migrate")
    assert r.returncode == 0, r.stderr
    assert (elsewhere / "benchwh.duckdb").exists()
    r = run("status", "--json")
    info = json.loads(r.stdout)
    assert info["current_revision"] == info["head_revision"] and info["pending"] == []
    r = run("migrate", "--to", "base")
    assert r.returncode == 0 and "downgraded" in r.stdout, r.stderr
    r = run("migrate", "--db", "second.duckdb")
    assert r.returncode == 0 and (elsewhere / "second.duckdb").exists(), r.stderr
    # the runner extra is not installed here: runner commands say how to get it
    r = run("run", "inference", "--model", "bert-tiny", "--no-db-store", "--output", "x.json")
    assert r.returncode == 1 and "pip install 'benchwh[runners]'" in r.stderr, (r.stdout, r.stderr)


BLOCK = textwrap.dedent("""
    import sys, importlib.abc
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "transformers"):
                raise ImportError(f"blocked: {name}")
            return None
    sys.meta_path.insert(0, Block())
""")


@pytest.mark.parametrize("args", [
    ["--help"], ["status", "--db", "{db}"], ["migrate", "--db", "{db}"], ["check", "--db", "{db}"],
    ["import", "{src}", "--db", "{db}"], ["export", "--format", "parquet", "--out", "{out}", "--db", "{db}"],
    ["query", "latest", "--db", "{db}"], ["run", "--help"],
], ids=lambda a: a[0])
def test_core_commands_never_import_torch(args, tmp_path, fresh_db):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.json").write_text("{}")
    filled = [a.format(db=fresh_db, src=src, out=tmp_path / "o.parquet") for a in args]
    code = BLOCK + textwrap.dedent(f"""
        from benchwh.cli.main import main
        try:
            main({filled!r})
        except SystemExit as e:
            code = e.code
        loaded = sorted(m for m in ("torch", "transformers") if m in sys.modules)
        print("LOADED", loaded, "EXIT", code, file=sys.stderr)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    last = r.stderr.strip().splitlines()[-1]
    assert last == "LOADED [] EXIT 0", r.stderr[-2000:]
