"""``benchwh adopt LEGACY``: bring an un-versioned legacy warehouse file into this one."""

from __future__ import annotations

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, JsonOpt, out, out_json, warehouse


def adopt(
    legacy: Annotated[str, typer.Argument(
        help="The legacy file: a DuckDB or SQLite database, a Parquet store or a CSV table export.",
        show_default=False)],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read and convert only: report what would be adopted, write nothing.")] = False,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Adopt a legacy warehouse: carry its real rows over with provenance.

    The legacy file is opened read-only and never modified. Its families
    are recognised by the tables and columns inside: star schema and its
    drifted copy, web tables, flat converter tables, the Parquet store.
    Seeded sample, synthetic and zero-filled rows are not imported as
    measurements; they are counted with their reasons. Adopting the same
    file twice adds nothing.
    """
    report = warehouse(db, data_path).adopt(legacy, dry_run=dry_run)
    if as_json:
        out_json(report.to_dict())
        return
    out(_render(report))


def _render(report) -> str:
    """The summary table: one line per legacy table, then the reasons with their counts."""
    lines = [
        f"{'would adopt' if report.dry_run else 'adopted'} {report.file} ({report.kind}, family {report.family})",
        f"sha256 {report.sha256}",
        "",
        f"{'legacy table':<30} {'rows':>7} {'carried':>8} {'flagged':>8} {'refused':>8}",
    ]
    flagged: dict[str, int] = {}
    refused: dict[str, int] = {}
    for t in report.flagged:
        flagged[t.table] = flagged.get(t.table, 0) + t.count
    for t in report.refused:
        refused[t.table] = refused.get(t.table, 0) + t.count
    for table, n in report.rows.items():
        if n:
            lines.append(f"{table:<30} {n:>7,} {report.carried.get(table, 0):>8,} "
                         f"{flagged.get(table, 0):>8,} {refused.get(table, 0):>8,}")
    lines.append(f"{'total':<30} {sum(report.rows.values()):>7,} {report.n_carried:>8,} "
                 f"{report.n_flagged:>8,} {report.n_refused:>8,}")
    for word, tallies in (("flagged (not measurements)", report.flagged), ("refused", report.refused)):
        if tallies:
            lines += ["", f"{word}:"]
            lines += [f"  {t.count:>6,}  {t.table}: {t.reason}" for t in tallies]
    if report.zero_fills_nulled:
        lines += ["", "zero fills stored as missing (None) in carried rows:"]
        lines += [f"  {n:>6,}  {f}" for f, n in report.zero_fills_nulled.items()]
    rec = report.records
    lines += ["", f"records: {rec['results']} results, {rec['compat']} compatibility facts, "
                  f"{rec['tests']} test outcomes, {rec['runs']} runs"]
    if report.inserted is not None:
        new = {k: v for k, v in report.inserted.items() if v}
        lines.append("new warehouse rows: " + (", ".join(f"{k} {v}" for k, v in new.items()) or "none"))
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("adopt")(adopt)
