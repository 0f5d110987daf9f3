"""radacct records whether a stop time was inferred (stale job, Accounting-On/Off)

Revision ID: 0721
Revises: 0711
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0721"
down_revision: str | None = "0711"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting radacct. Sessions
    # closed before this revision count as closed by the NAS, so no late Interim reopens them.
    with op.batch_alter_table("radacct") as batch:
        batch.add_column(sa.Column("stop_inferred", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("radacct") as batch:
        batch.drop_column("stop_inferred")
