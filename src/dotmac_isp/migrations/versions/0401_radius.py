"""radius

Revision ID: 0401
Revises: 0501
Create Date: 2026-11-26 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types

revision: str = "0401"
down_revision: str | None = "0501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "radius_policy_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radius_policy_changes")),
    )
    with op.batch_alter_table("radius_policy_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_radius_policy_changes_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "radius_nas_clients",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("secret_encrypted", sa.String(length=512), nullable=False),
        sa.Column("vendor", sa.String(length=16), nullable=False),
        sa.Column("coa_port", sa.Integer(), nullable=False),
        sa.Column("require_message_authenticator", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_radius_nas_clients_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radius_nas_clients")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_radius_nas_clients_tenant_id_name")),
    )
    with op.batch_alter_table("radius_nas_clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_radius_nas_clients_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "radpostauth",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=253), nullable=False),
        sa.Column("reply", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=253), nullable=False),
        sa.Column("auth_method", sa.String(length=16), nullable=False),
        sa.Column("nasipaddress", sa.String(length=45), nullable=False),
        sa.Column("calledstationid", sa.String(length=253), nullable=True),
        sa.Column("callingstationid", sa.String(length=253), nullable=True),
        sa.Column("authdate", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("nas_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_radpostauth_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radpostauth")),
    )
    with op.batch_alter_table("radpostauth", schema=None) as batch_op:
        batch_op.create_index("ix_radpostauth_tenant_date", ["tenant_id", "authdate"], unique=False)
        batch_op.create_index(batch_op.f("ix_radpostauth_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_radpostauth_tenant_user", ["tenant_id", "username"], unique=False)

    op.create_table(
        "radius_coa_requests",
        sa.Column("nas_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("radacctid", sa.BigInteger(), nullable=True),
        sa.Column("username", sa.String(length=253), nullable=False),
        sa.Column("acctsessionid", sa.String(length=253), nullable=False),
        sa.Column("target_address", sa.String(length=45), nullable=False),
        sa.Column("target_port", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_attempt_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "completed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("error_cause", sa.Integer(), nullable=True),
        sa.Column("error_detail", sa.String(length=255), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["nas_id"],
            ["radius_nas_clients.id"],
            name=op.f("fk_radius_coa_requests_nas_id_radius_nas_clients"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_radius_coa_requests_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radius_coa_requests")),
    )
    with op.batch_alter_table("radius_coa_requests", schema=None) as batch_op:
        batch_op.create_index("ix_radius_coa_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_radius_coa_requests_subscription_id"), ["subscription_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_radius_coa_requests_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "radacct",
        sa.Column(
            "radacctid",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("acctsessionid", sa.String(length=253), nullable=False),
        sa.Column("acctuniqueid", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=253), nullable=False),
        sa.Column("realm", sa.String(length=64), nullable=True),
        sa.Column("nasipaddress", sa.String(length=45), nullable=False),
        sa.Column("nasportid", sa.String(length=253), nullable=True),
        sa.Column("nasporttype", sa.String(length=32), nullable=True),
        sa.Column(
            "acctstarttime", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "acctupdatetime", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "acctstoptime", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acctinterval", sa.BigInteger(), nullable=True),
        sa.Column("acctsessiontime", sa.BigInteger(), nullable=True),
        sa.Column("acctauthentic", sa.String(length=32), nullable=True),
        sa.Column("connectinfo_start", sa.String(length=253), nullable=True),
        sa.Column("connectinfo_stop", sa.String(length=253), nullable=True),
        sa.Column("acctinputoctets", sa.BigInteger(), nullable=True),
        sa.Column("acctoutputoctets", sa.BigInteger(), nullable=True),
        sa.Column("calledstationid", sa.String(length=253), nullable=True),
        sa.Column("callingstationid", sa.String(length=253), nullable=True),
        sa.Column("acctterminatecause", sa.String(length=32), nullable=True),
        sa.Column("servicetype", sa.String(length=32), nullable=True),
        sa.Column("framedprotocol", sa.String(length=32), nullable=True),
        sa.Column("framedipaddress", sa.String(length=45), nullable=True),
        sa.Column("framedipv6address", sa.String(length=45), nullable=True),
        sa.Column("framedipv6prefix", sa.String(length=64), nullable=True),
        sa.Column("framedinterfaceid", sa.String(length=64), nullable=True),
        sa.Column("delegatedipv6prefix", sa.String(length=64), nullable=True),
        sa.Column("class", sa.String(length=253), nullable=True),
        sa.Column("nas_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["nas_id"],
            ["radius_nas_clients.id"],
            name=op.f("fk_radacct_nas_id_radius_nas_clients"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_radacct_subscription_id_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_radacct_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("radacctid", name=op.f("pk_radacct")),
        sa.UniqueConstraint("acctuniqueid", name=op.f("uq_radacct_acctuniqueid")),
    )
    with op.batch_alter_table("radacct", schema=None) as batch_op:
        batch_op.create_index(
            "ix_radacct_open_nas",
            ["nas_id", "nasipaddress"],
            unique=False,
            postgresql_where=sa.text("acctstoptime IS NULL"),
            sqlite_where=sa.text("acctstoptime IS NULL"),
        )
        batch_op.create_index(
            "ix_radacct_subscription", ["subscription_id", "acctstarttime"], unique=False
        )
        batch_op.create_index(
            "ix_radacct_tenant_start", ["tenant_id", "acctstarttime"], unique=False
        )
        batch_op.create_index(
            "ix_radacct_tenant_user", ["tenant_id", "username", "acctstarttime"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        # room on each page, so an Interim-Update (no indexed column changes) is a HOT update
        op.execute("ALTER TABLE radacct SET (fillfactor = 70)")

    op.create_table(
        "radius_data_cap_states",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("used_octets", sa.BigInteger(), nullable=False),
        sa.Column("capped_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_radius_data_cap_states_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_radius_data_cap_states_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "subscription_id", "period_start", name=op.f("pk_radius_data_cap_states")
        ),
    )
    with op.batch_alter_table("radius_data_cap_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_radius_data_cap_states_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "radius_usage_daily",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("usage_date", sa.Date(), nullable=False),
        sa.Column("input_octets", sa.BigInteger(), nullable=False),
        sa.Column("output_octets", sa.BigInteger(), nullable=False),
        sa.Column("session_seconds", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_radius_usage_daily_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_radius_usage_daily_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_radius_usage_daily")),
        sa.UniqueConstraint(
            "subscription_id",
            "usage_date",
            name=op.f("uq_radius_usage_daily_subscription_id_usage_date"),
        ),
    )
    with op.batch_alter_table("radius_usage_daily", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_radius_usage_daily_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "radius_usage_marks",
        sa.Column("radacctid", sa.BigInteger(), nullable=False),
        sa.Column("usage_date", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("input_octets", sa.BigInteger(), nullable=False),
        sa.Column("output_octets", sa.BigInteger(), nullable=False),
        sa.Column("session_seconds", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["radacctid"],
            ["radacct.radacctid"],
            name=op.f("fk_radius_usage_marks_radacctid_radacct"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("radacctid", "usage_date", name=op.f("pk_radius_usage_marks")),
    )
    with op.batch_alter_table("radius_usage_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_radius_usage_marks_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("radius_usage_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_radius_usage_marks_subscription_id"))

    op.drop_table("radius_usage_marks")
    with op.batch_alter_table("radius_usage_daily", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_radius_usage_daily_tenant_id"))

    op.drop_table("radius_usage_daily")
    with op.batch_alter_table("radius_data_cap_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_radius_data_cap_states_tenant_id"))

    op.drop_table("radius_data_cap_states")
    with op.batch_alter_table("radacct", schema=None) as batch_op:
        batch_op.drop_index("ix_radacct_tenant_user")
        batch_op.drop_index("ix_radacct_tenant_start")
        batch_op.drop_index("ix_radacct_subscription")
        batch_op.drop_index(
            "ix_radacct_open_nas",
            postgresql_where=sa.text("acctstoptime IS NULL"),
            sqlite_where=sa.text("acctstoptime IS NULL"),
        )

    op.drop_table("radacct")
    with op.batch_alter_table("radius_coa_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_radius_coa_requests_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_radius_coa_requests_subscription_id"))
        batch_op.drop_index("ix_radius_coa_due")

    op.drop_table("radius_coa_requests")
    with op.batch_alter_table("radpostauth", schema=None) as batch_op:
        batch_op.drop_index("ix_radpostauth_tenant_user")
        batch_op.drop_index(batch_op.f("ix_radpostauth_tenant_id"))
        batch_op.drop_index("ix_radpostauth_tenant_date")

    op.drop_table("radpostauth")
    with op.batch_alter_table("radius_nas_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_radius_nas_clients_tenant_id"))

    op.drop_table("radius_nas_clients")
    with op.batch_alter_table("radius_policy_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_radius_policy_changes_created_at"))

    op.drop_table("radius_policy_changes")
