"""devices: sites, devices, interfaces, poll time series, config backups, alerts, incidents

Revision ID: 0201
Revises: 0101
Create Date: 2026-11-26 11:58:50.759113
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types
from dotmac_isp.migrations.parts import r0201_alerts

revision: str = "0201"
down_revision: str | None = "0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_sites",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_sites_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_sites")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_network_sites_tenant_id_name")),
    )
    with op.batch_alter_table("network_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_sites_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "network_devices",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("device_type", sa.String(length=32), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("serial_number", sa.String(length=100), nullable=False),
        sa.Column("firmware_version", sa.String(length=100), nullable=False),
        sa.Column("management_ip", sa.String(length=45), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("parent_device_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("monitoring_enabled", sa.Boolean(), nullable=False),
        sa.Column("snmp_version", sa.String(length=8), nullable=False),
        sa.Column("snmp_port", sa.Integer(), nullable=False),
        sa.Column("snmp_community_enc", sa.Text(), nullable=True),
        sa.Column("snmp_username", sa.String(length=64), nullable=True),
        sa.Column("snmp_auth_protocol", sa.String(length=16), nullable=False),
        sa.Column("snmp_auth_key_enc", sa.Text(), nullable=True),
        sa.Column("snmp_priv_protocol", sa.String(length=16), nullable=False),
        sa.Column("snmp_priv_key_enc", sa.Text(), nullable=True),
        sa.Column("snmp_timeout_ms", sa.Integer(), nullable=False),
        sa.Column("snmp_retries", sa.Integer(), nullable=False),
        sa.Column("poll_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("down_after_failures", sa.Integer(), nullable=False),
        sa.Column("cpu_oid", sa.String(length=128), nullable=True),
        sa.Column("memory_oid", sa.String(length=128), nullable=True),
        sa.Column("reachability", sa.String(length=16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column(
            "last_polled_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "next_poll_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_seen_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_poll_error", sa.String(length=500), nullable=True),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("sys_descr", sa.Text(), nullable=True),
        sa.Column("sys_name", sa.String(length=255), nullable=True),
        sa.Column("sys_uptime_seconds", sa.BigInteger(), nullable=True),
        sa.Column("cpu_pct", sa.Float(), nullable=True),
        sa.Column("memory_pct", sa.Float(), nullable=True),
        sa.Column(
            "state_changed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "interfaces_discovered_at",
            dotmac_isp.shared.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("backup_enabled", sa.Boolean(), nullable=False),
        sa.Column("ssh_port", sa.Integer(), nullable=False),
        sa.Column("ssh_username", sa.String(length=64), nullable=True),
        sa.Column("ssh_password_enc", sa.Text(), nullable=True),
        sa.Column("ssh_private_key_enc", sa.Text(), nullable=True),
        sa.Column("netmiko_device_type", sa.String(length=64), nullable=True),
        sa.Column("backup_command", sa.String(length=500), nullable=True),
        sa.Column("backup_interval_hours", sa.Integer(), nullable=False),
        sa.Column(
            "last_backup_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_backup_error", sa.String(length=500), nullable=True),
        sa.Column(
            "next_backup_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_devices_parent_device_id_network_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["network_sites.id"],
            name=op.f("fk_network_devices_site_id_network_sites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_devices_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_devices")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_network_devices_tenant_id_name")),
    )
    with op.batch_alter_table("network_devices", schema=None) as batch_op:
        batch_op.create_index("ix_network_devices_next_poll_at", ["next_poll_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_devices_parent_device_id"), ["parent_device_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_network_devices_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_devices_subscription_id"), ["subscription_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_devices_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_config_backups",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("lines_added", sa.Integer(), nullable=False),
        sa.Column("lines_removed", sa.Integer(), nullable=False),
        sa.Column(
            "collected_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_confirmed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_config_backups_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_config_backups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_config_backups")),
        sa.UniqueConstraint(
            "device_id", "version", name=op.f("uq_network_config_backups_device_id_version")
        ),
    )
    with op.batch_alter_table("network_config_backups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_config_backups_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_config_backups_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_device_rollups",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("hour_start", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("availability_pct", sa.Float(), nullable=False),
        sa.Column("response_ms_avg", sa.Float(), nullable=True),
        sa.Column("cpu_pct_avg", sa.Float(), nullable=True),
        sa.Column("cpu_pct_max", sa.Float(), nullable=True),
        sa.Column("memory_pct_avg", sa.Float(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_device_rollups_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_device_rollups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "hour_start", name=op.f("pk_network_device_rollups")),
    )
    with op.batch_alter_table("network_device_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_network_device_rollups_hour_start", ["hour_start"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_device_rollups_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_device_samples",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("sampled_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("cpu_pct", sa.Float(), nullable=True),
        sa.Column("memory_pct", sa.Float(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_device_samples_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_device_samples_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "sampled_at", name=op.f("pk_network_device_samples")),
    )
    with op.batch_alter_table("network_device_samples", schema=None) as batch_op:
        batch_op.create_index("ix_network_device_samples_sampled_at", ["sampled_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_device_samples_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_interfaces",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("speed_mbps", sa.BigInteger(), nullable=True),
        sa.Column("monitored", sa.Boolean(), nullable=False),
        sa.Column("admin_status", sa.String(length=20), nullable=False),
        sa.Column("oper_status", sa.String(length=20), nullable=False),
        sa.Column(
            "last_change_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("counter_bits", sa.Integer(), nullable=False),
        sa.Column("last_in_octets", sa.BigInteger(), nullable=True),
        sa.Column("last_out_octets", sa.BigInteger(), nullable=True),
        sa.Column(
            "last_counter_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_counter_uptime", sa.BigInteger(), nullable=True),
        sa.Column("in_bps", sa.Float(), nullable=True),
        sa.Column("out_bps", sa.Float(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_interfaces_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_interfaces_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_interfaces")),
        sa.UniqueConstraint(
            "device_id", "if_index", name=op.f("uq_network_interfaces_device_id_if_index")
        ),
    )
    with op.batch_alter_table("network_interfaces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_interfaces_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_interfaces_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_interface_rollups",
        sa.Column("interface_id", sa.Uuid(), nullable=False),
        sa.Column("hour_start", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("in_bps_avg", sa.Float(), nullable=False),
        sa.Column("in_bps_max", sa.Float(), nullable=False),
        sa.Column("out_bps_avg", sa.Float(), nullable=False),
        sa.Column("out_bps_max", sa.Float(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interface_id"],
            ["network_interfaces.id"],
            name=op.f("fk_network_interface_rollups_interface_id_network_interfaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_interface_rollups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "interface_id", "hour_start", name=op.f("pk_network_interface_rollups")
        ),
    )
    with op.batch_alter_table("network_interface_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_network_interface_rollups_hour_start", ["hour_start"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_interface_rollups_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_interface_samples",
        sa.Column("interface_id", sa.Uuid(), nullable=False),
        sa.Column("sampled_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("in_bps", sa.Float(), nullable=False),
        sa.Column("out_bps", sa.Float(), nullable=False),
        sa.Column("oper_up", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interface_id"],
            ["network_interfaces.id"],
            name=op.f("fk_network_interface_samples_interface_id_network_interfaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_interface_samples_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "interface_id", "sampled_at", name=op.f("pk_network_interface_samples")
        ),
    )
    with op.batch_alter_table("network_interface_samples", schema=None) as batch_op:
        batch_op.create_index(
            "ix_network_interface_samples_sampled_at", ["sampled_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_interface_samples_tenant_id"), ["tenant_id"], unique=False
        )
    r0201_alerts.upgrade()


def downgrade() -> None:
    r0201_alerts.downgrade()
    with op.batch_alter_table("network_interface_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_interface_samples_tenant_id"))
        batch_op.drop_index("ix_network_interface_samples_sampled_at")

    op.drop_table("network_interface_samples")
    with op.batch_alter_table("network_interface_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_interface_rollups_tenant_id"))
        batch_op.drop_index("ix_network_interface_rollups_hour_start")

    op.drop_table("network_interface_rollups")
    with op.batch_alter_table("network_interfaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_interfaces_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_network_interfaces_device_id"))

    op.drop_table("network_interfaces")
    with op.batch_alter_table("network_device_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_device_samples_tenant_id"))
        batch_op.drop_index("ix_network_device_samples_sampled_at")

    op.drop_table("network_device_samples")
    with op.batch_alter_table("network_device_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_device_rollups_tenant_id"))
        batch_op.drop_index("ix_network_device_rollups_hour_start")

    op.drop_table("network_device_rollups")
    with op.batch_alter_table("network_config_backups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_config_backups_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_network_config_backups_device_id"))

    op.drop_table("network_config_backups")
    with op.batch_alter_table("network_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_devices_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_network_devices_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_network_devices_site_id"))
        batch_op.drop_index(batch_op.f("ix_network_devices_parent_device_id"))
        batch_op.drop_index("ix_network_devices_next_poll_at")

    op.drop_table("network_devices")
    with op.batch_alter_table("network_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_sites_tenant_id"))

    op.drop_table("network_sites")
