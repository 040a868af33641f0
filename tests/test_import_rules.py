"""The layering rules, read from the code: which packages may import the SQL stack and the
terminal stack.

- duckdb, sqlalchemy, alembic: only ``benchwh/warehouse/`` and ``migrations/`` (the only places
  that speak SQL);
- typer, rich: only ``benchwh/cli/`` (the library prints nothing and parses no command line).

Every ``.py`` under benchwh/, legacy_import/, runners/ and migrations/ is parsed with ``ast``;
``import x``, ``from x import y`` (at any depth, inside functions too) and
``importlib.import_module("x")`` with a literal name all count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("benchwh", "legacy_import", "runners", "migrations")

SQL_STACK = {"duckdb", "sqlalchemy", "alembic", "duckdb_engine"}
TERMINAL_STACK = {"typer", "rich"}
SQL_ALLOWED = ("benchwh/warehouse/", "migrations/")
TERMINAL_ALLOWED = ("benchwh/cli/",)


def modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def full_imports(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """``(line, full dotted module name)`` for every absolute import in ``source``."""
    tree = ast.parse(source, filename=filename)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.append((node.lineno, node.args[0].value))
    return found


def imported(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """``(line, top-level module name)`` for every import in ``source``."""
    return [(line, name.split(".")[0]) for line, name in full_imports(source, filename)]


def violations(stack: set[str], allowed: tuple[str, ...]) -> list[str]:
    bad = []
    for path in modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(allowed):
            continue
        bad += [f"{rel}:{line} imports {name}" for line, name in imported(path.read_text(encoding="utf-8"), rel) if name in stack]
    return bad


def test_the_walk_sees_every_package():
    names = {p.relative_to(ROOT).parts[0] for p in modules()}
    assert names == set(PACKAGES)
    # the walker finds imports nested in functions and importlib calls (a rule it could not
    # break would prove nothing)
    sample = ("def f():\n    import duckdb.x\n    from rich.table import T\n"
              "importlib.import_module('typer')\nfrom . import sibling\n")
    assert {n for _, n in imported(sample)} == {"duckdb", "rich", "typer"}


@pytest.mark.parametrize("stack,allowed", [(SQL_STACK, SQL_ALLOWED), (TERMINAL_STACK, TERMINAL_ALLOWED)],
                         ids=["sql-only-in-warehouse", "terminal-only-in-cli"])
def test_import_rule(stack, allowed):
    assert violations(stack, allowed) == []


def test_cli_reaches_the_warehouse_only_through_the_api():
    """``benchwh/cli/`` parses, calls ``benchwh.Warehouse`` (``benchwh.api``) and formats: it
    imports no ``benchwh.warehouse`` module itself."""
    bad = [f"{path.relative_to(ROOT)}:{line} imports {n}" for path in sorted((ROOT / "benchwh" / "cli").rglob("*.py"))
           for line, n in full_imports(path.read_text(encoding="utf-8")) if n == "benchwh.warehouse" or n.startswith("benchwh.warehouse.")]
    assert bad == []


def test_the_library_does_not_depend_on_the_cli():
    """Nothing outside ``benchwh/cli/`` imports ``benchwh.cli``: the CLI sits on the library, not
    under it. The one exception is the runners' typer adapter (``add_db_options`` given a typer
    command function), which hands the typer half to the CLI layer behind that interface."""
    allowed = {("runners/options.py", "benchwh.cli._runner_options")}
    bad = []
    for path in modules():
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith("benchwh/cli/"):
            bad += [f"{rel}:{line} imports {n}" for line, n in full_imports(path.read_text(encoding="utf-8"), rel)
                    if (n == "benchwh.cli" or n.startswith("benchwh.cli.")) and (rel, n) not in allowed]
    assert bad == []
