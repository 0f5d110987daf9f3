"""billing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:25:57.278900
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_runs",
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subscriptions_seen", sa.Integer(), nullable=False),
        sa.Column("periods_billed", sa.Integer(), nullable=False),
        sa.Column("invoices_created", sa.Integer(), nullable=False),
        sa.Column("invoices_issued", sa.Integer(), nullable=False),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("finished_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billing_runs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_runs")),
    )
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_runs_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "billing_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("billing_day", sa.Integer(), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("review_days", sa.Integer(), nullable=False),
        sa.Column("min_invoice_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("bill_suspended", sa.Boolean(), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column(
            "default_tax_rate_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("number_reset", sa.String(length=16), nullable=False),
        sa.Column("invoice_template", sa.String(length=64), nullable=False),
        sa.Column("credit_note_template", sa.String(length=64), nullable=False),
        sa.Column("payment_template", sa.String(length=64), nullable=False),
        sa.Column("receipt_template", sa.String(length=64), nullable=False),
        sa.Column("refund_template", sa.String(length=64), nullable=False),
        sa.Column(
            "dunning",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billing_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_billing_settings")),
    )
    op.create_table(
        "tax_rates",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("compound", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tax_rates_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_tax_rates_tenant_id_name")),
    )
    with op.batch_alter_table("tax_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tax_rates_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "billing_accounts",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("billing_day", sa.Integer(), nullable=True),
        sa.Column("anniversary", sa.Boolean(), nullable=False),
        sa.Column("dunning_exempt", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_billing_accounts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billing_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_billing_accounts_customer_id")),
    )
    with op.batch_alter_table("billing_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_accounts_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "invoices",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("hold_until", sa.Date(), nullable=True),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("amount_paid", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("amount_credited", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "tax_summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("billing_run_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("voided_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dunning_stage", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_invoices_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_invoices_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_invoices_tenant_id_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoices_customer", ["tenant_id", "customer_id", "status"], unique=False
        )
        batch_op.create_index("ix_invoices_due", ["tenant_id", "status", "due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("gateway_reference", sa.String(length=100), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column(
            "gateway_response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("amount_allocated", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("amount_refunded", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_payments_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_payments_tenant_id_idempotency_key")
        ),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_payments_tenant_id_number")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "billed_periods",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("full_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("billing_run_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_billed_periods_invoice_id_invoices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billed_periods_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billed_periods")),
        sa.UniqueConstraint(
            "subscription_id",
            "period_start",
            name=op.f("uq_billed_periods_subscription_id_period_start"),
        ),
    )
    with op.batch_alter_table("billed_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billed_periods_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "credit_notes",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("net_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_credit_notes_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_credit_notes_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_credit_notes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_credit_notes_tenant_id_number")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_notes_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_notes_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_notes_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "dunning_actions",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_dunning_actions_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_dunning_actions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_actions")),
        sa.UniqueConstraint(
            "invoice_id", "stage", name=op.f("uq_dunning_actions_invoice_id_stage")
        ),
    )
    with op.batch_alter_table("dunning_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dunning_actions_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax_inclusive", sa.Boolean(), nullable=False),
        sa.Column("net_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("gross_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column(
            "taxes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_invoice_lines_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_lines_subscription_id"), ["subscription_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invoice_lines_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "payment_allocations",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_payment_allocations_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_allocations_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payment_allocations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocations")),
    )
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_allocations_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_allocations_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_allocations_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "receipts",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("issued_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_receipts_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_receipts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_receipts_payment_id")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_receipts_tenant_id_number")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("refunded_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_refunds_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_refunds_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_refunds_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_refunds_tenant_id_number")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunds_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunds_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_refunds_payment_id"))
        batch_op.drop_index(batch_op.f("ix_refunds_customer_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_tenant_id"))

    op.drop_table("receipts")
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_allocations_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_payment_allocations_payment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_allocations_invoice_id"))

    op.drop_table("payment_allocations")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_lines_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("dunning_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dunning_actions_tenant_id"))

    op.drop_table("dunning_actions")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_credit_notes_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_credit_notes_customer_id"))

    op.drop_table("credit_notes")
    with op.batch_alter_table("billed_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billed_periods_tenant_id"))

    op.drop_table("billed_periods")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_payments_customer_id"))

    op.drop_table("payments")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_tenant_id"))
        batch_op.drop_index("ix_invoices_due")
        batch_op.drop_index("ix_invoices_customer")

    op.drop_table("invoices")
    with op.batch_alter_table("billing_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_accounts_tenant_id"))

    op.drop_table("billing_accounts")
    with op.batch_alter_table("tax_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tax_rates_tenant_id"))

    op.drop_table("tax_rates")
    op.drop_table("billing_settings")
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_runs_tenant_id"))

    op.drop_table("billing_runs")
