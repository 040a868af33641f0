"""The ``benchwh`` entry point: ``benchwh status`` and the option-only ``query`` commands
answered without typer's parsing, everything else handed to ``benchwh.cli.main``.

Building the typer app and coercing its options loads pydantic (typer coerces every value
through it) and every command module (most of a second on a busy machine) before any work
starts. ``status`` is what people and scripts call to see where they are, so it gets a plain
parser; ``query latest|compare-hardware|compare-models|trend|matrix|runs`` (what scripts and
dashboards call) is read from the command's own typer declarations (``query_options``), in the
plain spellings only: ``--name value`` and flags, each option once (``--param`` as often as
wanted), every required one given. Anything else (``--help``, a typo, ``--name=value``, a value that is not a number where one
is wanted, a repeated option) goes through typer, which answers it as it always does.
"""

from __future__ import annotations

import sys
from typing import Any


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


def query_options(command, argv: list[str]) -> dict | None:
    """The keyword arguments typer would call ``command`` (a ``benchwh.cli.query`` command) with
    for the options ``argv``, read from its signature's ``typer.Option`` declarations; None for
    anything but the plain spellings (typer answers those)."""
    import re
    import typing

    from typer.models import OptionInfo
    from typer.utils import get_params_from_function  # typer's own reading of the declarations

    flags: dict[str, tuple[str, Any]] = {}
    kw: dict[str, Any] = {}
    required: set[str] = set()
    for name, meta in get_params_from_function(command).items():
        info = meta.default
        if not isinstance(info, OptionInfo) or info.envvar is not None or not info.param_decls:
            return None  # an argument, or an option typer may fill from the environment
        kind = [t for t in typing.get_args(meta.annotation) if t is not type(None)] \
            if typing.get_origin(meta.annotation) is typing.Union else [meta.annotation]
        if len(kind) != 1 or any("/" in decl for decl in info.param_decls):
            return None
        for decl in info.param_decls:
            flags[decl] = (name, kind[0])
        if info.default is ...:
            required.add(name)
        else:
            kw[name] = info.default
    given: set[str] = set()
    rest = list(argv)
    while rest:
        name, kind = flags.get(rest.pop(0), (None, None))
        repeatable = typing.get_origin(kind) is list and typing.get_args(kind) == (str,)
        if name is None or (name in given and not repeatable):
            return None
        if kind is bool:
            kw[name] = True
        elif not rest or rest[0].startswith("-"):
            return None  # a value that looks like an option: typer decides what it means
        elif kind is int and re.fullmatch(r"\d+", rest[0]):
            kw[name] = int(rest.pop(0))
        elif kind is str:
            kw[name] = rest.pop(0)
        elif repeatable:
            kw[name] = (kw[name] if name in given else []) + [rest.pop(0)]
        else:
            return None
        given.add(name)
    return kw if required <= given else None


def main(argv: list[str] | None = None) -> None:
    from benchwh.cli.hints import guarded

    args = sys.argv[1:] if argv is None else list(argv)
    opts = status_options(args)
    if opts is not None:
        def status() -> None:
            if not show_status(**opts)["exists"]:
                sys.exit(1)  # no warehouse: the same exit as every other command

        return guarded(status)
    if len(args) >= 2 and args[0] == "query":
        from benchwh.cli.query import COMMANDS

        command = COMMANDS.get(args[1])
        kw = query_options(command, args[2:]) if command is not None else None
        if kw is not None:
            return guarded(lambda: command(**kw))
    from benchwh.cli.main import main as full

    return full(argv)


if __name__ == "__main__":
    main()
