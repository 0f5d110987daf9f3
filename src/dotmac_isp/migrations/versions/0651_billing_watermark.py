"""billing watermark on subscriptions

Revision ID: 0651
Revises: 0631
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dotmac_isp.migrations import online

revision: str = "0651"
down_revision: str | None = "0631"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("billed_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("bill_next_on", sa.Date(), nullable=True))
    online.create_index("ix_subscriptions_bill_next", "subscriptions",
                        ["tenant_id", "bill_next_on"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_bill_next", table_name="subscriptions")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("bill_next_on")
        batch.drop_column("billed_until")
