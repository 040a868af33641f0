"""Alembic migrations for the benchwh schema, shipped inside the package as
``benchwh.migrations`` so ``benchwh migrate`` finds them from any directory."""

from pathlib import Path

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
