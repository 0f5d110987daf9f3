"""payment void (when, why) and the payment confirmation ceiling

Revision ID: 0691
Revises: 0681
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0691"
down_revision: str | None = "0681"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("billing_settings") as batch:
        batch.add_column(sa.Column("payment_confirm_above", sa.Numeric(precision=18, scale=4),
                                   nullable=True))
    # Existing tenants get the same ceiling as new ones.
    op.execute("UPDATE billing_settings SET payment_confirm_above = 10000")


def downgrade() -> None:
    with op.batch_alter_table("billing_settings") as batch:
        batch.drop_column("payment_confirm_above")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("void_reason")
        batch.drop_column("voided_at")
