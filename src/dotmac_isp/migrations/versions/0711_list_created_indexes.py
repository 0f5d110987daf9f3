"""customers and subscriptions listed newest first without sorting the tenant's rows

Revision ID: 0711
Revises: 0701
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

from dotmac_isp.migrations import online

revision: str = "0711"
down_revision: str | None = "0701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    online.create_index("ix_customers_tenant_created", "customers",
                        ["tenant_id", "created_at", "id"])
    online.create_index("ix_subscriptions_tenant_created", "subscriptions",
                        ["tenant_id", "created_at", "id"])


def downgrade() -> None:
    online.drop_index("ix_subscriptions_tenant_created", "subscriptions")
    online.drop_index("ix_customers_tenant_created", "customers")
