"""Schema revision 5: a short key for each file of the import ledger.

``import_ledger.file_key`` (BIGINT): the first 60 bits of ``file_sha256`` (its first 15 hex
digits), so that an import checks its files against the ledger by scanning 8 bytes a file
instead of 64 characters (the full digest is then compared only where a key matched: none, for
new files). NULL where ``file_sha256`` is not a 64-digit lowercase hex digest (the check then
falls back to comparing digests). Existing rows are filled in; no row is added or removed and
no id changes. Downgrade drops the column (it is derived from ``file_sha256``: nothing is lost).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_ledger", sa.Column("file_key", sa.BigInteger))
    op.execute("UPDATE import_ledger SET file_key = CAST('0x' || substr(file_sha256, 1, 15) AS BIGINT) "
               "WHERE regexp_full_match(file_sha256, '[0-9a-f]{64}')")


def downgrade() -> None:
    op.drop_column("import_ledger", "file_key")
