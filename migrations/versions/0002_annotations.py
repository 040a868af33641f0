"""Schema revision 2: annotations marking intentional changes in a result series.

``benchwh annotate`` writes one row per expected change; regression detection restarts a
series' baseline at an annotation's ``effective_at``. NULL filter columns match any value.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotations",
        sa.Column("annotation_id", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("model_name", sa.String),
        sa.Column("hardware_type", sa.String),
        sa.Column("device_name", sa.String),
        sa.Column("batch_size", sa.Integer),
        sa.Column("sequence_length", sa.Integer),
        sa.Column("precision", sa.String),
        sa.Column("metric", sa.String),
        sa.Column("effective_at", sa.DateTime, nullable=False),
        sa.Column("note", sa.String),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("annotations")
