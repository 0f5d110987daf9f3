"""Revision 0201, continued: alert rules and their states, alerts, incidents and maintenance
windows."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types


def upgrade() -> None:
    op.create_table(
        "network_alert_rules",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.String(length=8), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_alert_rules_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["network_sites.id"],
            name=op.f("fk_network_alert_rules_site_id_network_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_alert_rules_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_alert_rules")),
        sa.UniqueConstraint(
            "tenant_id", "name", name=op.f("uq_network_alert_rules_tenant_id_name")
        ),
    )
    with op.batch_alter_table("network_alert_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_alert_rules_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_alert_rules_site_id"), ["site_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_alert_rules_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_incidents",
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("device_name", sa.String(length=200), nullable=False),
        sa.Column(
            "affected_device_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "affected_subscription_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("opened_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_incidents_device_id_network_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_incidents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_incidents")),
        sa.UniqueConstraint(
            "tenant_id", "reference", name=op.f("uq_network_incidents_tenant_id_reference")
        ),
    )
    with op.batch_alter_table("network_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_incidents_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_incidents_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_network_incidents_tenant_status", ["tenant_id", "status"], unique=False
        )

    op.create_table(
        "network_maintenance_windows",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_maintenance_windows_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["network_sites.id"],
            name=op.f("fk_network_maintenance_windows_site_id_network_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_maintenance_windows_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_maintenance_windows")),
    )
    with op.batch_alter_table("network_maintenance_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_maintenance_windows_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_maintenance_windows_site_id"), ["site_id"], unique=False
        )
        batch_op.create_index(
            "ix_network_maintenance_windows_span", ["tenant_id", "ends_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_maintenance_windows_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_alert_rule_states",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("target_key", sa.String(length=80), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("interface_id", sa.Uuid(), nullable=True),
        sa.Column(
            "breach_started_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_fired_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("open_alert_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_alert_rule_states_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interface_id"],
            ["network_interfaces.id"],
            name=op.f("fk_network_alert_rule_states_interface_id_network_interfaces"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["network_alert_rules.id"],
            name=op.f("fk_network_alert_rule_states_rule_id_network_alert_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_alert_rule_states_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_alert_rule_states")),
        sa.UniqueConstraint(
            "rule_id", "target_key", name=op.f("uq_network_alert_rule_states_rule_id_target_key")
        ),
    )
    with op.batch_alter_table("network_alert_rule_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_alert_rule_states_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_alert_rule_states_rule_id"), ["rule_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_alert_rule_states_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "network_alerts",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("silenced", sa.Boolean(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("interface_id", sa.Uuid(), nullable=True),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("raised_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "acknowledged_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledged_by", sa.String(length=254), nullable=True),
        sa.Column("resolved_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["network_devices.id"],
            name=op.f("fk_network_alerts_device_id_network_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["network_incidents.id"],
            name=op.f("fk_network_alerts_incident_id_network_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interface_id"],
            ["network_interfaces.id"],
            name=op.f("fk_network_alerts_interface_id_network_interfaces"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["network_alert_rules.id"],
            name=op.f("fk_network_alerts_rule_id_network_alert_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_network_alerts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_alerts")),
    )
    with op.batch_alter_table("network_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_alerts_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            "ix_network_alerts_device_kind", ["device_id", "kind", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_alerts_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_alerts_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_network_alerts_tenant_status", ["tenant_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("network_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_network_alerts_tenant_status")
        batch_op.drop_index(batch_op.f("ix_network_alerts_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_network_alerts_incident_id"))
        batch_op.drop_index("ix_network_alerts_device_kind")
        batch_op.drop_index(batch_op.f("ix_network_alerts_device_id"))

    op.drop_table("network_alerts")
    with op.batch_alter_table("network_alert_rule_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_alert_rule_states_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_network_alert_rule_states_rule_id"))
        batch_op.drop_index(batch_op.f("ix_network_alert_rule_states_device_id"))

    op.drop_table("network_alert_rule_states")
    with op.batch_alter_table("network_maintenance_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_maintenance_windows_tenant_id"))
        batch_op.drop_index("ix_network_maintenance_windows_span")
        batch_op.drop_index(batch_op.f("ix_network_maintenance_windows_site_id"))
        batch_op.drop_index(batch_op.f("ix_network_maintenance_windows_device_id"))

    op.drop_table("network_maintenance_windows")
    with op.batch_alter_table("network_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_network_incidents_tenant_status")
        batch_op.drop_index(batch_op.f("ix_network_incidents_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_network_incidents_device_id"))

    op.drop_table("network_incidents")
    with op.batch_alter_table("network_alert_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_alert_rules_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_network_alert_rules_site_id"))
        batch_op.drop_index(batch_op.f("ix_network_alert_rules_device_id"))

    op.drop_table("network_alert_rules")
