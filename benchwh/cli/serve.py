"""``benchwh serve``: the read-only web dashboard (``benchwh.serve``)."""

from __future__ import annotations

import os
from typing import Optional

import typer
from typing_extensions import Annotated

from benchwh.cli.common import DataPathOpt, DbOpt, warehouse, say


def serve(
    db: DbOpt = None,
    data_path: DataPathOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8765,
    token: Annotated[Optional[str], typer.Option("--token", help="Every request must carry it (default: $BENCHWH_SERVE_TOKEN).", show_default=False)] = None,
    stale_after: Annotated[float, typer.Option("--stale-after", help="Seconds without a progress update before a run whose process is gone shows as stale.")] = 60.0,
    sql_rows: Annotated[int, typer.Option("--sql-rows", help="Row limit of the SQL page.")] = 1000,
    sql_timeout: Annotated[float, typer.Option("--sql-timeout", help="Time limit of the SQL page, seconds.")] = 5.0,
) -> None:
    """A read-only web app over the warehouse: overview (regressions since a date, coverage,
    latest results), model pages with the report's charts, run comparison with significance,
    compatibility matrix, runs with live progress, guarded read-only SQL."""
    from benchwh.errors import QueryError
    from benchwh.serve.app import ENV_TOKEN, LOOPBACK_NAMES, Config, is_loopback
    from benchwh.serve.app import serve as run_server
    wh = warehouse(db, data_path)
    loc = wh.location
    if wh.in_memory:
        raise QueryError("--db :memory: cannot be served: each request opens the warehouse afresh; pass a file or a lake")
    if sql_rows < 1 or sql_timeout <= 0 or stale_after <= 0:
        raise QueryError("--sql-rows, --sql-timeout and --stale-after must be positive")
    token = token or os.environ.get(ENV_TOKEN) or None
    hosts = (*LOOPBACK_NAMES, host.lower()) if is_loopback(host) and not token else None
    cfg = Config(db=loc, token=token, stale_after_s=stale_after, sql_row_limit=sql_rows,
                 sql_timeout_s=sql_timeout, allowed_hosts=hosts)
    say(f"serving {loc} read-only on http://{host}:{port}/")
    run_server(cfg, host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
