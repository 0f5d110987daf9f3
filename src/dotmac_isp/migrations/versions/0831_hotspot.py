"""hotspot: voucher plans, batches, vouchers and their sessions, captive-portal sites;
the built-in admin and read-only roles get the hotspot permissions

Revision ID: 0831
Revises: 0811
Create Date: 2026-12-05 09:01:18.631408
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0831"
down_revision: str | None = "0811"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def _owned(table: str) -> list[Any]:
    """id, timestamps and the tenant, as the models' mixins declare them."""
    return [sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("created_at", UTC(timezone=True), nullable=False),
            sa.Column("updated_at", UTC(timezone=True), nullable=False),
            sa.Column("tenant_id", sa.Uuid(), nullable=False),
            _fk(table, "tenant_id", "tenants", "CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or op.f(f"ix_{table}_{columns[0]}"), table, list(columns))


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def upgrade() -> None:
    op.create_table(
        "hotspot_plans",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("time_allowance_seconds", sa.BigInteger(), nullable=True),
        sa.Column("data_allowance_bytes", sa.BigInteger(), nullable=True),
        sa.Column("validity_seconds", sa.BigInteger(), nullable=True),
        sa.Column("download_kbps", sa.Integer(), nullable=True),
        sa.Column("upload_kbps", sa.Integer(), nullable=True),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("mac_login", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_owned("hotspot_plans"), _unique("hotspot_plans", "tenant_id", "name"))
    _index("hotspot_plans", "tenant_id")
    op.create_table(
        "hotspot_sites",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("flow", sa.String(length=16), nullable=False),
        sa.Column("login_url", sa.String(length=500), nullable=False),
        sa.Column("allowed_hosts", sa.String(length=500), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("welcome", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("primary_color", sa.String(length=7), nullable=False),
        sa.Column("background_color", sa.String(length=7), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        *_owned("hotspot_sites"), _unique("hotspot_sites", "tenant_id", "name"))
    _index("hotspot_sites", "tenant_id")
    op.create_table(
        "hotspot_batches",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        *_owned("hotspot_batches"), _fk("hotspot_batches", "plan_id", "hotspot_plans", "RESTRICT"))
    _index("hotspot_batches", "plan_id")
    _index("hotspot_batches", "tenant_id")
    _index("hotspot_batches", "tenant_id", "created_at", name="ix_hotspot_batches_tenant_created")
    op.create_table(
        "hotspot_vouchers",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("mac", sa.String(length=17), nullable=True),
        sa.Column("activated_at", UTC(timezone=True), nullable=True),
        sa.Column("expires_at", UTC(timezone=True), nullable=True),
        sa.Column("finished_at", UTC(timezone=True), nullable=True),
        sa.Column("used_seconds", sa.BigInteger(), nullable=False),
        sa.Column("used_octets", sa.BigInteger(), nullable=False),
        sa.Column("sold_to", sa.String(length=200), nullable=False),
        sa.Column("sold_at", UTC(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=200), nullable=False),
        *_owned("hotspot_vouchers"),
        _fk("hotspot_vouchers", "batch_id", "hotspot_batches", "CASCADE"),
        _fk("hotspot_vouchers", "plan_id", "hotspot_plans", "RESTRICT"),
        _unique("hotspot_vouchers", "tenant_id", "code"))
    for column in ("batch_id", "plan_id", "tenant_id"):
        _index("hotspot_vouchers", column)
    _index("hotspot_vouchers", "finished_at", name="ix_hotspot_vouchers_finished")
    _index("hotspot_vouchers", "tenant_id", "created_at",
           name="ix_hotspot_vouchers_tenant_created")
    _index("hotspot_vouchers", "tenant_id", "mac", name="ix_hotspot_vouchers_tenant_mac")
    _index("hotspot_vouchers", "tenant_id", "state", "created_at",
           name="ix_hotspot_vouchers_tenant_state_created")
    op.create_table(
        "hotspot_voucher_sessions",
        sa.Column("acctuniqueid", sa.String(length=32), nullable=False),
        sa.Column("voucher_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=253), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("octets", sa.BigInteger(), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("stopped_at", UTC(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        _fk("hotspot_voucher_sessions", "tenant_id", "tenants", "CASCADE"),
        _fk("hotspot_voucher_sessions", "voucher_id", "hotspot_vouchers", "CASCADE"),
        sa.PrimaryKeyConstraint("acctuniqueid", name=op.f("pk_hotspot_voucher_sessions")))
    _index("hotspot_voucher_sessions", "tenant_id")
    _index("hotspot_voucher_sessions", "voucher_id")
    _grant(GRANTS)


# Built-in roles of existing tenants get the new permissions, as a new tenant's would.
GRANTS = {"admin": ("hotspot:read", "hotspot:write"), "read_only": ("hotspot:read",)}
ROLES = sa.table("roles", sa.column("id", sa.Uuid()), sa.column("name", sa.String()),
                 sa.column("is_builtin", sa.Boolean()),
                 sa.column("permissions", sa.JSON()))


def _grant(grants: dict[str, tuple[str, ...]], *, revoke: bool = False) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(ROLES.c.id, ROLES.c.name, ROLES.c.permissions).where(
        ROLES.c.is_builtin.is_(True), ROLES.c.name.in_(list(grants)))).all()
    for role_id, name, permissions in rows:
        held = set(permissions or [])
        changed = held - set(grants[name]) if revoke else held | set(grants[name])
        if changed != held:
            conn.execute(ROLES.update().where(ROLES.c.id == role_id)
                         .values(permissions=sorted(changed)))


def downgrade() -> None:
    _grant(GRANTS, revoke=True)
    for table in ("hotspot_voucher_sessions", "hotspot_vouchers", "hotspot_batches",
                  "hotspot_sites", "hotspot_plans"):
        op.drop_table(table)
