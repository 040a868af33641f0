"""Docs stay true: every `benchwh ...` line in the README names a real command with real
options, and every command has help text."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import typer

from benchwh.cli.main import app

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[str]:
    lines, out = README.read_text().splitlines(), []
    open_block, in_block, pending = False, False, ""
    for line in lines:
        if line.startswith("```"):
            open_block = not open_block
            in_block = open_block and line.strip() in ("```sh", "```bash", "```")
            continue
        if not in_block:
            continue
        text = pending + line.strip()
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        text = text.split("  #")[0].strip()
        if text.startswith("benchwh ") or text.startswith(".venv/bin/benchwh "):
            out.append(text)
    return out


def walk(cmd, tokens):
    """The click command a token list names, and the tokens after it."""
    while tokens and hasattr(cmd, "commands") and tokens[0] in cmd.commands:
        cmd, tokens = cmd.commands[tokens[0]], tokens[1:]
    return cmd, tokens


ROOT = typer.main.get_command(app)


@pytest.mark.parametrize("line", readme_commands())
def test_readme_command_exists_with_its_options(line):
    tokens = shlex.split(line)[1:]
    cmd, rest = walk(ROOT, tokens)
    assert not hasattr(cmd, "commands"), f"`{line}` does not name a command"
    known = {o for p in cmd.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    for tok in rest:
        if tok.startswith("--"):
            assert tok.split("=")[0] in known, f"`{line}`: {cmd.name} has no option {tok}"


def test_readme_has_commands():
    assert len(readme_commands()) > 30


def _all(cmd, path=()):
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _all(sub, path + (name,))


@pytest.mark.parametrize("path,cmd", [(p, c) for p, c in _all(ROOT) if p], ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help(path, cmd):
    assert (cmd.help or cmd.short_help or "").strip(), f"benchwh {' '.join(path)} has no help"
    for p in cmd.params:
        if getattr(p, "opts", None) and p.opts[0].startswith("--") and p.name not in ("help",):
            assert (getattr(p, "help", None) or "").strip(), f"benchwh {' '.join(path)} {p.opts[0]} has no help"


def readme_python() -> list[str]:
    """The README's ```python blocks."""
    blocks, cur = [], None
    for line in README.read_text().splitlines():
        if cur is None and line.strip() == "```python":
            cur = []
        elif cur is not None and line.startswith("```"):
            blocks.append("\n".join(cur))
            cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def test_readme_warehouse_snippet_runs(tmp_path, monkeypatch):
    """The ``benchwh.Warehouse`` block runs as written, on a real file, and answers."""
    from datetime import datetime

    from benchwh.interchange import write_file
    from benchwh.records import Result, RunInfo, RunMeta

    snippet = next(b for b in readme_python() if "benchwh.Warehouse(" in b)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    run = RunInfo(origin="readme", started_at=datetime(2026, 1, 1), run_key="r")
    write_file(tmp_path / "results" / "run.json",
               [RunMeta(run)] + [Result(run=run, model_name="bert-tiny", hardware_type=hw, batch_size=1,
                                        latency_ms_mean=ms, measured_at=datetime(2026, 1, 1, 0, i))
                                 for i, (hw, ms) in enumerate((("cpu", 3.0), ("cuda", 1.0)))])
    scope: dict = {}
    exec(compile(snippet, "README.md", "exec"), scope)
    assert scope["report"].added["results"] == 2
    assert scope["df"]["latency_ms_mean"].to_list() == [3.0]
    assert scope["fastest"]["hardware_type"].to_list() == ["cuda", "cpu"]
    assert (tmp_path / "bench.duckdb").is_file()
