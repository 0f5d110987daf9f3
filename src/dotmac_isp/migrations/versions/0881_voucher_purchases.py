"""voucher purchases: a hotspot voucher bought on the captive portal through the tenant's
card gateway, keyed by its checkout session, with the one voucher issued for it

Revision ID: 0881
Revises: 0861
Create Date: 2027-01-20 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0881"
down_revision: str | None = "0861"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime
MONEY = sa.Numeric(precision=18, scale=4)
TABLE = "hotspot_voucher_purchases"


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{TABLE}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payment_reference", sa.String(length=255), nullable=True),
        sa.Column("paid_at", UTC(timezone=True), nullable=True),
        sa.Column("voucher_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        _fk("plan_id", "hotspot_plans", "RESTRICT"),
        _fk("site_id", "hotspot_sites", "SET NULL"),
        _fk("voucher_id", "hotspot_vouchers", "SET NULL"),
        _fk("tenant_id", "tenants", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("gateway", "session_id",
                            name=op.f(f"uq_{TABLE}_gateway_session_id")),
        sa.UniqueConstraint("voucher_id", name=op.f(f"uq_{TABLE}_voucher_id")),
    )
    op.create_index(op.f(f"ix_{TABLE}_tenant_id"), TABLE, ["tenant_id"])
    op.create_index(op.f(f"ix_{TABLE}_plan_id"), TABLE, ["plan_id"])
    op.create_index("ix_hotspot_voucher_purchases_tenant_created", TABLE,
                    ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_hotspot_voucher_purchases_tenant_created", table_name=TABLE)
    op.drop_index(op.f(f"ix_{TABLE}_plan_id"), table_name=TABLE)
    op.drop_index(op.f(f"ix_{TABLE}_tenant_id"), table_name=TABLE)
    op.drop_table(TABLE)
