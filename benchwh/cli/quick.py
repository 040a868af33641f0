"""The ``benchwh`` entry point: ``benchwh status`` answered without typer, everything else
handed to ``benchwh.cli.main``.

Building the typer app and coercing its options loads typer, pydantic and every command module
(most of a second on a busy machine) before any work starts; ``status`` is what people and
scripts call to see where they are, so it gets a plain parser. Only the spellings
``status [--db X] [--data-path Y] [--json]`` take this path; anything else (``--help``, a typo,
a repeated option) goes through typer, which answers it as it always does.
"""

from __future__ import annotations

import sys


def show_status(db: str | None, data_path: str | None, as_json: bool) -> dict:
    """What ``benchwh status`` prints (the typer command calls this too); returns the status."""
    from benchwh.api import Warehouse

    info = Warehouse(db, data_path).status()  # a truncated or foreign file: one line naming it
    if as_json:
        import json

        print(json.dumps(info, indent=2, sort_keys=False, default=str))
        return info
    lines = [f"location:  {info['location']}", f"backend:   {info['backend']}"]
    if not info["exists"]:
        lines.append("warehouse: does not exist yet (run `benchwh migrate` to create it)")
    lines.append(f"revision:  {info['current_revision'] or 'none'} (head {info['head_revision']})")
    if info.get("ahead"):
        lines.append("pending:   warehouse is AHEAD of this benchwh: upgrade benchwh")
    else:
        lines.append(f"pending:   {', '.join(info['pending']) if info['pending'] else 'none'}")
    lines.extend(f"  {table:<15} {n:>10,}" for table, n in info["tables"].items())
    print("\n".join(lines))
    return info


def status_options(argv: list[str]) -> dict | None:
    """``{"db", "data_path", "as_json"}`` for a plain ``status`` call, else None."""
    if not argv or argv[0] != "status":
        return None
    opts: dict = {"db": None, "data_path": None, "as_json": False}
    names = {"--db": "db", "--data-path": "data_path"}
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg == "--json" and not opts["as_json"]:
            opts["as_json"] = True
        elif arg in names and rest and opts[names[arg]] is None and not rest[0].startswith("-"):
            opts[names[arg]] = rest.pop(0)
        else:
            return None
    return opts


def main(argv: list[str] | None = None) -> None:
    opts = status_options(sys.argv[1:] if argv is None else list(argv))
    if opts is None:
        from benchwh.cli.main import main as full

        return full(argv)
    from benchwh.errors import BenchwhError

    try:
        if not show_status(**opts)["exists"]:
            sys.exit(1)  # no warehouse: the same exit as every other command
    except (BenchwhError, KeyboardInterrupt) as e:  # as benchwh.cli.main does: one line, exit 1
        from benchwh.cli.hints import fail

        fail(e)


if __name__ == "__main__":
    main()
