"""``benchwh import``: legacy JSON result files into the warehouse."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, WideOpt, out, say, warehouse


def import_(
    paths: Annotated[Optional[List[str]], typer.Argument(help="Result files or folders (searched recursively; files no importer reads are counted as not read).", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would happen; write nothing.")] = False,
    fmt: Annotated[Optional[str], typer.Option("--format", help="Force this importer (see --list-formats).", show_default=False)] = None,
    report_file: Annotated[Optional[Path], typer.Option("--report", help="Write a per-file JSON report here.", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 if any file was quarantined.")] = False,
    list_formats: Annotated[bool, typer.Option("--list-formats", help="List the known formats and exit.")] = False,
    max_file_size: Annotated[Optional[str], typer.Option(
        "--max-file-size", help="Quarantine files larger than this unread (e.g. 64MB; default $BENCHWH_IMPORT_MAX_FILE_SIZE, else 64MB).",
        show_default=False)] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=1, help="Worker processes converting files (default: one per CPU; 1 = in this process).", show_default=False)] = None,
    source_tz: Annotated[Optional[str], typer.Option("--source-tz", help="Zone of naive times a file does not settle itself, e.g. America/Los_Angeles or UTC-08:00 (default: keep them as written, zone unknown).", show_default=False)] = None,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
    wide: WideOpt = False,
) -> None:
    """Import benchmark result files (legacy JSON and benchmark-harness output): every format
    recognised by content, idempotently.

    Unknown or malformed files are quarantined with a reason (not fatal); files already
    imported are recognised by content hash and add nothing; files no importer reads are
    counted as not read.
    """
    if list_formats:
        from benchwh.legacy_import.registry import importers

        for imp in importers():
            out(f"{imp.name:<28} {', '.join(imp.formats):<10} {imp.description}")
        return
    if not paths:
        raise typer.BadParameter("give at least one file or folder", param_hint="PATHS")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    wh = warehouse(db, data_path)
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.description}"), transient=True, auto_refresh=False,
                  disable=not sys.stderr.isatty()) as bar:  # no refresh thread: see pandas_hidden
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, rel: str) -> None:
            if done == 1 or done % 50 == 0 or done == total:
                bar.update(task, completed=done, total=total, description=rel[-50:], refresh=True)

        with _ReportWriter(report_file, dry_run) as sink:
            report = wh.import_(paths, format=fmt, dry_run=dry_run, progress=progress, jobs=jobs,
                                max_file_size=max_file_size, source_tz=source_tz, sink=sink)
            sink.finish(report)
    _print_summary(report, paths, wide)
    if report_file:
        say(f"report written to {report_file}")
    if strict and report.quarantined:
        say(f"--strict: {report.quarantined} file(s) quarantined")
        raise typer.Exit(1)


def summary_line(report, paths) -> str:
    """One line saying what the import did, from its counts: files found, added, already
    imported (only files the ledger had), quarantined (and how many are not valid JSON),
    skipped, not read."""
    st = report.statuses
    n_read = sum(v for k, v in st.items() if k != "not read")
    where = ", ".join(map(str, paths))
    if not n_read:
        others = st.get("not read", 0)
        return (f"no result files found in {where}" + (f" ({others} other file(s): not read)" if others else "")
                + "; nothing imported")
    imported = st.get("imported", 0) + st.get("imported (nothing new)", 0)
    quarantined = st.get("quarantined", 0)
    bad_json = sum(1 for f in report.quarantined_files if str(f.get("reason") or "").startswith("malformed JSON"))
    if st.get("already imported", 0) == n_read:
        return f"nothing new: all {n_read} file(s) already imported"
    if quarantined == n_read:
        return (f"nothing imported: all {n_read} file(s) quarantined" + (f" ({bad_json} not valid JSON)" if bad_json else "")
                + "; reasons below")
    verb = "would add" if report.dry_run else "added"
    a = report.added
    parts = [f"{verb} {a.get('results', 0)} results, {a.get('compatibility', 0)} compatibility facts, "
             f"{a.get('test_results', 0)} test outcomes from {imported} of {n_read} file(s)"]
    if st.get("already imported"):
        parts.append(f"{st['already imported']} already imported")
    if st.get("same content as another file"):
        parts.append(f"{st['same content as another file']} the same content as another file of this import")
    if st.get("skipped"):
        parts.append(f"{st['skipped']} skipped (no results in them)")
    if quarantined:
        parts.append(f"{quarantined} quarantined" + (f", {bad_json} of them not valid JSON" if bad_json else ""))
    if imported and not sum(a.get(t, 0) for t in ("results", "compatibility", "test_results")):
        parts.append("their contents were all in the warehouse already")
    return "; ".join(parts)


def _print_summary(report, paths=(), wide: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    title = "import (dry run: nothing written)" if report.dry_run else "import"
    if report.by_format:
        table = Table(title=title)
        for col in ("format", "files", "results", "compat", "tests", "skipped", "quarantined", "duplicate"):
            table.add_column(col, justify="left" if col == "format" else "right")
        total = [0] * 7
        for fmt, s in sorted(report.by_format.items()):
            vals = [s.files, s.results, s.compat, s.tests, s.skipped, s.quarantined, s.duplicate]
            total = [a + b for a, b in zip(total, vals)]
            table.add_row(fmt, *map(str, vals))
        table.add_row("total", *map(str, total), style="bold")
        # The terminal's width: rich wraps the format names to fit (--wide: never wrapped).
        (Console(width=10_000) if wide else Console()).print(table)
    out(summary_line(report, paths))
    if report.not_read:
        out(f"not read: {sum(report.not_read.values())} file(s) no importer reads ("
            + ", ".join(f"{ext} {n}" for ext, n in sorted(report.not_read.items()))
            + "); --report lists them")
    for f in report.quarantined_files:
        say(f"quarantined: {f['path']}: {f['reason']}")


class _ReportWriter:
    """``--report``: each file's entry written as it is decided (the document ``ImportReport
    .to_json`` describes, streamed), so the import keeps no per-file list. Without a report
    file, entries are dropped (the summary needs only the counts)."""

    def __init__(self, path: Path | None, dry_run: bool):
        self.path, self.dry_run, self.f, self.n = path, dry_run, None, 0
        self.tmp = path.with_name(f".{path.name}.tmp") if path is not None else None

    def __enter__(self) -> "_ReportWriter":
        if self.path is not None:
            self.f = open(self.tmp, "w")  # renamed into place when complete
            self.f.write('{"dry_run": ' + json.dumps(self.dry_run) + ',\n "files": [')
        return self

    def __call__(self, entry: dict) -> None:
        if self.f is not None:
            self.f.write((",\n  " if self.n else "\n  ") + json.dumps(entry, default=str))
            self.n += 1

    def finish(self, report) -> None:
        if self.f is not None:
            doc = report.to_json()
            rest = "".join(f',\n "{k}": ' + json.dumps(v, default=str)
                           for k, v in doc.items() if k not in ("dry_run", "files"))
            self.f.write("\n ]" + rest + "\n}\n")
            self.f.close()
            self.f = None
            self.tmp.replace(self.path)

    def __exit__(self, *exc) -> None:
        if self.f is not None:  # the import failed: no half report
            self.f.close()
            self.tmp.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
