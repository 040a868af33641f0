"""The typer CLI: one module per command group, each exposing ``register(app)``.

Command modules import nothing heavy at module level (no duckdb, polars, torch): ``benchwh
--help`` must answer fast and without the runner extras.
"""
