"""Alembic environment for benchwh.

Called by ``benchwh.warehouse.migrate``, which passes either a live SQLAlchemy connection
(``config.attributes["connection"]``) or, for ``--sql``, nothing (offline mode renders DuckDB
SQL). One transaction per migration: on duckdb 1.5 an UPDATE then DROP COLUMN of the same table
in one transaction fails at COMMIT.
"""

from __future__ import annotations

from alembic import context
from alembic.ddl.impl import DefaultImpl


class DuckDBImpl(DefaultImpl):
    """Alembic has no DuckDB dialect implementation; DuckDB DDL is transactional."""

    __dialect__ = "duckdb"
    transactional_ddl = True


config = context.config
lake = bool(config.attributes.get("ducklake", False))


def run_offline() -> None:
    context.configure(
        url="duckdb://",
        dialect_name="duckdb",
        literal_binds=True,
        transaction_per_migration=True,
        version_table_pk=not lake,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        transaction_per_migration=True,
        # DuckLake has no primary keys; the version table must not ask for one.
        version_table_pk=not lake,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
