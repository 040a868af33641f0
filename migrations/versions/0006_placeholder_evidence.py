"""Schema revision 6: placeholder evidence that a growing group leaves as it is.

``results.placeholder_evidence`` named, for each headline number of a suspected placeholder,
how many runs and days repeated it and between which days (``latency_ms_mean = 20.0 exactly in
3 runs on 2 days (2025-03-01 .. 2025-03-02)``), so every row of a group was rewritten whenever
a row joined the group: an import's time and memory grew with the table. From this revision the
evidence names the number and that it repeats on two or more days (``latency_ms_mean = 20.0
exactly, in runs on two or more days``); the counts are one query away (the group is the
model, hardware, scenario and the number). The upgrade rewrites the stored evidence into that
form (the same numbers, in the same order: which rows are flagged does not change). No row is
added or removed, no id changes, no column changes. The downgrade keeps the text as it is: it
names the same numbers, and revision 5 reads it as text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE results SET placeholder_evidence = regexp_replace(placeholder_evidence, "
               "' exactly in [0-9]+ runs on [0-9]+ days \\([^)]*\\)', ' exactly, in runs on two or more days', 'g') "
               "WHERE placeholder_evidence LIKE '% exactly in % runs on % days (%'")


def downgrade() -> None:
    pass  # the text names the same numbers; nothing to put back
