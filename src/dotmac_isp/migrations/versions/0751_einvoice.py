"""e-invoices (Factur-X, UBL): the seller's legal id and address parts, the tax category of
each tax rate and of untaxed lines, the customer's choice to get e-invoices by email, and the
files attached to emails

Revision ID: 0751
Revises: 0741
Create Date: 2026-12-09 12:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from dotmac_isp.shared.types import UTCDateTime

revision: str = "0751"
down_revision: str | None = "0741"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTINGS = (
    ("company_legal_id", sa.String(64), ""),
    ("company_street", sa.String(200), ""),
    ("company_city", sa.String(100), ""),
    ("company_postcode", sa.String(20), ""),
    ("company_country", sa.String(2), ""),
    ("untaxed_category", sa.String(2), "E"),
    ("untaxed_exemption_reason", sa.String(300), "Not subject to tax"),
)
RATES = (("category_code", sa.String(2), "S"), ("exemption_reason", sa.String(300), ""))
ACCOUNTS = ("einvoice_email", "einvoice_ubl", "reverse_charge")


def _add(table: str, columns: Sequence[tuple[str, sa.types.TypeEngine[Any], Any]]) -> None:
    # the default only fills existing rows; new rows get theirs from the application
    with op.batch_alter_table(table) as batch:
        for name, kind, default in columns:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    with op.batch_alter_table(table) as batch:
        for name, kind, _ in columns:
            batch.alter_column(name, existing_type=kind, server_default=None)


def upgrade() -> None:
    _add("billing_settings", SETTINGS)
    _add("tax_rates", RATES)
    _add("billing_accounts", [(name, sa.Boolean(), sa.false()) for name in ACCOUNTS])
    op.create_table(
        "notification_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE",
                                name=op.f("fk_notification_attachments_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["notification_deliveries.id"], ondelete="CASCADE",
            name=op.f("fk_notification_attachments_delivery_id_notification_deliveries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attachments")))
    op.create_index(op.f("ix_notification_attachments_tenant_id"), "notification_attachments",
                    ["tenant_id"])
    op.create_index(op.f("ix_notification_attachments_delivery_id"), "notification_attachments",
                    ["delivery_id"])


def downgrade() -> None:
    op.drop_table("notification_attachments")
    with op.batch_alter_table("billing_accounts") as batch:
        for name in ACCOUNTS:
            batch.drop_column(name)
    with op.batch_alter_table("tax_rates") as batch:
        for name, _, _ in RATES:
            batch.drop_column(name)
    with op.batch_alter_table("billing_settings") as batch:
        for name, _, _ in SETTINGS:
            batch.drop_column(name)
