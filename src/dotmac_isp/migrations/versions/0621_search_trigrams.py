"""search indexes: trigrams (PostgreSQL only) and the subscriber address

Revision ID: 0621
Revises: 0601
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from dotmac_isp.migrations import online

revision: str = "0621"
down_revision: str | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column): each serves ILIKE '%text%' on that column
INDEXES = [
    ("ix_customers_search_trgm", "customers", "search_text"),
    ("ix_subscriptions_username_trgm", "subscriptions", "radius_username"),
    ("ix_radacct_username_trgm", "radacct", "username"),
    ("ix_radacct_mac_trgm", "radacct", "callingstationid"),
    ("ix_radpostauth_username_trgm", "radpostauth", "username"),
]


def upgrade() -> None:
    # an exact address is a b-tree lookup, on both databases
    online.create_index("ix_radacct_tenant_framedip", "radacct", ["tenant_id", "framedipaddress"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        online.create_index(name, table, [column], postgresql_using="gin",
                            postgresql_ops={column: "gin_trgm_ops"})


def downgrade() -> None:
    online.drop_index("ix_radacct_tenant_framedip", "radacct")
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _column in INDEXES:
        online.drop_index(name, table)
