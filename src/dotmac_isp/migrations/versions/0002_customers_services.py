"""customers, plans, subscriptions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:56:53.166798
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_counters_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name=op.f("pk_counters")),
    )
    op.create_table(
        "customers",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("tax_id", sa.String(length=64), nullable=False),
        sa.Column("tax_exempt", sa.Boolean(), nullable=False),
        sa.Column("tax_exempt_reason", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "custom_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "status_changed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_customers_tenant_id_number")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_tenant_email", ["tenant_id", "email"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_customers_tenant_status", ["tenant_id", "status"], unique=False)

    op.create_table(
        "plan_addons",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column(
            "plan_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_plan_addons_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_addons")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_plan_addons_tenant_id_name")),
    )
    with op.batch_alter_table("plan_addons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_addons_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "plans",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("download_kbps", sa.Integer(), nullable=True),
        sa.Column("upload_kbps", sa.Integer(), nullable=True),
        sa.Column("burst_download_kbps", sa.Integer(), nullable=True),
        sa.Column("burst_upload_kbps", sa.Integer(), nullable=True),
        sa.Column("burst_threshold_download_kbps", sa.Integer(), nullable=True),
        sa.Column("burst_threshold_upload_kbps", sa.Integer(), nullable=True),
        sa.Column("burst_time_seconds", sa.Integer(), nullable=True),
        sa.Column("data_cap_mb", sa.BigInteger(), nullable=True),
        sa.Column("fup_download_kbps", sa.Integer(), nullable=True),
        sa.Column("fup_upload_kbps", sa.Integer(), nullable=True),
        sa.Column("price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("billing_cycle", sa.String(length=16), nullable=False),
        sa.Column("setup_fee", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("min_contract_months", sa.Integer(), nullable=False),
        sa.Column("session_timeout_seconds", sa.Integer(), nullable=True),
        sa.Column("interim_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("ipv4_pool_id", sa.Uuid(), nullable=True),
        sa.Column("ipv6_pd_pool_id", sa.Uuid(), nullable=True),
        sa.Column(
            "radius_attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("archived_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_plans_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_plans_tenant_id_name")),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "customer_addresses",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_addresses_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    with op.batch_alter_table("customer_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_addresses_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_addresses_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "customer_contacts",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_contacts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_contacts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contacts")),
    )
    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_contacts_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_contacts_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "portal_accounts",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("login", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column(
            "locked_until", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_login_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "password_changed_at",
            dotmac_isp.shared.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("reset_token_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "reset_expires_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_portal_accounts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_portal_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_accounts")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_portal_accounts_customer_id")),
        sa.UniqueConstraint("reset_token_hash", name=op.f("uq_portal_accounts_reset_token_hash")),
        sa.UniqueConstraint("tenant_id", "login", name=op.f("uq_portal_accounts_tenant_id_login")),
    )
    with op.batch_alter_table("portal_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_accounts_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "subscriptions",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("service_address_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("radius_username", sa.String(length=64), nullable=False),
        sa.Column("radius_password_encrypted", sa.String(length=255), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "status_changed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "activated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "suspended_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("suspend_reason", sa.String(length=500), nullable=False),
        sa.Column(
            "terminated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("contract_end_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_subscriptions_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_subscriptions_plan_id_plans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_address_id"],
            ["customer_addresses.id"],
            name=op.f("fk_subscriptions_service_address_id_customer_addresses"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscriptions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "tenant_id", "radius_username", name=op.f("uq_subscriptions_tenant_id_radius_username")
        ),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subscriptions_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriptions_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_subscriptions_tenant_status", ["tenant_id", "status"], unique=False
        )

    op.create_table(
        "subscription_addons",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("addon_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("removed_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["addon_id"],
            ["plan_addons.id"],
            name=op.f("fk_subscription_addons_addon_id_plan_addons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_addons_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_addons_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_addons")),
    )
    with op.batch_alter_table("subscription_addons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_addons_subscription_id"), ["subscription_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_addons_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "subscription_plan_changes",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("old_plan_id", sa.Uuid(), nullable=False),
        sa.Column("new_plan_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column(
            "effective_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["new_plan_id"],
            ["plans.id"],
            name=op.f("fk_subscription_plan_changes_new_plan_id_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["old_plan_id"],
            ["plans.id"],
            name=op.f("fk_subscription_plan_changes_old_plan_id_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_plan_changes_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_plan_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plan_changes")),
    )
    with op.batch_alter_table("subscription_plan_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_plan_changes_subscription_id"),
            ["subscription_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_plan_changes_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "subscription_scheduled_changes",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target_status", sa.String(length=16), nullable=True),
        sa.Column("new_plan_id", sa.Uuid(), nullable=True),
        sa.Column(
            "effective_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("applied_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["new_plan_id"],
            ["plans.id"],
            name=op.f("fk_subscription_scheduled_changes_new_plan_id_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_scheduled_changes_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_scheduled_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_scheduled_changes")),
    )
    with op.batch_alter_table("subscription_scheduled_changes", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_changes_due", ["state", "effective_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscription_scheduled_changes_subscription_id"),
            ["subscription_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_scheduled_changes_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "subscription_status_changes",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column(
            "effective_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("created_at", dotmac_isp.shared.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_status_changes_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_subscription_status_changes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_status_changes")),
    )
    with op.batch_alter_table("subscription_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sub_status_changes_sub", ["subscription_id", "effective_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscription_status_changes_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_status_changes_tenant_id"))
        batch_op.drop_index("ix_sub_status_changes_sub")

    op.drop_table("subscription_status_changes")
    with op.batch_alter_table("subscription_scheduled_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_scheduled_changes_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_scheduled_changes_subscription_id"))
        batch_op.drop_index("ix_scheduled_changes_due")

    op.drop_table("subscription_scheduled_changes")
    with op.batch_alter_table("subscription_plan_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_plan_changes_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_plan_changes_subscription_id"))

    op.drop_table("subscription_plan_changes")
    with op.batch_alter_table("subscription_addons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_addons_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_subscription_addons_subscription_id"))

    op.drop_table("subscription_addons")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriptions_tenant_status")
        batch_op.drop_index(batch_op.f("ix_subscriptions_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_plan_id"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_customer_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("portal_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_accounts_tenant_id"))

    op.drop_table("portal_accounts")
    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_contacts_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_customer_contacts_customer_id"))

    op.drop_table("customer_contacts")
    with op.batch_alter_table("customer_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_addresses_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_customer_addresses_customer_id"))

    op.drop_table("customer_addresses")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_tenant_id"))

    op.drop_table("plans")
    with op.batch_alter_table("plan_addons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_addons_tenant_id"))

    op.drop_table("plan_addons")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_tenant_status")
        batch_op.drop_index(batch_op.f("ix_customers_tenant_id"))
        batch_op.drop_index("ix_customers_tenant_email")

    op.drop_table("customers")
    op.drop_table("counters")
