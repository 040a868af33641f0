"""``--db-path``, ``--no-db-store``, ``--visualize-from-db`` (and ``--results-json``) for any
argparse or typer program, and a Recorder built from them.

    parser = argparse.ArgumentParser()
    add_db_options(parser)                     # argparse: adds the options
    opts = DbOptions.from_args(parser.parse_args())

    @app.command()
    @add_db_options                            # typer: adds them to the command
    def bench(model: str, db_options: DbOptions): ...

    with opts.recorder(origin="my_bench") as rec: ...
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Optional

HELP = {
    "db_path": "Warehouse to write results to (default: $BENCHWH_DB, else ./benchwh.duckdb).",
    "no_db_store": "Do not touch the warehouse: write results to --results-json instead "
                   "(for a machine without the warehouse stack; `benchwh import` reads the file later).",
    "visualize_from_db": "After the run, draw what the warehouse holds for the measured models into this PNG.",
    "results_json": "Also (with --no-db-store: only) write the results to this benchwh interchange JSON file.",
}


@dataclass
class DbOptions:
    db_path: Optional[str] = None
    no_db_store: bool = False
    visualize_from_db: Optional[str] = None
    results_json: Optional[str] = None

    @classmethod
    def from_args(cls, ns: argparse.Namespace) -> "DbOptions":
        return cls(ns.db_path, ns.no_db_store, ns.visualize_from_db, ns.results_json)

    def recorder(self, origin: str, **kwargs: Any):
        """A Recorder honouring these options. With --no-db-store and no --results-json the
        results go to ``<origin>-<run start>.json`` in the current folder (never dropped)."""
        from benchwh.recorder import Recorder

        output = self.results_json
        if self.no_db_store and output is None:
            from benchwh.runners.environment import utc_now

            output = f"{origin.replace('.', '_')}-{utc_now().strftime('%Y%m%dT%H%M%S')}.json"
        return Recorder(self.db_path, origin=origin, store=not self.no_db_store, output=output,
                        visualize=self.visualize_from_db, **kwargs)


def _add_argparse(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    g = parser.add_argument_group("benchwh warehouse")
    g.add_argument("--db-path", dest="db_path", default=None, metavar="PATH", help=HELP["db_path"])
    g.add_argument("--no-db-store", dest="no_db_store", action="store_true", help=HELP["no_db_store"])
    g.add_argument("--visualize-from-db", dest="visualize_from_db", default=None, metavar="FILE.png",
                   help=HELP["visualize_from_db"])
    g.add_argument("--results-json", dest="results_json", default=None, metavar="FILE.json",
                   help=HELP["results_json"])
    return parser


def add_db_options(target: Any) -> Any:
    """Add the warehouse options to an argparse parser (returns the parser) or to a typer
    command function (use as a decorator; the function takes ``db_options: DbOptions``)."""
    if isinstance(target, argparse.ArgumentParser):
        return _add_argparse(target)
    if callable(target):
        from benchwh.cli._runner_options import add_typer_db_options  # typer lives in the CLI layer

        return add_typer_db_options(target)
    raise TypeError(f"add_db_options takes an argparse.ArgumentParser or a typer command function, "
                    f"not {type(target).__name__}")
