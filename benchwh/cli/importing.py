"""``benchwh import``: legacy JSON result files into the warehouse."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, location, out, say


def import_(
    paths: Annotated[Optional[List[str]], typer.Argument(help="JSON files or folders (searched recursively for *.json).", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")] = False,
    fmt: Annotated[Optional[str], typer.Option("--format", help="Force this importer (see --list-formats).", show_default=False)] = None,
    report_file: Annotated[Optional[Path], typer.Option("--report", help="Write a per-file JSON report here.", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 if any file was quarantined.")] = False,
    list_formats: Annotated[bool, typer.Option("--list-formats", help="List the known formats and exit.")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=1, help="Worker processes converting files (default: one per CPU; 1 = in this process).", show_default=False)] = None,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
) -> None:
    """Import legacy benchmark JSON files: every format recognised by content, idempotently.

    Unknown or malformed files are quarantined with a reason (not fatal); files already
    imported are recognised by content hash and add nothing.
    """
    if list_formats:
        from benchwh.legacy_import.registry import importers

        for imp in importers():
            out(f"{imp.name:<28} {', '.join(imp.formats):<10} {imp.description}")
        return
    if not paths:
        raise typer.BadParameter("give at least one file or folder", param_hint="PATHS")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from benchwh.importing import run_import

    loc = location(db, data_path)
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.description}"), transient=True,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, rel: str) -> None:
            if done == 1 or done % 50 == 0 or done == total:
                bar.update(task, completed=done, total=total, description=rel[-50:])

        report = run_import(loc, paths, forced=fmt, dry_run=dry_run, progress=progress, jobs=jobs)
    _print_summary(report, paths)
    if report_file:
        report_file.write_text(json.dumps(report.to_json(), indent=1, default=str))
        say(f"report written to {report_file}")
    if strict and report.quarantined:
        say(f"--strict: {report.quarantined} file(s) quarantined")
        raise typer.Exit(1)


def _other_files(paths) -> int:
    """Files under ``paths`` that are not ``*.json`` (what import does not look at)."""
    import os

    n = 0
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_file():
            n += not p.name.lower().endswith(".json")
            continue
        for _, _, names in os.walk(p):
            n += sum(1 for name in names if not name.lower().endswith(".json"))
    return n


def summary_line(report, paths) -> str:
    """One line saying what the import did: files found, added, already imported,
    quarantined (and how many of those are not valid JSON), skipped."""
    files = report.files
    where = ", ".join(map(str, paths))
    if not files:
        others = _other_files(paths)
        return (f"no *.json files found in {where}" + (f" ({others} other file(s), not JSON: not read)" if others else "")
                + "; nothing imported")
    by = {k: sum(1 for f in files if f["status"] == k) for k in ("imported", "duplicate", "quarantined", "skipped")}
    bad_json = sum(1 for f in files if f["status"] == "quarantined" and str(f.get("reason") or "").startswith("malformed JSON"))
    n = len(files)
    if by["duplicate"] == n:
        return f"nothing new: all {n} file(s) already imported"
    q = f"{by['quarantined']} quarantined" + (f", {bad_json} of them not valid JSON" if bad_json else "")
    if by["quarantined"] == n:
        return f"nothing imported: all {n} file(s) quarantined" + (f" ({bad_json} not valid JSON)" if bad_json else "") \
            + "; reasons below"
    verb = "would add" if report.dry_run else "added"
    a = report.added
    parts = [f"{verb} {a.get('results', 0)} results, {a.get('compatibility', 0)} compatibility facts, "
             f"{a.get('test_results', 0)} test outcomes from {by['imported']} of {n} file(s)"]
    if by["duplicate"]:
        parts.append(f"{by['duplicate']} already imported")
    if by["skipped"]:
        parts.append(f"{by['skipped']} skipped (no results in them)")
    if by["quarantined"]:
        parts.append(q)
    if by["imported"] and not sum(a.get(t, 0) for t in ("results", "compatibility", "test_results")):
        parts.append("their contents were all in the warehouse already")
    return "; ".join(parts)


def _print_summary(report, paths=()) -> None:
    from rich.console import Console
    from rich.table import Table

    title = "import (dry run: nothing written)" if report.dry_run else "import"
    if report.files:
        table = Table(title=title)
        for col in ("format", "files", "results", "compat", "tests", "skipped", "quarantined", "duplicate"):
            table.add_column(col, justify="left" if col == "format" else "right")
        total = [0] * 7
        for fmt, s in sorted(report.by_format.items()):
            vals = [s.files, s.results, s.compat, s.tests, s.skipped, s.quarantined, s.duplicate]
            total = [a + b for a, b in zip(total, vals)]
            table.add_row(fmt, *map(str, vals))
        table.add_row("total", *map(str, total), style="bold")
        Console().print(table)  # the terminal's width: rich wraps the format names to fit
    out(summary_line(report, paths))
    for f in report.files:
        if f["status"] == "quarantined":
            say(f"quarantined: {f['path']}: {f['reason']}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
