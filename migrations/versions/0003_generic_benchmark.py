"""Schema revision 3: a generic benchmark identity beside the model results.

A result can be a benchmark that is not a model (a harness's ``test_bench.py::test_sort``,
``BM_Sort/1024``): ``results`` gains its name as the tool gives it (``benchmark``), its
parameters as canonical JSON text (``benchmark_params``: sorted keys, so equal maps are equal
text; NULL for none) and the unit the tool reported its headline value in (``reported_unit``).
Such a result has no model, so ``results.model_id`` may be NULL. Model results keep every value
and id they had (their new columns are NULL). ``annotations`` gain ``benchmark`` and
``benchmark_params`` (the parameters an annotation narrows on, JSON text; NULL = any), so an
expected change can be marked on a generic benchmark's series.

Portable on DuckLake: only ADD COLUMN, DROP COLUMN and DROP NOT NULL (SET NOT NULL on a file).
DuckLake 1.5.5 refuses SET NOT NULL on a table without statistics (an empty one) and inside a
transaction that changed it, so a lake taken back to revision 2 keeps ``model_id`` nullable
(every row still has one: the downgrade checks), and the upgrade only drops a NOT NULL that is
there.

The downgrade refuses a warehouse that holds generic benchmark results (revision 2 cannot hold
them, and dropping them silently would lose data): export them first (``benchwh export``) and
delete them, or stay at revision 3.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Appended in this order (ADD COLUMN puts each after the table's last column).
COLUMNS = ("benchmark", "benchmark_params", "reported_unit")
ANNOTATION_COLUMNS = ("benchmark", "benchmark_params")


def _on_lake() -> bool:
    from alembic import context

    return bool(context.config.attributes.get("ducklake", False))


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("results", sa.Column(name, sa.String))
    for name in ANNOTATION_COLUMNS:
        op.add_column("annotations", sa.Column(name, sa.String))
    if op.get_context().as_sql or not _nullable("results", "model_id"):  # a lake taken down keeps it nullable
        op.alter_column("results", "model_id", existing_type=sa.String, nullable=True)


def _nullable(table: str, column: str) -> bool:
    return op.get_bind().execute(sa.text(
        "SELECT is_nullable FROM information_schema.columns WHERE table_name = :t AND column_name = :c "
        "AND table_catalog = current_database() AND table_schema = current_schema()"),
        {"t": table, "c": column}).scalar() == "YES"


def downgrade() -> None:
    bind = op.get_bind()
    if not op.get_context().as_sql:
        generic = bind.execute(sa.text(
            "SELECT count(*) FROM results WHERE benchmark IS NOT NULL OR model_id IS NULL")).scalar()
        if generic:
            raise RuntimeError(
                f"the warehouse holds {generic} generic benchmark result(s), which revision 2 cannot "
                "hold: export them (`benchwh export`) and delete them first, or stay at revision 3")
        marks = bind.execute(sa.text(
            "SELECT count(*) FROM annotations WHERE benchmark IS NOT NULL OR benchmark_params IS NOT NULL")).scalar()
        if marks:
            raise RuntimeError(
                f"the warehouse holds {marks} annotation(s) of generic benchmarks, which revision 2 cannot "
                "hold: delete them first, or stay at revision 3")
    # DuckLake 1.5.5 cannot SET NOT NULL on a table without statistics (an empty one) or in a
    # transaction that changed it; on a lake model_id stays nullable at revision 2 (every row
    # has one: checked above), which revision 2's readers and writer are indifferent to.
    if not _on_lake():
        op.alter_column("results", "model_id", existing_type=sa.String, nullable=False)
    for name in reversed(COLUMNS):
        op.drop_column("results", name)
    for name in reversed(ANNOTATION_COLUMNS):
        op.drop_column("annotations", name)
