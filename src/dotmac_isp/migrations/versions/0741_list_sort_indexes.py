"""every sortable column of the customer and subscription lists read page by page from an
index, and the subscriptions filtered by when they were activated or ended

Revision ID: 0741
Revises: 0731
Create Date: 2026-12-08 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from dotmac_isp.migrations import online

revision: str = "0741"
down_revision: str | None = "0731"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The customer list's sort by name, written as the list writes it (customers/listing.py).
SORT_NAME = ("lower(\nCASE\n    WHEN kind = 'business' THEN company_name\n"
             "    ELSE last_name\nEND)")
# (name, table, columns, the index it makes redundant: same columns without id)
INDEXES = (
    ("ix_customers_tenant_sort_name", "customers", ["tenant_id", sa.text(SORT_NAME), "id"],
     None),
    ("ix_customers_tenant_email_id", "customers", ["tenant_id", "email", "id"],
     ("ix_customers_tenant_email", ["tenant_id", "email"])),
    ("ix_customers_tenant_status_id", "customers", ["tenant_id", "status", "id"],
     ("ix_customers_tenant_status", ["tenant_id", "status"])),
    ("ix_subscriptions_plan_id_id", "subscriptions", ["plan_id", "id"], None),
    ("ix_subscriptions_tenant_status_id", "subscriptions", ["tenant_id", "status", "id"],
     ("ix_subscriptions_tenant_status", ["tenant_id", "status"])),
    ("ix_subscriptions_tenant_since", "subscriptions", ["tenant_id", "status_changed_at", "id"],
     None),
    # the list filtered to the month's new and ended subscriptions, as the dashboard links it
    ("ix_subscriptions_tenant_activated", "subscriptions", ["tenant_id", "activated_at"], None),
    ("ix_subscriptions_tenant_terminated", "subscriptions", ["tenant_id", "terminated_at"],
     None),
)


def upgrade() -> None:
    for name, table, columns, replaces in INDEXES:
        online.create_index(name, table, columns)
        if replaces:
            online.drop_index(replaces[0], table)


def downgrade() -> None:
    for name, table, _columns, replaces in reversed(INDEXES):
        if replaces:
            online.create_index(replaces[0], table, replaces[1])
        online.drop_index(name, table)
