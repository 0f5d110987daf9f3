"""invoice list indexes: newest first, all or by status

Revision ID: 0631
Revises: 0621
Create Date: 2026-12-05 01:00:00.000000
"""

from collections.abc import Sequence

from dotmac_isp.migrations import online

revision: str = "0631"
down_revision: str | None = "0621"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    online.create_index("ix_invoices_tenant_created", "invoices", ["tenant_id", "created_at"])
    online.create_index("ix_invoices_tenant_status_created", "invoices",
                        ["tenant_id", "status", "created_at"])


def downgrade() -> None:
    online.drop_index("ix_invoices_tenant_status_created", "invoices")
    online.drop_index("ix_invoices_tenant_created", "invoices")
