"""overdue invoices indexed by their dunning key (due date, id)

Revision ID: 0661
Revises: 0651
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

from dotmac_isp.migrations import online

revision: str = "0661"
down_revision: str | None = "0651"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # dunning pages through a status by (due_date, id): with id in the index each page is a
    # range scan instead of a re-sort of every invoice due on the same day
    online.drop_index("ix_invoices_due", "invoices")
    online.create_index("ix_invoices_due", "invoices", ["tenant_id", "status", "due_date", "id"])


def downgrade() -> None:
    online.drop_index("ix_invoices_due", "invoices")
    online.create_index("ix_invoices_due", "invoices", ["tenant_id", "status", "due_date"])
