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


def test_every_package_folder_is_listed_in_pyproject():
    import tomllib

    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(conf["packages"])
    mapping = conf["package-dir"]
    found = set()
    for pkg, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((pkg, *rel)))
    # nested mapped folders (benchwh.migrations inside benchwh/) are found under their mapping
    assert found <= listed, f"not listed in pyproject packages: {sorted(found - listed)}"


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


# torch and transformers are installed here, so importing them would succeed: the test looks
# at sys.modules afterwards. (Merely *looking* for them, as polars does with find_spec, is fine;
# the clean-venv test above covers running without them at all.)
BLOCK = "import sys\n"


@pytest.mark.parametrize("args", [
    ["--help"], ["status", "--db", "{db}"], ["migrate", "--db", "{db}"], ["check", "--db", "{db}"],
    ["import", "{src}", "--db", "{db}"], ["export", "--format", "parquet", "--out", "{out}", "--db", "{db}"],
    ["query", "latest", "--db", "{db}"], ["regressions", "--db", "{db}"],
    ["report", "--out", "{out}.html", "--db", "{db}"], ["adopt", "--help"], ["run", "--help"],
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
