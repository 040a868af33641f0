"""Alembic migrations for the benchwh schema, shipped inside the package as
``benchwh.migrations`` so ``benchwh migrate`` finds them from any directory."""

from pathlib import Path

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)

# The revision chain, oldest first. Commands that only need to *check* a warehouse's revision
# read these instead of loading alembic (which costs a second at startup); a test asserts they
# equal alembic's own view of the versions folder.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006")
HEAD = REVISIONS[-1]
