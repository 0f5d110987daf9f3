"""inventory: item models, stock locations, serialized items, stock quantities, low-stock
thresholds, the movement log; plans that require the CPE's MAC

Revision ID: 0811
Revises: 0771
Create Date: 2026-12-15 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

UTC = dotmac_isp.shared.types.UTCDateTime

revision: str = "0811"
down_revision: str | None = "0771"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS = {
    "admin": ["inventory:read", "inventory:write"],
    "network_engineer": ["inventory:read", "inventory:write"],
    "support": ["inventory:read"],
    "read_only": ["inventory:read"],
}


def upgrade() -> None:
    op.create_table(
        "inventory_item_models",
        sa.Column("vendor", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("serialized", sa.Boolean(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_inventory_item_models_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_item_models")),
        sa.UniqueConstraint(
            "tenant_id",
            "vendor",
            "model",
            name=op.f("uq_inventory_item_models_tenant_id_vendor_model"),
        ),
    )
    op.create_index(
        op.f("ix_inventory_item_models_tenant_id"), "inventory_item_models", ["tenant_id"]
    )

    op.create_table(
        "inventory_locations",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_user_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_inventory_locations_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_inventory_locations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_locations")),
        sa.UniqueConstraint(
            "tenant_id", "name", name=op.f("uq_inventory_locations_tenant_id_name")
        ),
    )
    op.create_index(
        op.f("ix_inventory_locations_owner_user_id"), "inventory_locations", ["owner_user_id"]
    )
    op.create_index(op.f("ix_inventory_locations_tenant_id"), "inventory_locations", ["tenant_id"])

    op.create_table(
        "inventory_items",
        sa.Column("item_model_id", sa.Uuid(), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column("mac", sa.String(length=17), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("technician_id", sa.Uuid(), nullable=True),
        sa.Column("installed_at", UTC(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN location_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN subscription_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN work_order_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN technician_id IS NULL THEN 0 ELSE 1 END)"
            " = CASE WHEN state = 'written_off' THEN 0 ELSE 1 END",
            name=op.f("ck_inventory_items_one_place"),
        ),
        sa.CheckConstraint(
            "(state IN ('in_stock', 'faulty') AND location_id IS NOT NULL)"
            " OR (state = 'installed' AND subscription_id IS NOT NULL)"
            " OR (state = 'issued' AND (work_order_id IS NOT NULL OR technician_id IS NOT NULL))"
            " OR state = 'written_off'",
            name=op.f("ck_inventory_items_place_fits_state"),
        ),
        sa.ForeignKeyConstraint(
            ["item_model_id"],
            ["inventory_item_models.id"],
            name=op.f("fk_inventory_items_item_model_id_inventory_item_models"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_inventory_items_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_inventory_items_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_inventory_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_items")),
        sa.UniqueConstraint(
            "tenant_id",
            "item_model_id",
            "serial",
            name=op.f("uq_inventory_items_tenant_id_item_model_id_serial"),
        ),
        sa.UniqueConstraint("tenant_id", "mac", name=op.f("uq_inventory_items_tenant_id_mac")),
    )
    op.create_index(op.f("ix_inventory_items_item_model_id"), "inventory_items", ["item_model_id"])
    op.create_index(
        "ix_inventory_items_location_model",
        "inventory_items",
        ["location_id", "item_model_id", "state"],
    )
    op.create_index(
        op.f("ix_inventory_items_subscription_id"), "inventory_items", ["subscription_id"]
    )
    op.create_index(op.f("ix_inventory_items_technician_id"), "inventory_items", ["technician_id"])
    op.create_index(op.f("ix_inventory_items_tenant_id"), "inventory_items", ["tenant_id"])
    op.create_index("ix_inventory_items_tenant_serial", "inventory_items", ["tenant_id", "serial"])
    op.create_index(op.f("ix_inventory_items_work_order_id"), "inventory_items", ["work_order_id"])

    op.create_table(
        "inventory_stock",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("item_model_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_inventory_stock_not_negative")),
        sa.ForeignKeyConstraint(
            ["item_model_id"],
            ["inventory_item_models.id"],
            name=op.f("fk_inventory_stock_item_model_id_inventory_item_models"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_inventory_stock_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_inventory_stock_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_stock")),
        sa.UniqueConstraint(
            "location_id",
            "item_model_id",
            name=op.f("uq_inventory_stock_location_id_item_model_id"),
        ),
    )
    op.create_index(op.f("ix_inventory_stock_item_model_id"), "inventory_stock", ["item_model_id"])
    op.create_index(op.f("ix_inventory_stock_tenant_id"), "inventory_stock", ["tenant_id"])

    op.create_table(
        "inventory_thresholds",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("item_model_id", sa.Uuid(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("low_since", UTC(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("minimum >= 1", name=op.f("ck_inventory_thresholds_minimum_positive")),
        sa.ForeignKeyConstraint(
            ["item_model_id"],
            ["inventory_item_models.id"],
            name=op.f("fk_inventory_thresholds_item_model_id_inventory_item_models"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_inventory_thresholds_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_inventory_thresholds_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_thresholds")),
        sa.UniqueConstraint(
            "location_id",
            "item_model_id",
            name=op.f("uq_inventory_thresholds_location_id_item_model_id"),
        ),
    )
    op.create_index(
        op.f("ix_inventory_thresholds_item_model_id"), "inventory_thresholds", ["item_model_id"]
    )
    op.create_index(
        op.f("ix_inventory_thresholds_tenant_id"), "inventory_thresholds", ["tenant_id"]
    )
    op.create_index(
        "ix_inventory_thresholds_tenant_low", "inventory_thresholds", ["tenant_id", "low_since"]
    )

    op.create_table(
        "inventory_movements",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_model_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Uuid(), nullable=True),
        sa.Column("to_location_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("technician_id", sa.Uuid(), nullable=True),
        sa.Column("faulty", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_inventory_movements_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_inventory_movements_from_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["inventory_items.id"],
            name=op.f("fk_inventory_movements_item_id_inventory_items"),
        ),
        sa.ForeignKeyConstraint(
            ["item_model_id"],
            ["inventory_item_models.id"],
            name=op.f("fk_inventory_movements_item_model_id_inventory_item_models"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_inventory_movements_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_inventory_movements_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["inventory_locations.id"],
            name=op.f("fk_inventory_movements_to_location_id_inventory_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_movements")),
    )
    op.create_index("ix_inventory_movements_item", "inventory_movements", ["item_id", "created_at"])
    op.create_index(
        op.f("ix_inventory_movements_subscription_id"), "inventory_movements", ["subscription_id"]
    )
    op.create_index(
        "ix_inventory_movements_tenant_created",
        "inventory_movements",
        ["tenant_id", "created_at", "id"],
    )
    op.create_index(op.f("ix_inventory_movements_tenant_id"), "inventory_movements", ["tenant_id"])
    op.create_index(
        op.f("ix_inventory_movements_work_order_id"), "inventory_movements", ["work_order_id"]
    )

    # A constant default: PostgreSQL adds the column without rewriting plans; no plan asks
    # for the CPE's MAC until someone turns it on.
    op.add_column(
        "plans",
        sa.Column("require_cpe_mac", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _grant_builtin_roles()


def _grant_builtin_roles() -> None:
    """Existing tenants' built-in roles get the inventory permissions new tenants start
    with; custom roles are left for their owners to decide."""
    roles = sa.table(
        "roles",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("permissions", sa.JSON()),
        sa.column("is_builtin", sa.Boolean()),
    )
    conn = op.get_bind()
    for role_id, name, permissions in conn.execute(
        sa.select(roles.c.id, roles.c.name, roles.c.permissions).where(
            roles.c.is_builtin.is_(True), roles.c.name.in_(list(GRANTS))
        )
    ).all():
        held = list(permissions or [])
        added = [p for p in GRANTS[name] if p not in held]
        if added:
            conn.execute(
                roles.update().where(roles.c.id == role_id).values(permissions=held + added)
            )


def downgrade() -> None:
    op.drop_column("plans", "require_cpe_mac")
    for table in (
        "inventory_movements",
        "inventory_thresholds",
        "inventory_stock",
        "inventory_items",
        "inventory_locations",
        "inventory_item_models",
    ):
        op.drop_table(table)
