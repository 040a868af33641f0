"""Heavy imports stay inside the runners, both ways round.

* Without torch/transformers: ``benchwh --help`` and the non-runner commands work, and a runner
  command says ``pip install 'benchwh[runners]'``.
* Without the warehouse stack (a GPU box with only torch + transformers + typer):
  ``benchwh run ... --no-db-store`` measures and writes its interchange file, which then
  imports here with the same ids.

Each case runs in a subprocess whose ``sys.meta_path`` refuses the listed modules.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WAREHOUSE_STACK = ("duckdb", "polars", "pyarrow", "sqlalchemy", "alembic")
RUNNER_STACK = ("torch", "transformers")

_BOOT = textwrap.dedent("""
    import sys
    BLOCKED = set(sys.argv[1].split(","))
    ATTEMPTS = []

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                ATTEMPTS.append(name)
                raise ImportError(f"{name} is not installed (blocked by the test)")
            return None

    sys.meta_path.insert(0, Block())
    for mod in list(sys.modules):  # nothing blocked may be pre-loaded (site hooks)
        assert mod.split(".")[0] not in BLOCKED, mod
    from benchwh.cli.main import main
    try:
        main(sys.argv[2:])
    finally:
        print("BLOCKED-ATTEMPTS:" + ",".join(sorted(set(ATTEMPTS))), file=sys.stderr)
""")


def run_blocked(blocked, args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _BOOT, ",".join(blocked), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def attempts(proc) -> list[str]:
    line = [x for x in proc.stderr.splitlines() if x.startswith("BLOCKED-ATTEMPTS:")][-1]
    return [x for x in line.split(":", 1)[1].split(",") if x]


@pytest.mark.parametrize("args", [["--help"], ["run", "inference", "--help"], ["run", "models"]])
def test_help_and_listing_without_torch(tmp_path, args):
    proc = run_blocked(RUNNER_STACK, args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    if args == ["run", "models"]:
        # the listing asks transformers whether it can build each model, never torch
        assert attempts(proc) == ["transformers"]
        assert "unknown: transformers is not installed" in proc.stdout
    else:
        assert attempts(proc) == []
    assert proc.stdout.strip()


def test_warehouse_commands_without_torch(tmp_path):
    db = str(tmp_path / "w.duckdb")
    for args in (["migrate", "--db", db], ["status", "--db", db], ["ingest", "--spool", "--db", db]):
        proc = run_blocked(RUNNER_STACK, args, tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        assert attempts(proc) == [], args


@pytest.mark.parametrize("kind", ["inference", "training", "compatibility"])
def test_runner_without_torch_names_the_extra(tmp_path, kind):
    proc = run_blocked(RUNNER_STACK, ["run", kind, "--model", "bert-tiny", "--no-db-store",
                                      "--output", str(tmp_path / "x.json")], tmp_path)
    assert proc.returncode == 1
    assert "pip install 'benchwh[runners]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.json").exists()


def test_no_db_store_without_warehouse_stack(tmp_path):
    pytest.importorskip("torch", reason="needs torch (pip install 'benchwh[runners]')")
    pytest.importorskip("transformers", reason="needs transformers (pip install 'benchwh[runners]')")
    out = tmp_path / "gpu-box.json"
    proc = run_blocked(WAREHOUSE_STACK, [
        "run", "inference", "--model", "bert-tiny", "--hardware", "cpu", "--batch-sizes", "1",
        "--seq-lens", "8", "--iterations", "2", "--warmup", "1", "--no-db-store", "--output", str(out),
    ], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert attempts(proc) == []  # not even tried: nothing on that path reaches for them

    # Back on a full machine: the file imports, ids unchanged.
    from benchwh.interchange import read_file
    from benchwh.legacy_import.convert import convert_bytes
    from benchwh.records import Result

    written = read_file(out)
    outcome = convert_bytes(out.read_bytes(), rel_path=out.name)
    assert outcome.status == "imported" and outcome.format == "benchwh-interchange"
    (res,) = [r for r in written if isinstance(r, Result)]
    (imp,) = [r for r in outcome.records if isinstance(r, Result)]
    assert imp.result_id == res.result_id and res.status == "completed" and len(res.latency_samples_ms) == 2


def test_cli_modules_import_nothing_heavy():
    """The same guarantee at the source: importing the CLI loads none of either stack."""
    code = ("import sys; import benchwh.cli.main; "
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in %r); print(heavy)"
            % (WAREHOUSE_STACK + RUNNER_STACK,))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
