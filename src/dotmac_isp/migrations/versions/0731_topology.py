"""network topology: devices' neighbour-discovery state and discovered links

Revision ID: 0731
Revises: 0721
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0731"
down_revision: str | None = "0721"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime


def _tenant(table: str) -> list[Any]:
    return [sa.Column("tenant_id", sa.Uuid(), nullable=False),
            sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                    name=op.f(f"fk_{table}_tenant_id_tenants"),
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "network_topology_nodes",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("is_core", sa.Boolean(), nullable=False),
        sa.Column("chassis_id", sa.String(length=255), nullable=False),
        sa.Column("sys_name", sa.String(length=255), nullable=False),
        sa.Column("neighbours_seen", sa.Integer(), nullable=False),
        sa.Column("last_scan_at", UTC(timezone=True), nullable=True),
        sa.Column("last_success_at", UTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_tenant("network_topology_nodes"),
        sa.ForeignKeyConstraint(["device_id"], ["network_devices.id"],
                                name=op.f("fk_network_topology_nodes_device_id_network_devices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_topology_nodes")),
        sa.UniqueConstraint("device_id", name=op.f("uq_network_topology_nodes_device_id")),
    )
    op.create_index(op.f("ix_network_topology_nodes_tenant_id"), "network_topology_nodes",
                    ["tenant_id"])
    op.create_index("ix_network_topology_nodes_tenant_chassis", "network_topology_nodes",
                    ["tenant_id", "chassis_id"])
    op.create_table(
        "network_links",
        sa.Column("link_key", sa.String(length=64), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("a_device_id", sa.Uuid(), nullable=False),
        sa.Column("a_interface_id", sa.Uuid(), nullable=True),
        sa.Column("a_port", sa.String(length=255), nullable=False),
        sa.Column("a_chassis_id", sa.String(length=255), nullable=False),
        sa.Column("a_name", sa.String(length=255), nullable=False),
        sa.Column("a_address", sa.String(length=45), nullable=True),
        sa.Column("a_description", sa.String(length=255), nullable=False),
        sa.Column("b_device_id", sa.Uuid(), nullable=True),
        sa.Column("b_interface_id", sa.Uuid(), nullable=True),
        sa.Column("b_port", sa.String(length=255), nullable=False),
        sa.Column("b_chassis_id", sa.String(length=255), nullable=False),
        sa.Column("b_name", sa.String(length=255), nullable=False),
        sa.Column("b_address", sa.String(length=45), nullable=True),
        sa.Column("b_description", sa.String(length=255), nullable=False),
        sa.Column("discovered_at", UTC(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_tenant("network_links"),
        sa.ForeignKeyConstraint(["a_device_id"], ["network_devices.id"],
                                name=op.f("fk_network_links_a_device_id_network_devices"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["b_device_id"], ["network_devices.id"],
                                name=op.f("fk_network_links_b_device_id_network_devices"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["a_interface_id"], ["network_interfaces.id"],
                                name=op.f("fk_network_links_a_interface_id_network_interfaces"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["b_interface_id"], ["network_interfaces.id"],
                                name=op.f("fk_network_links_b_interface_id_network_interfaces"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_links")),
        sa.UniqueConstraint("tenant_id", "link_key",
                            name=op.f("uq_network_links_tenant_id_link_key")),
    )
    op.create_index(op.f("ix_network_links_tenant_id"), "network_links", ["tenant_id"])
    op.create_index(op.f("ix_network_links_a_device_id"), "network_links", ["a_device_id"])
    op.create_index(op.f("ix_network_links_b_device_id"), "network_links", ["b_device_id"])
    op.create_index("ix_network_links_tenant_last_seen", "network_links",
                    ["tenant_id", "last_seen_at"])


def downgrade() -> None:
    op.drop_table("network_links")
    op.drop_table("network_topology_nodes")
