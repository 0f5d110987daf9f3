"""field: work orders, their history, checklists, notes and files; field permissions and
the built-in technician role for existing tenants

Revision ID: 0801
Revises: 0821
Create Date: 2026-12-14 09:00:00.000000
"""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dotmac_isp.shared.types

revision: str = "0801"
down_revision: str | None = "0821"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = dotmac_isp.shared.types.UTCDateTime
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
FIELD = ["field:read", "field:write", "field:dispatch"]
# What each built-in role gains (as modules/identity/permissions.py grants it to new tenants).
GRANTS = {"admin": FIELD, "support": FIELD, "network_engineer": ["field:read"],
          "read_only": ["field:read"]}
TECHNICIAN = ("Field technician: their own work orders, the customers they visit",
              ["customers:read", "field:read", "field:write", "services:read", "tenant:read"])


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, UTC_TYPE(timezone=True), nullable=nullable)


def _owned(table: str) -> list[Any]:
    return [sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("tenant_id", sa.Uuid(), nullable=False),
            sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                    name=op.f(f"fk_{table}_tenant_id_tenants"),
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]


def _of_order(table: str) -> list[Any]:
    return [sa.Column("work_order_id", sa.Uuid(), nullable=False),
            sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"],
                                    name=op.f(f"fk_{table}_work_order_id_work_orders"),
                                    ondelete="CASCADE"),
            *_owned(table)]


def _tenant_index(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_tenant_id"), table, ["tenant_id"])


def upgrade() -> None:
    op.create_table(
        "work_order_checklist_templates",
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("items", JSON, nullable=False),
        _when("created_at"), _when("updated_at"),
        *_owned("work_order_checklist_templates"),
        sa.UniqueConstraint("tenant_id", "kind",
                            name=op.f("uq_work_order_checklist_templates_tenant_id_kind")),
    )
    _tenant_index("work_order_checklist_templates")
    _work_orders()
    op.create_table(
        "work_order_attachments",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by", sa.String(length=254), nullable=False),
        _when("created_at"),
        *_of_order("work_order_attachments"),
    )
    op.create_index("ix_work_order_attachments_order", "work_order_attachments",
                    ["work_order_id", "created_at"])
    _tenant_index("work_order_attachments")
    op.create_table(
        "work_order_checklist_items",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        _when("done_at", nullable=True),
        sa.Column("done_by", sa.String(length=254), nullable=False),
        *_of_order("work_order_checklist_items"),
    )
    op.create_index("ix_work_order_checklist_items_order", "work_order_checklist_items",
                    ["work_order_id", "position"])
    _tenant_index("work_order_checklist_items")
    op.create_table(
        "work_order_history",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        _when("created_at"),
        *_of_order("work_order_history"),
    )
    op.create_index("ix_work_order_history_order", "work_order_history",
                    ["work_order_id", "created_at"])
    _tenant_index("work_order_history")
    op.create_table(
        "work_order_notes",
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        _when("created_at"),
        *_of_order("work_order_notes"),
    )
    op.create_index("ix_work_order_notes_order", "work_order_notes",
                    ["work_order_id", "created_at"])
    _tenant_index("work_order_notes")
    _grant_roles()


def _work_orders() -> None:
    t = "work_orders"
    op.create_table(
        t,
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("technician_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        _when("window_start", nullable=True), _when("window_end", nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        _when("status_changed_at"), _when("completed_at", nullable=True),
        _when("reminded_for_start", nullable=True),
        _when("created_at"), _when("updated_at"),
        *_owned(t),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_work_orders_customer_id_customers"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"],
                                name=op.f("fk_work_orders_subscription_id_subscriptions"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["support_teams.id"],
                                name=op.f("fk_work_orders_team_id_support_teams"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["technician_id"], ["users.id"],
                                name=op.f("fk_work_orders_technician_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_work_orders_ticket_id_tickets"),
                                ondelete="SET NULL"),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_work_orders_tenant_id_number")),
    )
    op.create_index("ix_work_orders_technician_start", t, ["technician_id", "window_start"])
    op.create_index("ix_work_orders_tenant_created", t, ["tenant_id", "created_at", "id"])
    op.create_index("ix_work_orders_tenant_customer", t, ["tenant_id", "customer_id"])
    _tenant_index(t)
    op.create_index("ix_work_orders_tenant_status", t, ["tenant_id", "status"])
    op.create_index("ix_work_orders_tenant_ticket", t, ["tenant_id", "ticket_id"])
    op.create_index("ix_work_orders_window_start", t, ["status", "window_start"])


def _roles() -> sa.TableClause:
    return sa.table("roles", sa.column("id", sa.Uuid()), sa.column("tenant_id", sa.Uuid()),
                    sa.column("name", sa.String()), sa.column("description", sa.String()),
                    sa.column("permissions", JSON), sa.column("is_builtin", sa.Boolean()),
                    sa.column("created_at", UTC_TYPE(timezone=True)),
                    sa.column("updated_at", UTC_TYPE(timezone=True)))


def _perms(value: Any) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value or [])


def _grant_roles() -> None:
    """Existing tenants' built-in roles gain the field permissions new tenants get, and each
    tenant gets the built-in technician role."""
    roles, bind = _roles(), op.get_bind()
    now = datetime.now(UTC)
    builtin = bind.execute(sa.select(roles.c.id, roles.c.tenant_id, roles.c.name,
                                     roles.c.permissions).where(roles.c.is_builtin)).all()
    for role_id, _tenant_id, name, perms in builtin:
        if name in GRANTS:
            held = sorted(set(_perms(perms)) | set(GRANTS[name]))
            bind.execute(roles.update().where(roles.c.id == role_id)
                         .values(permissions=held, updated_at=now))
    tenants = {tenant_id for _r, tenant_id, _n, _p in builtin}
    taken = {tenant_id for _r, tenant_id, name, _p in builtin if name == "technician"} | {
        row.tenant_id for row in bind.execute(sa.select(roles.c.tenant_id).where(
            roles.c.name == "technician"))}
    rows = [{"id": uuid.uuid4(), "tenant_id": tenant_id, "name": "technician",
             "description": TECHNICIAN[0], "permissions": TECHNICIAN[1], "is_builtin": True,
             "created_at": now, "updated_at": now} for tenant_id in sorted(tenants - taken)]
    if rows:
        bind.execute(roles.insert(), rows)


def downgrade() -> None:
    roles, bind = _roles(), op.get_bind()
    bind.execute(roles.delete().where(roles.c.name == "technician", roles.c.is_builtin))
    for role_id, perms in bind.execute(sa.select(roles.c.id, roles.c.permissions)).all():
        kept = [p for p in _perms(perms) if not p.startswith("field:")]
        if kept != _perms(perms):
            bind.execute(roles.update().where(roles.c.id == role_id).values(permissions=kept))
    for table in ("work_order_notes", "work_order_history", "work_order_checklist_items",
                  "work_order_attachments", "work_orders", "work_order_checklist_templates"):
        op.drop_table(table)
