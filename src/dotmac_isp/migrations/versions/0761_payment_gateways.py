"""online card payments: gateway accounts, checkouts, webhook events, gateway refunds

Revision ID: 0761
Revises: 0751
Create Date: 2026-12-05 07:09:04.882206
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types

revision: str = "0761"
down_revision: str | None = "0751"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def _common(table: str, *, updated: bool = True) -> list[Any]:
    columns: list[Any] = [sa.Column("id", sa.Uuid(), nullable=False),
                          sa.Column("created_at", UTC(timezone=True), nullable=False)]
    if updated:
        columns.append(sa.Column("updated_at", UTC(timezone=True), nullable=False))
    return [*columns, sa.Column("tenant_id", sa.Uuid(), nullable=False),
            _fk(table, "tenant_id", "tenants", "CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "payment_gateway_accounts",
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("publishable_key", sa.String(length=255), nullable=False),
        sa.Column("secret_key_encrypted", sa.String(length=1000), nullable=False),
        sa.Column("webhook_secret_encrypted", sa.String(length=1000), nullable=False),
        sa.Column("secret_key_hint", sa.String(length=16), nullable=False),
        *_common("payment_gateway_accounts"),
        sa.UniqueConstraint("tenant_id", "gateway",
                            name=op.f("uq_payment_gateway_accounts_tenant_id_gateway")),
    )
    _index("payment_gateway_accounts", "tenant_id")
    op.create_table(
        "payment_gateway_events",
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        _fk("payment_gateway_events", "tenant_id", "tenants", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_gateway_events")),
        sa.UniqueConstraint("gateway", "event_id",
                            name=op.f("uq_payment_gateway_events_gateway_event_id")),
    )
    _index("payment_gateway_events", "tenant_id")
    op.create_table(
        "payment_gateway_checkouts",
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_ids", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        *_common("payment_gateway_checkouts"),
        _fk("payment_gateway_checkouts", "customer_id", "customers", "CASCADE"),
        _fk("payment_gateway_checkouts", "payment_id", "payments", "SET NULL"),
        sa.UniqueConstraint("gateway", "session_id",
                            name=op.f("uq_payment_gateway_checkouts_gateway_session_id")),
    )
    for column in ("customer_id", "payment_intent_id", "tenant_id"):
        _index("payment_gateway_checkouts", column)
    op.create_table(
        "payment_gateway_refunds",
        sa.Column("refund_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("gateway_refund_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("response", JSON, nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        _fk("payment_gateway_refunds", "tenant_id", "tenants", "CASCADE"),
        _fk("payment_gateway_refunds", "payment_id", "payments", "CASCADE"),
        _fk("payment_gateway_refunds", "refund_id", "refunds", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_gateway_refunds")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_payment_gateway_refunds_refund_id")),
    )
    for column in ("payment_id", "tenant_id"):
        _index("payment_gateway_refunds", column)


    op.create_table(
        "payment_gateway_cards",
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("gateway_customer_id", sa.String(length=255), nullable=False),
        sa.Column("payment_method_id", sa.String(length=255), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("setup_session_id", sa.String(length=255), nullable=False),
        sa.Column("autopay", sa.Boolean(), nullable=False),
        sa.Column("autopay_consent_at", UTC(timezone=True), nullable=True),
        sa.Column("autopay_consent_by", sa.String(length=255), nullable=False),
        *_common("payment_gateway_cards"),
        _fk("payment_gateway_cards", "customer_id", "customers", "CASCADE"),
        sa.UniqueConstraint("tenant_id", "customer_id", "gateway",
                            name=op.f("uq_payment_gateway_cards_tenant_id_customer_id_gateway")),
    )
    for column in ("customer_id", "tenant_id"):
        _index("payment_gateway_cards", column)
    op.create_table(
        "payment_gateway_autopay_charges",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        *_common("payment_gateway_autopay_charges"),
        _fk("payment_gateway_autopay_charges", "invoice_id", "invoices", "CASCADE"),
        _fk("payment_gateway_autopay_charges", "customer_id", "customers", "CASCADE"),
        _fk("payment_gateway_autopay_charges", "payment_id", "payments", "SET NULL"),
        sa.UniqueConstraint(
            "invoice_id", "attempted_on",
            name=op.f("uq_payment_gateway_autopay_charges_invoice_id_attempted_on")),
    )
    for column in ("customer_id", "invoice_id", "tenant_id"):
        _index("payment_gateway_autopay_charges", column)


def downgrade() -> None:
    for table in ("payment_gateway_autopay_charges", "payment_gateway_cards",
                  "payment_gateway_refunds", "payment_gateway_checkouts",
                  "payment_gateway_events", "payment_gateway_accounts"):
        op.drop_table(table)
