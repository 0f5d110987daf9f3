"""radacct changed_at and the usage roll-up watermark

Revision ID: 0601
Revises: 0541
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types
from dotmac_isp.migrations import online

revision: str = "0601"
down_revision: str | None = "0541"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "radius_usage_watermark",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("changed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_radius_usage_watermark")),
    )
    with op.batch_alter_table("radacct", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "changed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True))
    # existing sessions count as written when last heard of: the first roll-up after the
    # upgrade then reads the same recent sessions the full scan did
    op.execute("UPDATE radacct SET changed_at = "
               "COALESCE(acctstoptime, acctupdatetime, acctstarttime)")
    online.create_index("ix_radacct_changed", "radacct", ["changed_at"])
    with op.batch_alter_table("radius_usage_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_radius_usage_marks_subscription_id"))
        batch_op.create_index("ix_radius_usage_marks_sub_day", ["subscription_id", "usage_date"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("radius_usage_marks", schema=None) as batch_op:
        batch_op.drop_index("ix_radius_usage_marks_sub_day")
        batch_op.create_index(batch_op.f("ix_radius_usage_marks_subscription_id"),
                              ["subscription_id"], unique=False)
    with op.batch_alter_table("radacct", schema=None) as batch_op:
        batch_op.drop_index("ix_radacct_changed")
        batch_op.drop_column("changed_at")
    op.drop_table("radius_usage_watermark")
