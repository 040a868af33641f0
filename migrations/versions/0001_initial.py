"""Schema revision 1: runs, models, hardware, results, compatibility, test results, import ledger.

Portable on DuckLake: no sequences, indexes, primary/unique keys or foreign keys. Every id is a
content hash computed by benchwh (``benchwh.records``); integrity is checked by ``benchwh check``.
Metrics are DOUBLE (``sa.Float`` would be a 4-byte REAL); JSON documents are VARCHAR holding JSON
text; raw latency samples are a DOUBLE[] list.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("runs", "models", "hardware", "results", "compatibility", "test_results", "import_ledger")


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.String, nullable=False)


def _provenance() -> list[sa.Column]:
    return [
        sa.Column("source_file", sa.String),
        sa.Column("source_sha256", sa.String),
        sa.Column("source_pointer", sa.String),
    ]


def _simulation() -> list[sa.Column]:
    return [
        sa.Column("is_simulated", sa.Boolean, nullable=False),
        sa.Column("simulation_reason", sa.String),
    ]


def upgrade() -> None:
    op.create_table(
        "runs",
        _id("run_id"),
        sa.Column("origin", sa.String, nullable=False),
        sa.Column("started_at", sa.DateTime),
        sa.Column("run_key", sa.String),
        sa.Column("git_commit", sa.String),
        sa.Column("git_branch", sa.String),
        sa.Column("command_line", sa.String),
        sa.Column("host", sa.String),
        sa.Column("python_version", sa.String),
        sa.Column("library_versions", sa.String),
        sa.Column("environment", sa.String),
        sa.Column("hardware_fingerprint", sa.String),
        sa.Column("metadata", sa.String),
        sa.Column("inserted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "models",
        _id("model_id"),
        sa.Column("model_name", sa.String, nullable=False),
        sa.Column("model_family", sa.String),
        sa.Column("modality", sa.String),
        sa.Column("metadata", sa.String),
        sa.Column("inserted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "hardware",
        _id("hardware_id"),
        sa.Column("hardware_type", sa.String, nullable=False),
        sa.Column("device_name", sa.String),
        sa.Column("inserted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "results",
        _id("result_id"),
        _id("run_id"),
        _id("model_id"),
        _id("hardware_id"),
        sa.Column("model_family", sa.String),
        sa.Column("modality", sa.String),
        sa.Column("mode", sa.String, nullable=False),
        sa.Column("scenario", sa.String),
        sa.Column("batch_size", sa.Integer),
        sa.Column("sequence_length", sa.Integer),
        sa.Column("input_shape", sa.String),
        sa.Column("precision", sa.String),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("error", sa.String),
        *[sa.Column(f"latency_ms_{s}", sa.Double) for s in
          ("mean", "p50", "p90", "p95", "p99", "min", "max", "std")],
        sa.Column("latency_samples_ms", sa.ARRAY(sa.Double)),
        sa.Column("throughput_items_per_s", sa.Double),
        sa.Column("throughput_tokens_per_s", sa.Double),
        sa.Column("memory_peak_mb", sa.Double),
        sa.Column("load_time_ms", sa.Double),
        sa.Column("iterations", sa.Integer),
        sa.Column("warmup_iterations", sa.Integer),
        sa.Column("metrics", sa.String),
        *_simulation(),
        sa.Column("measured_at", sa.DateTime),
        *_provenance(),
        sa.Column("inserted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "compatibility",
        _id("compat_id"),
        _id("run_id"),
        _id("model_id"),
        _id("hardware_id"),
        sa.Column("compatible", sa.Boolean),
        sa.Column("status", sa.String),
        sa.Column("error", sa.String),
        sa.Column("details", sa.String),
        *_simulation(),
        sa.Column("measured_at", sa.DateTime),
        *_provenance(),
        sa.Column("inserted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "test_results",
        _id("test_id"),
        _id("run_id"),
        sa.Column("module", sa.String),
        sa.Column("test_name", sa.String, nullable=False),
        sa.Column("model_name", sa.String),
        sa.Column("hardware_type", sa.String),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("duration_s", sa.Double),
        sa.Column("error", sa.String),
        sa.Column("details", sa.String),
        *_simulation(),
        sa.Column("measured_at", sa.DateTime),
        *_provenance(),
        sa.Column("inserted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "import_ledger",
        _id("ledger_id"),
        sa.Column("file_sha256", sa.String, nullable=False),
        sa.Column("path", sa.String, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("format", sa.String),
        sa.Column("parser_version", sa.Integer),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("results", sa.Integer, nullable=False),
        sa.Column("compat", sa.Integer, nullable=False),
        sa.Column("tests", sa.Integer, nullable=False),
        sa.Column("reason", sa.String),
        sa.Column("imported_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
