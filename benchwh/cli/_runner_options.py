"""The typer side of ``benchwh.runners.options.add_db_options``: a runner script's typer command
gets ``--db-path``, ``--no-db-store``, ``--visualize-from-db`` and ``--results-json``."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional

import typer
from typing_extensions import Annotated

from benchwh.runners.options import HELP, DbOptions


def add_typer_db_options(fn: Callable) -> Callable:
    """``fn`` (a typer command taking ``db_options: DbOptions``) with the warehouse options as
    its own typer options; the wrapper builds the ``DbOptions`` and passes it on."""
    sig = inspect.signature(fn)
    if "db_options" not in sig.parameters:
        raise TypeError(f"{fn.__name__} must take a `db_options: DbOptions` parameter")
    extra = [
        inspect.Parameter("db_path", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[Optional[str], typer.Option("--db-path", help=HELP["db_path"])]),
        inspect.Parameter("no_db_store", inspect.Parameter.KEYWORD_ONLY, default=False,
                          annotation=Annotated[bool, typer.Option("--no-db-store", help=HELP["no_db_store"])]),
        inspect.Parameter("visualize_from_db", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[Optional[str], typer.Option("--visualize-from-db", help=HELP["visualize_from_db"])]),
        inspect.Parameter("results_json", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[Optional[str], typer.Option("--results-json", help=HELP["results_json"])]),
    ]
    own = [p for name, p in sig.parameters.items() if name != "db_options"]
    var_kw = [p for p in own if p.kind == inspect.Parameter.VAR_KEYWORD]
    params = [p for p in own if p.kind != inspect.Parameter.VAR_KEYWORD] + extra + var_kw

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opts = DbOptions(*(kwargs.pop(k) for k in ("db_path", "no_db_store", "visualize_from_db", "results_json")))
        return fn(*args, db_options=opts, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)  # what typer reads
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must not look through to the original signature
    return wrapper
