"""Entry point of the ``benchwh`` command: builds the app and turns errors into one line.

Every ``BenchwhError`` becomes ``Error: <message>`` on stderr and exit code 1 through
``benchwh.cli.hints.guarded`` (which the quick paths of ``benchwh.cli.quick`` share);
``BENCHWH_DEBUG=1`` shows the traceback too.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from benchwh import __version__

app = typer.Typer(
    name="benchwh",
    help="benchwh: one warehouse for ML benchmark results (latency, throughput, memory).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    rich_markup_mode=None,  # plain help: `--help` need not load rich (a third of a second)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"benchwh {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """benchwh: one warehouse for ML benchmark results (latency, throughput, memory)."""


# Help lists commands in this order (warehouse, data in, data out); modules not named here
# follow alphabetically.
ORDER = ("core", "importing", "adopt", "run", "query", "regress", "report", "export")


def _register_all() -> None:
    import benchwh.cli as pkg

    rank = {name: i for i, name in enumerate(ORDER)}
    mods = sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: (rank.get(i.name, len(ORDER)), i.name))
    for info in mods:
        if info.name in ("main", "common", "hints", "quick", "render") or info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        if hasattr(mod, "register"):
            mod.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    # typer's standalone mode handles usage errors and exits; our errors propagate to here.
    from benchwh.cli.hints import guarded

    guarded(lambda: app(args=argv, prog_name="benchwh"))


if __name__ == "__main__":
    main()
