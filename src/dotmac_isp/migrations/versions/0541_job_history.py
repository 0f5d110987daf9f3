"""job runs and tenants' job failures

Revision ID: 0541
Revises: 0521
Create Date: 2026-12-05 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0541"
down_revision: str | None = "0521"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("finished_at", UTC(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("tenant_failures", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_index("ix_job_runs_job_started", "job_runs", ["job", "started_at"])
    op.create_table(
        "job_failures",
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", UTC(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_job_failures_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_failures")),
    )
    op.create_index(op.f("ix_job_failures_tenant_id"), "job_failures", ["tenant_id"])
    op.create_index("ix_job_failures_tenant_occurred", "job_failures",
                    ["tenant_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_job_failures_tenant_occurred", table_name="job_failures")
    op.drop_index(op.f("ix_job_failures_tenant_id"), table_name="job_failures")
    op.drop_table("job_failures")
    op.drop_index("ix_job_runs_job_started", table_name="job_runs")
    op.drop_table("job_runs")
