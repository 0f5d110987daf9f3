"""job leases, and job runs recorded from start to finish

Revision ID: 0671
Revises: 0661
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0671"
down_revision: str | None = "0661"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime
NEW_COLUMNS = (("trigger", sa.String(length=16), "'schedule'"),
               ("holder", sa.String(length=200), "''"),
               ("attempt", sa.Integer(), "1"),
               ("error", sa.Text(), "''"),
               ("log", sa.Text(), "''"))


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_leases")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.alter_column("outcome", new_column_name="status",
                              existing_type=sa.String(length=16), existing_nullable=False)
        batch_op.alter_column("finished_at", existing_type=UTC(timezone=True), nullable=True)
        for name, type_, _fill in NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.execute("UPDATE job_runs SET status = 'succeeded' WHERE status = 'ok'")
    op.execute("UPDATE job_runs SET " + ", ".join(f"{name} = {fill}"
                                                  for name, _type, fill in NEW_COLUMNS))
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        for name, type_, _fill in NEW_COLUMNS:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        # a run starting closes its job's runs left `running` by a process that died
        batch_op.create_index("ix_job_runs_status_job", ["status", "job"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM job_runs WHERE finished_at IS NULL OR status = 'skipped'")
    op.execute("UPDATE job_runs SET status = 'ok' WHERE status = 'succeeded'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_runs_status_job")
        for name, _type, _fill in reversed(NEW_COLUMNS):
            batch_op.drop_column(name)
        batch_op.alter_column("finished_at", existing_type=UTC(timezone=True), nullable=False)
        batch_op.alter_column("status", new_column_name="outcome",
                              existing_type=sa.String(length=16), existing_nullable=False)
    op.drop_table("job_leases")
