"""bank statement lines

Revision ID: 0501
Revises: 0301
Create Date: 2026-11-26 12:52:31.660800
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0501"
down_revision: str | None = "0301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_statement_lines",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("booked_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("matched_by", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_bank_statement_lines_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_bank_statement_lines_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_bank_statement_lines_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement_lines")),
        sa.UniqueConstraint(
            "tenant_id", "fingerprint", name=op.f("uq_bank_statement_lines_tenant_id_fingerprint")
        ),
    )
    with op.batch_alter_table("bank_statement_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_statement_lines_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_statement_lines_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            "ix_bank_statement_lines_status", ["tenant_id", "status", "booked_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bank_statement_lines_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bank_statement_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_statement_lines_tenant_id"))
        batch_op.drop_index("ix_bank_statement_lines_status")
        batch_op.drop_index(batch_op.f("ix_bank_statement_lines_import_id"))
        batch_op.drop_index(batch_op.f("ix_bank_statement_lines_customer_id"))

    op.drop_table("bank_statement_lines")
