"""company details and logo for invoices and receipts

Revision ID: 0701
Revises: 0691
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0701"
down_revision: str | None = "0691"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = (("company_address", sa.Text()), ("company_tax_id", sa.String(length=64)),
                ("company_email", sa.String(length=254)), ("company_phone", sa.String(length=40)))


def upgrade() -> None:
    with op.batch_alter_table("billing_settings") as batch:
        for name, type_ in TEXT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=""))
        batch.add_column(sa.Column("logo_key", sa.String(length=255), nullable=True))
    # the default only fills existing rows; new rows get theirs from the application
    with op.batch_alter_table("billing_settings") as batch:
        for name, type_ in TEXT_COLUMNS:
            batch.alter_column(name, existing_type=type_, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("billing_settings") as batch:
        batch.drop_column("logo_key")
        for name, _type in reversed(TEXT_COLUMNS):
            batch.drop_column(name)
