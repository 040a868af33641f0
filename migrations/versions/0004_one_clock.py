"""Schema revision 4: one clock, suspected placeholders, merged metadata.

Every time in the warehouse is naive UTC, except times whose zone nothing settles (kept as the
source wrote them). New columns:

- ``time_basis`` on ``runs`` (for ``started_at``) and on ``results``, ``compatibility`` and
  ``test_results`` (for ``measured_at``): ``explicit`` (the source gave the instant: an epoch,
  ``Z`` or an offset), ``inferred`` (naive text moved onto UTC by an offset the source's own
  evidence proves), ``assumed`` (moved by the zone the user stated, ``--source-tz``) or
  ``unknown`` (naive, kept as written). NULL where there is no time.
- ``results.suspected_placeholder`` (boolean, false by default) and
  ``results.placeholder_evidence``: a constant that repeats exactly across runs on different
  days is flagged, with the evidence, beside ``is_simulated``.
- ``runs.metadata_sources`` and ``models.metadata_sources``: JSON text of the values that
  the files mentioning a run or model disagree on, each with its source.
- ``runs.recorded_start`` and ``recorded_at`` on the facts: the time as the source wrote it,
  where the stored time was moved onto UTC (NULL otherwise). Identity uses it, so an id can be
  recomputed from the stored row (``benchwh check``, ``merge``).

Existing rows: earlier imports stored epoch times as UTC and naive text as written, so one run
could sit on two clocks. Where a run's facts lie a whole number of hours H (1..14) from its
start, all agreeing on H within five minutes, the run's start and the facts within half an hour
of it are the naive ones: they move by H hours (``inferred``) and the facts H hours away are
``explicit``. Every other existing time is marked ``unknown`` (nothing in the warehouse says
its zone). No row is added or removed; ids do not change (identity uses the time as the source
wrote it).

Downgrade puts moved times back as the source wrote them (``recorded_at``/``recorded_start``),
so that every id still matches its row, and drops the new columns.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FACTS = ("results", "compatibility", "test_results")
_NEW = {
    "runs": (("time_basis", sa.String), ("metadata_sources", sa.String), ("recorded_start", sa.DateTime)),
    "models": (("metadata_sources", sa.String),),
    "results": (("time_basis", sa.String), ("suspected_placeholder", sa.Boolean),
                ("placeholder_evidence", sa.String), ("recorded_at", sa.DateTime)),
    "compatibility": (("time_basis", sa.String), ("recorded_at", sa.DateTime)),
    "test_results": (("time_basis", sa.String), ("recorded_at", sa.DateTime)),
}

# Runs whose facts sit a whole number of hours from the start, all agreeing: run_id -> hours.
_SHIFTED_RUNS = """
SELECT run_id, min(h) AS h FROM (
    SELECT f.run_id, round((epoch(f.m) - epoch(r.started_at)) / 3600) AS h,
           epoch(f.m) - epoch(r.started_at) AS d
    FROM (SELECT run_id, measured_at AS m FROM results
          UNION ALL SELECT run_id, measured_at FROM compatibility
          UNION ALL SELECT run_id, measured_at FROM test_results) f
    JOIN runs r ON r.run_id = f.run_id
    WHERE f.m IS NOT NULL AND r.started_at IS NOT NULL
      AND abs(epoch(f.m) - epoch(r.started_at)) >= 1800
) x
GROUP BY run_id
HAVING min(h) = max(h) AND abs(min(h)) BETWEEN 1 AND 14 AND max(abs(d - h * 3600)) < 300
"""


def upgrade() -> None:
    for table, cols in _NEW.items():
        for name, kind in cols:
            op.add_column(table, sa.Column(name, kind))
    op.execute("UPDATE results SET suspected_placeholder = false")
    for table in _FACTS:
        # the naive facts of a two-clock run: near its start; they move onto the facts' clock
        op.execute(
            f"UPDATE {table} SET measured_at = {table}.measured_at + to_hours(CAST(s.h AS BIGINT)), "
            f"recorded_at = {table}.measured_at, time_basis = 'inferred' FROM ({_SHIFTED_RUNS}) s, runs r "
            f"WHERE {table}.run_id = s.run_id AND r.run_id = s.run_id AND {table}.measured_at IS NOT NULL "
            f"AND abs(epoch({table}.measured_at) - epoch(r.started_at)) < 1800")
        op.execute(
            f"UPDATE {table} SET time_basis = 'explicit' FROM ({_SHIFTED_RUNS}) s, runs r "
            f"WHERE {table}.run_id = s.run_id AND r.run_id = s.run_id AND {table}.time_basis IS NULL "
            f"AND abs(epoch({table}.measured_at) - epoch(r.started_at) - s.h * 3600) < 300")
        op.execute(f"UPDATE {table} SET time_basis = 'unknown' WHERE time_basis IS NULL AND measured_at IS NOT NULL")
    op.execute(
        f"UPDATE runs SET started_at = runs.started_at + to_hours(CAST(s.h AS BIGINT)), "
        f"recorded_start = runs.started_at, time_basis = 'inferred' "
        f"FROM ({_SHIFTED_RUNS}) s WHERE runs.run_id = s.run_id")
    op.execute("UPDATE runs SET time_basis = 'unknown' WHERE time_basis IS NULL AND started_at IS NOT NULL")


def downgrade() -> None:
    # Times moved onto UTC go back to what the source wrote, so that revision 3's ids (which use
    # that time) still match their rows. Committed on their own: DuckDB refuses an UPDATE and a
    # DROP COLUMN of one table in one transaction.
    for table in _FACTS:
        op.execute(f"UPDATE {table} SET measured_at = recorded_at WHERE recorded_at IS NOT NULL")
    op.execute("UPDATE runs SET started_at = recorded_start WHERE recorded_start IS NOT NULL")
    op.execute("COMMIT")
    op.execute("BEGIN TRANSACTION")
    for table, cols in reversed(list(_NEW.items())):
        for name, _kind in reversed(cols):
            op.drop_column(table, name)
