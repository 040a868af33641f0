"""Ask the warehouse: the functions behind ``benchwh query`` (each returns a Polars DataFrame).

``latest``, ``compare_hardware``, ``compare_models``, ``trend``, ``matrix`` and ``runs`` take a
DuckDB connection or a warehouse location plus :class:`Filters`; ``run_sql`` runs one checked,
read-only SQL query. Importing this package loads no heavy module (Polars, sqlglot and DuckDB
load when a function runs).
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "latest": "benchwh.warehouse.queries", "compare_hardware": "benchwh.warehouse.queries",
    "compare_models": "benchwh.warehouse.queries", "trend": "benchwh.warehouse.queries",
    "matrix": "benchwh.warehouse.queries", "runs": "benchwh.warehouse.queries",
    "METRICS": "benchwh.warehouse.queries", "run_sql": "benchwh.warehouse.sqlguard",
    "check_sql": "benchwh.warehouse.sqlguard", "Filters": "benchwh.warehouse.read",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'benchwh.query' has no attribute {name!r}")
