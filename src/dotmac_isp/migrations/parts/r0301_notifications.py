"""Revision 0301, continued: the notification templates and the delivery log (outbox)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types


def upgrade() -> None:
    op.create_table(
        "notification_deliveries",
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("template_source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("lease_until", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_attempt_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("sent_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("smtp_response", sa.String(length=500), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=False),
        sa.Column("related_type", sa.String(length=32), nullable=False),
        sa.Column("related_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notification_deliveries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
    )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            "ix_notification_deliveries_related", ["related_type", "related_id"], unique=False
        )
        batch_op.create_index(
            "ix_notification_deliveries_tenant_created", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "notification_templates",
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notification_templates_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_templates")),
        sa.UniqueConstraint(
            "tenant_id", "event_key", name=op.f("uq_notification_templates_tenant_id_event_key")
        ),
    )
    with op.batch_alter_table("notification_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_templates_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_templates_tenant_id"))

    op.drop_table("notification_templates")
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_tenant_id"))
        batch_op.drop_index("ix_notification_deliveries_tenant_created")
        batch_op.drop_index("ix_notification_deliveries_related")
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_message_id"))
        batch_op.drop_index("ix_notification_deliveries_due")

    op.drop_table("notification_deliveries")
