"""reseller vouchers: voucher plans' wholesale price, a batch sold to a reseller (unit
price, quantity, total, when and by whom), and statement lines without a customer (a
voucher batch purchase) found again by their source

Revision ID: 0871
Revises: 0781
Create Date: 2027-01-10 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0871"
down_revision: str | None = "0781"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime
MONEY = sa.Numeric(precision=18, scale=4)
SALE: list[tuple[str, Any]] = [("unit_price", MONEY), ("quantity", sa.Integer()), ("total", MONEY),
        ("currency", sa.String(length=3)), ("sold_at", UTC(timezone=True)),
        ("sold_by", sa.String(length=254))]


def upgrade() -> None:
    op.add_column("hotspot_plans", sa.Column("wholesale_price", MONEY, nullable=True))
    # Plain ALTER TABLE on both databases, as for the customers' reseller: hotspot_vouchers
    # references the batches, so SQLite's batch copy is not used on them.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE hotspot_batches ADD COLUMN reseller_id CHAR(32) "
                   "REFERENCES resellers (id)")
    else:
        op.add_column("hotspot_batches", sa.Column("reseller_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(op.f("fk_hotspot_batches_reseller_id_resellers"),
                              "hotspot_batches", "resellers", ["reseller_id"], ["id"])
    for name, kind in SALE:
        op.add_column("hotspot_batches", sa.Column(name, kind, nullable=True))
    op.create_index("ix_hotspot_batches_tenant_reseller_sold", "hotspot_batches",
                    ["tenant_id", "reseller_id", "sold_at"])
    with op.batch_alter_table("commission_statement_lines") as batch:
        batch.alter_column("customer_id", existing_type=sa.Uuid(), nullable=True)
    op.create_index("ix_commission_statement_lines_tenant_source",
                    "commission_statement_lines", ["tenant_id", "source_id"])


def downgrade() -> None:
    op.drop_index("ix_commission_statement_lines_tenant_source",
                  table_name="commission_statement_lines")
    op.execute("DELETE FROM commission_statement_lines WHERE customer_id IS NULL")
    with op.batch_alter_table("commission_statement_lines") as batch:
        batch.alter_column("customer_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_index("ix_hotspot_batches_tenant_reseller_sold", table_name="hotspot_batches")
    for name, _kind in reversed(SALE):
        op.drop_column("hotspot_batches", name)
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_hotspot_batches_reseller_id_resellers"), "hotspot_batches",
                           type_="foreignkey")
    op.drop_column("hotspot_batches", "reseller_id")
    op.drop_column("hotspot_plans", "wholesale_price")
