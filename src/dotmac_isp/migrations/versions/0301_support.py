"""support desk (tickets, SLA calendars and policies, escalations) and notifications

Revision ID: 0301
Revises: 0201
Create Date: 2026-11-26 12:32:21.553625
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types
from dotmac_isp.migrations.parts import r0301_notifications

revision: str = "0301"
down_revision: str | None = "0201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "support_calendars",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "holidays",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_support_calendars_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_calendars")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_support_calendars_tenant_id_name")),
    )
    with op.batch_alter_table("support_calendars", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_calendars_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "support_teams",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_support_teams_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_teams")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_support_teams_tenant_id_name")),
    )
    with op.batch_alter_table("support_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_teams_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "sla_policies",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "priorities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("calendar_id", sa.Uuid(), nullable=False),
        sa.Column(
            "targets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at_risk_percent", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["support_calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_support_calendars"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_sla_policies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_sla_policies_tenant_id_name")),
    )
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sla_policies_calendar_id"), ["calendar_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sla_policies_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "support_escalation_rules",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=True),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column(
            "priorities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notify_assignee", sa.Boolean(), nullable=False),
        sa.Column("notify_team", sa.Boolean(), nullable=False),
        sa.Column(
            "notify_emails",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("raise_priority", sa.Boolean(), nullable=False),
        sa.Column("reassign_user_id", sa.Uuid(), nullable=True),
        sa.Column("reassign_team_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["sla_policies.id"],
            name=op.f("fk_support_escalation_rules_policy_id_sla_policies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reassign_team_id"],
            ["support_teams.id"],
            name=op.f("fk_support_escalation_rules_reassign_team_id_support_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reassign_user_id"],
            ["users.id"],
            name=op.f("fk_support_escalation_rules_reassign_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_support_escalation_rules_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_escalation_rules")),
        sa.UniqueConstraint(
            "tenant_id", "name", name=op.f("uq_support_escalation_rules_tenant_id_name")
        ),
    )
    with op.batch_alter_table("support_escalation_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_escalation_rules_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "tickets",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reply_token", sa.String(length=32), nullable=False),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status_changed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "first_responded_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("resolved_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sla_policy_id", sa.Uuid(), nullable=True),
        sa.Column("at_risk_percent", sa.Integer(), nullable=False),
        sa.Column(
            "sla_running_since", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("first_response_target_seconds", sa.Integer(), nullable=True),
        sa.Column("first_response_used_seconds", sa.Integer(), nullable=False),
        sa.Column(
            "first_response_due_at",
            dotmac_isp.shared.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "first_response_at_risk_at",
            dotmac_isp.shared.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("first_response_state", sa.String(length=16), nullable=False),
        sa.Column("resolution_target_seconds", sa.Integer(), nullable=True),
        sa.Column("resolution_used_seconds", sa.Integer(), nullable=False),
        sa.Column(
            "resolution_due_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "resolution_at_risk_at",
            dotmac_isp.shared.types.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("resolution_state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_tickets_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_tickets_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["tickets.id"],
            name=op.f("fk_tickets_merged_into_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"],
            ["sla_policies.id"],
            name=op.f("fk_tickets_sla_policy_id_sla_policies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_tickets_subscription_id_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["support_teams.id"],
            name=op.f("fk_tickets_team_id_support_teams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tickets_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("reply_token", name=op.f("uq_tickets_reply_token")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_tickets_tenant_id_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_tickets_first_response_due",
            ["first_response_state", "first_response_due_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tickets_resolution_due", ["resolution_state", "resolution_due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tickets_sla_policy_id"), ["sla_policy_id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_tenant_assignee", ["tenant_id", "assignee_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tickets_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_tickets_tenant_incident", ["tenant_id", "incident_id"], unique=False
        )
        batch_op.create_index("ix_tickets_tenant_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "support_escalations",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column(
            "rule_names",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "actions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_support_escalations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_support_escalations_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_escalations")),
        sa.UniqueConstraint(
            "ticket_id",
            "trigger",
            "target",
            name=op.f("uq_support_escalations_ticket_id_trigger_target"),
        ),
    )
    with op.batch_alter_table("support_escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_escalations_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "ticket_events",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ticket_events_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_events_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_events_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_ticket_events_ticket", ["ticket_id", "created_at"], unique=False)

    op.create_table(
        "ticket_messages",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_user_id", sa.Uuid(), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("email_message_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_ticket_messages_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ticket_messages_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_messages_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_messages_email_message_id"), ["email_message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_messages_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_messages_ticket", ["ticket_id", "created_at"], unique=False
        )

    op.create_table(
        "ticket_attachments",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticket_messages.id"],
            name=op.f("fk_ticket_attachments_message_id_ticket_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_ticket_attachments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_attachments_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_attachments")),
    )
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_attachments_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_attachments_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ticket_attachments_ticket_id"), ["ticket_id"], unique=False
        )
    r0301_notifications.upgrade()


def downgrade() -> None:
    r0301_notifications.downgrade()
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_message_id"))

    op.drop_table("ticket_attachments")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_messages_ticket")
        batch_op.drop_index(batch_op.f("ix_ticket_messages_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_messages_email_message_id"))

    op.drop_table("ticket_messages")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket")
        batch_op.drop_index(batch_op.f("ix_ticket_events_tenant_id"))

    op.drop_table("ticket_events")
    with op.batch_alter_table("support_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_escalations_tenant_id"))

    op.drop_table("support_escalations")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_tenant_status")
        batch_op.drop_index("ix_tickets_tenant_incident")
        batch_op.drop_index(batch_op.f("ix_tickets_tenant_id"))
        batch_op.drop_index("ix_tickets_tenant_assignee")
        batch_op.drop_index(batch_op.f("ix_tickets_sla_policy_id"))
        batch_op.drop_index("ix_tickets_resolution_due")
        batch_op.drop_index("ix_tickets_first_response_due")
        batch_op.drop_index(batch_op.f("ix_tickets_customer_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("support_escalation_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_escalation_rules_tenant_id"))

    op.drop_table("support_escalation_rules")
    with op.batch_alter_table("sla_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_policies_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_sla_policies_calendar_id"))

    op.drop_table("sla_policies")
    with op.batch_alter_table("support_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_teams_tenant_id"))

    op.drop_table("support_teams")
    with op.batch_alter_table("support_calendars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_calendars_tenant_id"))

    op.drop_table("support_calendars")
