"""Warehouse commands: migrate, status, check, merge, export, adopt."""

from __future__ import annotations

from typing import List, Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, JsonOpt, out, out_json, say, warehouse


def migrate(
    to: Annotated[str, typer.Option("--to", help="Target revision, 'head' or 'base'.")] = "head",
    sql: Annotated[bool, typer.Option("--sql", help="Print the SQL instead of running it; the warehouse is not touched.")] = False,
    keep_backups: Annotated[int, typer.Option(
        "--keep-backups", help="How many of the file's newest migrate backups to keep (older ones are deleted).")] = 3,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
) -> None:
    """Upgrade or downgrade the warehouse schema (creates the warehouse if it does not exist).

    A file warehouse is backed up beside itself first (its WAL folded in, the copy checked row for
    row); a failed migration that committed anything restores it.
    """
    wh = warehouse(db, data_path)
    if sql:
        out(wh.migrate_sql(to))
        return
    result = wh.migrate(to, say=say, keep_backups=keep_backups)
    out(result.message)


def status(db: DbOpt = None, data_path: DataPathOpt = None, as_json: JsonOpt = False) -> None:
    """Location, backend, current and head revision, pending revisions, rows per table."""
    from benchwh.cli.quick import show_status

    if not show_status(db, data_path, as_json)["exists"]:
        raise typer.Exit(1)  # no warehouse: the same exit as every other command


def check(db: DbOpt = None, data_path: DataPathOpt = None, as_json: JsonOpt = False) -> None:
    """Integrity: orphaned rows, duplicate ids, ledger/facts disagreements. Exit 1 if any."""
    result = warehouse(db, data_path).check()
    if as_json:
        out_json(result)
    else:
        for p in result["problems"]:
            out(f"PROBLEM {p['check']}: {p['count']} (e.g. {', '.join(map(str, p['examples']))})")
        out(f"{len(result['checked'])} checks, {len(result['problems'])} problem(s)"
            + ("" if result["problems"] else ": warehouse is consistent"))
    if not result["ok"]:
        raise typer.Exit(1)


def merge(
    others: Annotated[List[str], typer.Argument(help="Other benchwh warehouses to append into this one.")],
    other_data_path: Annotated[Optional[str], typer.Option(
        "--other-data-path", help="Data folder of the other warehouses when they are PostgreSQL-catalog "
        "lakes with their own data folder (default: this warehouse's).", show_default=False)] = None,
    db: DbOpt = None,
    data_path: DataPathOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Append other benchwh warehouses (e.g. one per CI job) into this one. Idempotent."""
    reports = warehouse(db, data_path).merge(others, data_path=other_data_path)
    if as_json:
        out_json([vars(r) for r in reports])
        return
    for rep in reports:
        added = ", ".join(f"{t} +{n}" for t, n in rep.added.items() if rep.seen.get(t))
        out(f"merged {rep.source}: {added or 'nothing to add'}")
        for t, n in rep.refused.items():
            say(f"refused {n} {t} row(s) of {rep.source} whose ids do not match their content or that hold impossible values "
                f"(forged or corrupted; e.g. {', '.join(rep.refused_examples.get(t, []))})")


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)
    app.command("status")(status)
    app.command("check")(check)
    app.command("merge")(merge)
