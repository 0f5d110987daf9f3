"""customers choose which emails they get: invoices, payment receipts, outage notices

Revision ID: 0771
Revises: 0761
Create Date: 2026-12-12 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0771"
down_revision: str | None = "0761"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("notify_invoices", "notify_receipts", "notify_outages")


def upgrade() -> None:
    # Constant defaults: PostgreSQL adds the columns without rewriting customers, and every
    # existing customer keeps getting the emails they got before. Plain ALTER TABLE, not a
    # batch: SQLite's batch copy of the table would lose the expression index on names.
    for name in COLUMNS:
        op.add_column("customers", sa.Column(name, sa.Boolean(), nullable=False,
                                             server_default=sa.true()))


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_column("customers", name)
