"""search indexes for tickets (number, subject) and devices (name, address, serial)

Revision ID: 0681
Revises: 0671
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from dotmac_isp.migrations import online

revision: str = "0681"
down_revision: str | None = "0671"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column): each serves ILIKE '%text%' on that column (PostgreSQL only)
INDEXES = [
    ("ix_tickets_number_trgm", "tickets", "number"),
    ("ix_tickets_subject_trgm", "tickets", "subject"),
    ("ix_network_devices_name_trgm", "network_devices", "name"),
    ("ix_network_devices_ip_trgm", "network_devices", "management_ip"),
    ("ix_network_devices_serial_trgm", "network_devices", "serial_number"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        online.create_index(name, table, [column], postgresql_using="gin",
                            postgresql_ops={column: "gin_trgm_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _column in INDEXES:
        online.drop_index(name, table)
