"""ipam: VRFs, prefixes, pools and their free ranges, allocations, assignment history,
utilization alerts

Revision ID: 0101
Revises: 0003
Create Date: 2026-11-26 12:16:39.656606
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0101"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ipam_assignment_history",
        sa.Column("allocation_id", sa.Uuid(), nullable=False),
        sa.Column("pool_id", sa.Uuid(), nullable=False),
        sa.Column("vrf_id", sa.Uuid(), nullable=True),
        sa.Column("family", sa.SmallInteger(), nullable=False),
        sa.Column("address", sa.String(length=39), nullable=False),
        sa.Column("prefix_length", sa.SmallInteger(), nullable=False),
        sa.Column("start_key", sa.String(length=33), nullable=False),
        sa.Column("end_key", sa.String(length=33), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("holder_type", sa.String(length=32), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column(
            "assigned_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("released_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ipam_assignment_history_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ipam_assignment_history")),
    )
    with op.batch_alter_table("ipam_assignment_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ipam_assignment_history_allocation_id"), ["allocation_id"], unique=False
        )
        batch_op.create_index(
            "ix_ipam_assignment_history_holder",
            ["tenant_id", "holder_type", "holder_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ipam_assignment_history_key", ["tenant_id", "start_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ipam_assignment_history_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ipam_vrfs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rd", sa.String(length=32), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ipam_vrfs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ipam_vrfs")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_ipam_vrfs_tenant_id_name")),
    )
    with op.batch_alter_table("ipam_vrfs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ipam_vrfs_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ipam_prefixes",
        sa.Column("vrf_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("family", sa.SmallInteger(), nullable=False),
        sa.Column("network", sa.String(length=43), nullable=False),
        sa.Column("prefix_length", sa.SmallInteger(), nullable=False),
        sa.Column("start_key", sa.String(length=33), nullable=False),
        sa.Column("end_key", sa.String(length=33), nullable=False),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("alert_threshold_percent", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["ipam_prefixes.id"],
            name=op.f("fk_ipam_prefixes_parent_id_ipam_prefixes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ipam_prefixes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vrf_id"], ["ipam_vrfs.id"], name=op.f("fk_ipam_prefixes_vrf_id_ipam_vrfs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ipam_prefixes")),
    )
    with op.batch_alter_table("ipam_prefixes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ipam_prefixes_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            "ix_ipam_prefixes_space", ["tenant_id", "vrf_id", "start_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ipam_prefixes_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ipam_prefixes_vrf_id"), ["vrf_id"], unique=False)

    op.create_table(
        "ipam_pools",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix_id", sa.Uuid(), nullable=False),
        sa.Column("vrf_id", sa.Uuid(), nullable=True),
        sa.Column("family", sa.SmallInteger(), nullable=False),
        sa.Column("network", sa.String(length=43), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("delegated_length", sa.SmallInteger(), nullable=True),
        sa.Column("fully_usable", sa.Boolean(), nullable=False),
        sa.Column("gateway", sa.String(length=39), nullable=True),
        sa.Column("alert_threshold_percent", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("allocated_count", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prefix_id"], ["ipam_prefixes.id"], name=op.f("fk_ipam_pools_prefix_id_ipam_prefixes")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ipam_pools_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ipam_pools")),
        sa.UniqueConstraint("prefix_id", name=op.f("uq_ipam_pools_prefix_id")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_ipam_pools_tenant_id_name")),
    )
    with op.batch_alter_table("ipam_pools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ipam_pools_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "ipam_allocations",
        sa.Column("pool_id", sa.Uuid(), nullable=False),
        sa.Column("family", sa.SmallInteger(), nullable=False),
        sa.Column("address", sa.String(length=39), nullable=False),
        sa.Column("prefix_length", sa.SmallInteger(), nullable=False),
        sa.Column("start_key", sa.String(length=33), nullable=False),
        sa.Column("end_key", sa.String(length=33), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("holder_type", sa.String(length=32), nullable=False),
        sa.Column("holder_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column(
            "assigned_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("held_since", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["ipam_pools.id"],
            name=op.f("fk_ipam_allocations_pool_id_ipam_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ipam_allocations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ipam_allocations")),
        sa.UniqueConstraint("pool_id", "slot", name=op.f("uq_ipam_allocations_pool_id_slot")),
    )
    with op.batch_alter_table("ipam_allocations", schema=None) as batch_op:
        batch_op.create_index("ix_ipam_allocations_held", ["status", "held_since"], unique=False)
        batch_op.create_index(
            "ix_ipam_allocations_holder", ["tenant_id", "holder_type", "holder_id"], unique=False
        )
        batch_op.create_index("ix_ipam_allocations_key", ["tenant_id", "start_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ipam_allocations_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ipam_free_ranges",
        sa.Column("pool_id", sa.Uuid(), nullable=False),
        sa.Column("start_slot", sa.BigInteger(), nullable=False),
        sa.Column("end_slot", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["ipam_pools.id"],
            name=op.f("fk_ipam_free_ranges_pool_id_ipam_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ipam_free_ranges_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "start_slot", name=op.f("pk_ipam_free_ranges")),
    )
    with op.batch_alter_table("ipam_free_ranges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ipam_free_ranges_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ipam_utilization_alerts",
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("pool_id", sa.Uuid(), nullable=True),
        sa.Column("prefix_id", sa.Uuid(), nullable=True),
        sa.Column("label", sa.String(length=160), nullable=False),
        sa.Column("threshold_percent", sa.Integer(), nullable=False),
        sa.Column("utilization_percent", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("summary", sa.String(length=255), nullable=False),
        sa.Column("crossed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["ipam_pools.id"],
            name=op.f("fk_ipam_utilization_alerts_pool_id_ipam_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prefix_id"],
            ["ipam_prefixes.id"],
            name=op.f("fk_ipam_utilization_alerts_prefix_id_ipam_prefixes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ipam_utilization_alerts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ipam_utilization_alerts")),
    )
    with op.batch_alter_table("ipam_utilization_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ipam_utilization_alerts_open", ["tenant_id", "cleared_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ipam_utilization_alerts_pool_id"), ["pool_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ipam_utilization_alerts_prefix_id"), ["prefix_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ipam_utilization_alerts_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ipam_utilization_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ipam_utilization_alerts_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_ipam_utilization_alerts_prefix_id"))
        batch_op.drop_index(batch_op.f("ix_ipam_utilization_alerts_pool_id"))
        batch_op.drop_index("ix_ipam_utilization_alerts_open")

    op.drop_table("ipam_utilization_alerts")
    with op.batch_alter_table("ipam_free_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ipam_free_ranges_tenant_id"))

    op.drop_table("ipam_free_ranges")
    with op.batch_alter_table("ipam_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ipam_allocations_tenant_id"))
        batch_op.drop_index("ix_ipam_allocations_key")
        batch_op.drop_index("ix_ipam_allocations_holder")
        batch_op.drop_index("ix_ipam_allocations_held")

    op.drop_table("ipam_allocations")
    with op.batch_alter_table("ipam_pools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ipam_pools_tenant_id"))

    op.drop_table("ipam_pools")
    with op.batch_alter_table("ipam_prefixes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ipam_prefixes_vrf_id"))
        batch_op.drop_index(batch_op.f("ix_ipam_prefixes_tenant_id"))
        batch_op.drop_index("ix_ipam_prefixes_space")
        batch_op.drop_index(batch_op.f("ix_ipam_prefixes_parent_id"))

    op.drop_table("ipam_prefixes")
    with op.batch_alter_table("ipam_vrfs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ipam_vrfs_tenant_id"))

    op.drop_table("ipam_vrfs")
    with op.batch_alter_table("ipam_assignment_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ipam_assignment_history_tenant_id"))
        batch_op.drop_index("ix_ipam_assignment_history_key")
        batch_op.drop_index("ix_ipam_assignment_history_holder")
        batch_op.drop_index(batch_op.f("ix_ipam_assignment_history_allocation_id"))

    op.drop_table("ipam_assignment_history")
