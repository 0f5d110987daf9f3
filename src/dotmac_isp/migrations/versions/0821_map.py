"""the network map: map settings, coverage areas and their plans, geocoding results, device
coordinates, box indexes on located rows, and the map permissions for the built-in roles

Revision ID: 0821
Revises: 0791
Create Date: 2026-12-14 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types

revision: str = "0821"
down_revision: str | None = "0791"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# What each built-in role gains (the same as identity.permissions.BUILTIN_ROLES now says).
ROLE_GAINS = {"admin": ["map:read", "map:write"], "support": ["map:read"],
              "network_engineer": ["map:read", "map:write"], "read_only": ["map:read"]}


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def _common(table: str, *, timestamps: bool = True) -> list[Any]:
    columns: list[Any] = [sa.Column("id", sa.Uuid(), nullable=False)]
    if timestamps:
        columns += [sa.Column("created_at", UTC(timezone=True), nullable=False),
                    sa.Column("updated_at", UTC(timezone=True), nullable=False)]
    return [*columns, sa.Column("tenant_id", sa.Uuid(), nullable=False),
            _fk(table, "tenant_id", "tenants", "CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "map_settings",
        sa.Column("tile_url", sa.String(length=500), nullable=False),
        sa.Column("tile_attribution", sa.String(length=300), nullable=False),
        sa.Column("geocoder_url", sa.String(length=500), nullable=False),
        sa.Column("geocoder_user_agent", sa.String(length=200), nullable=False),
        *_common("map_settings"),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_map_settings_tenant_id")),
    )
    _index("map_settings", "tenant_id")
    op.create_table(
        "map_coverage_areas",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("geometry", JSON, nullable=False),
        sa.Column("vertices", sa.Integer(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        *_common("map_coverage_areas"),
        _fk("map_coverage_areas", "site_id", "network_sites", "CASCADE"),
        sa.UniqueConstraint("tenant_id", "name",
                            name=op.f("uq_map_coverage_areas_tenant_id_name")),
    )
    _index("map_coverage_areas", "tenant_id")
    _index("map_coverage_areas", "site_id")
    op.create_index("ix_map_coverage_areas_box", "map_coverage_areas",
                    ["tenant_id", "min_lat", "max_lat"])
    op.create_table(
        "map_coverage_area_plans",
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        *_common("map_coverage_area_plans", timestamps=False),
        _fk("map_coverage_area_plans", "area_id", "map_coverage_areas", "CASCADE"),
        _fk("map_coverage_area_plans", "plan_id", "plans", "CASCADE"),
        sa.UniqueConstraint("area_id", "plan_id",
                            name=op.f("uq_map_coverage_area_plans_area_id_plan_id")),
    )
    _index("map_coverage_area_plans", "tenant_id")
    _index("map_coverage_area_plans", "plan_id")
    op.create_table(
        "map_geocode_results",
        sa.Column("address_id", sa.Uuid(), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("attempted_at", UTC(timezone=True), nullable=False),
        *_common("map_geocode_results", timestamps=False),
        _fk("map_geocode_results", "address_id", "customer_addresses", "CASCADE"),
        sa.UniqueConstraint("address_id", name=op.f("uq_map_geocode_results_address_id")),
    )
    _index("map_geocode_results", "tenant_id")
    # Plain ALTER TABLE (no batch): nullable columns, nothing rewritten.
    op.add_column("network_devices", sa.Column("latitude", sa.Numeric(9, 6), nullable=True))
    op.add_column("network_devices", sa.Column("longitude", sa.Numeric(9, 6), nullable=True))
    op.create_index("ix_network_devices_tenant_latitude", "network_devices",
                    ["tenant_id", "latitude"])
    op.create_index("ix_customer_addresses_tenant_latitude", "customer_addresses",
                    ["tenant_id", "latitude"])
    _grant_map_permissions(add=True)


def _grant_map_permissions(*, add: bool) -> None:
    roles = sa.table("roles", sa.column("id", sa.Uuid()), sa.column("name", sa.String()),
                     sa.column("is_builtin", sa.Boolean()), sa.column("permissions", JSON))
    conn = op.get_bind()
    rows = conn.execute(sa.select(roles.c.id, roles.c.name, roles.c.permissions)
                        .where(roles.c.is_builtin.is_(True))).all()
    for role_id, name, permissions in rows:
        gains = ROLE_GAINS.get(name)
        if not gains:
            continue
        held = list(permissions or [])
        changed = sorted(set(held) | set(gains)) if add else [p for p in held
                                                              if not p.startswith("map:")]
        if changed != held:
            conn.execute(roles.update().where(roles.c.id == role_id)
                         .values(permissions=changed))


def downgrade() -> None:
    _grant_map_permissions(add=False)
    op.drop_index("ix_customer_addresses_tenant_latitude", table_name="customer_addresses")
    op.drop_index("ix_network_devices_tenant_latitude", table_name="network_devices")
    op.drop_column("network_devices", "longitude")
    op.drop_column("network_devices", "latitude")
    op.drop_table("map_geocode_results")
    op.drop_table("map_coverage_area_plans")
    op.drop_table("map_coverage_areas")
    op.drop_table("map_settings")
