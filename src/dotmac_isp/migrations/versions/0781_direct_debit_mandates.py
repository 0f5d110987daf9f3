"""direct debit: customers' mandates, and autopay attempts found by the gateway's payment id

Revision ID: 0781
Revises: 0851
Create Date: 2026-12-14 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0781"
down_revision: str | None = "0851"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime
TABLE = "payment_gateway_mandates"


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{TABLE}_{column}_{target}"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("setup_request_id", sa.String(length=255), nullable=True),
        sa.Column("setup_url", sa.String(length=1000), nullable=False),
        sa.Column("mandate_id", sa.String(length=255), nullable=False),
        sa.Column("gateway_customer_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("account_ending", sa.String(length=4), nullable=False),
        sa.Column("account_holder", sa.String(length=200), nullable=False),
        sa.Column("scheme", sa.String(length=40), nullable=False),
        sa.Column("autopay", sa.Boolean(), nullable=False),
        sa.Column("consent_at", UTC(timezone=True), nullable=True),
        sa.Column("consent_by", sa.String(length=255), nullable=False),
        sa.Column("consent_method", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        _fk("tenant_id", "tenants"),
        _fk("customer_id", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("tenant_id", "customer_id", "gateway",
                            name=op.f(f"uq_{TABLE}_tenant_id_customer_id_gateway")),
        sa.UniqueConstraint("gateway", "setup_request_id",
                            name=op.f(f"uq_{TABLE}_gateway_setup_request_id")),
    )
    for column in ("customer_id", "mandate_id", "tenant_id"):
        op.create_index(op.f(f"ix_{TABLE}_{column}"), TABLE, [column])
    op.create_index(op.f("ix_payment_gateway_autopay_charges_payment_intent_id"),
                    "payment_gateway_autopay_charges", ["payment_intent_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_gateway_autopay_charges_payment_intent_id"),
                  table_name="payment_gateway_autopay_charges")
    op.drop_table(TABLE)
