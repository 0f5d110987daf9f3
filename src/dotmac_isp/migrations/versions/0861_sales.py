"""sales: leads and their timeline, quotes and lines, sales settings, the enquiry counter;
sales permissions and the built-in sales role for existing tenants

Revision ID: 0861
Revises: 0871
Create Date: 2026-12-20 09:00:00.000000
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

revision: str = "0861"
down_revision: str | None = "0871"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TYPE = dotmac_isp.shared.types.UTCDateTime
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MONEY = sa.Numeric(precision=18, scale=4)
# What each built-in role gains (as modules/identity/permissions.py grants it to new tenants).
GRANTS = {"admin": ["sales:read", "sales:write"], "support": ["sales:read"],
          "read_only": ["sales:read"]}
SALES_ROLE = ("Sales: leads, quotes, coverage checks, converting accepted quotes",
              ["customers:read", "field:read", "map:read", "sales:read", "sales:write",
               "services:read", "tenant:read"])


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, UTC_TYPE(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def _owned(table: str, *, timestamps: bool = True) -> list[Any]:
    columns: list[Any] = [sa.Column("id", sa.Uuid(), nullable=False),
                          sa.Column("tenant_id", sa.Uuid(), nullable=False)]
    if timestamps:
        columns += [_when("created_at"), _when("updated_at")]
    return [*columns, _fk(table, "tenant_id", "tenants", "CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]


def _tenant_index(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_tenant_id"), table, ["tenant_id"])


def upgrade() -> None:
    op.create_table(
        "sales_enquiry_counters",
        sa.Column("client_address", sa.String(length=45), nullable=False),
        _when("window_start"),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_address", name=op.f("pk_sales_enquiry_counters")),
    )
    op.create_table(
        "sales_settings",
        sa.Column("sales_email", sa.String(length=254), nullable=False),
        sa.Column("quote_validity_days", sa.Integer(), nullable=False),
        sa.Column("quote_terms", sa.Text(), nullable=False),
        *_owned("sales_settings"),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_sales_settings_tenant_id")),
    )
    _tenant_index("sales_settings")
    _leads()
    op.create_table(
        "sales_lead_activities",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=True),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        _when("created_at"),
        *_owned("sales_lead_activities", timestamps=False),
        _fk("sales_lead_activities", "lead_id", "sales_leads", "CASCADE"),
    )
    op.create_index("ix_sales_lead_activities_lead", "sales_lead_activities",
                    ["lead_id", "created_at"])
    _tenant_index("sales_lead_activities")
    _quotes()
    _grant_roles()


def _leads() -> None:
    t = "sales_leads"
    op.create_table(
        t,
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("address_line2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        _when("stage_changed_at"),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("follow_up_date", sa.Date(), nullable=True),
        sa.Column("lost_reason", sa.String(length=500), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _when("consent_at", nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        _when("converted_at", nullable=True),
        *_owned(t),
        _fk(t, "customer_id", "customers", "SET NULL"),
        _fk(t, "owner_id", "users", "SET NULL"),
        _fk(t, "work_order_id", "work_orders", "SET NULL"),
        sa.UniqueConstraint("customer_id", name=op.f("uq_sales_leads_customer_id")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_sales_leads_tenant_id_number")),
    )
    op.create_index("ix_sales_leads_tenant_created", t, ["tenant_id", "created_at", "id"])
    op.create_index("ix_sales_leads_tenant_follow_up", t, ["tenant_id", "follow_up_date"])
    _tenant_index(t)
    op.create_index("ix_sales_leads_tenant_owner", t, ["tenant_id", "owner_id"])
    op.create_index("ix_sales_leads_tenant_stage", t, ["tenant_id", "stage", "created_at"])


def _quotes() -> None:
    t = "sales_quotes"
    op.create_table(
        t,
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        *[sa.Column(f"{part}_{figure}", MONEY, nullable=False)
          for part in ("monthly", "one_off") for figure in ("subtotal", "tax", "total")],
        sa.Column("link_nonce", sa.String(length=64), nullable=True),
        _when("sent_at", nullable=True),
        sa.Column("sent_to", sa.String(length=254), nullable=False),
        _when("accepted_at", nullable=True),
        sa.Column("accepted_name", sa.String(length=200), nullable=False),
        _when("declined_at", nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=False),
        sa.Column("answered_from", sa.String(length=45), nullable=False),
        _when("one_offs_billed_at", nullable=True),
        *_owned(t),
        _fk(t, "lead_id", "sales_leads", "CASCADE"),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_sales_quotes_tenant_id_number")),
    )
    op.create_index("ix_sales_quotes_lead", t, ["lead_id", "created_at"])
    op.create_index("ix_sales_quotes_tenant_created", t, ["tenant_id", "created_at", "id"])
    _tenant_index(t)
    lines = "sales_quote_lines"
    op.create_table(
        lines,
        sa.Column("quote_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("net_amount", MONEY, nullable=False),
        sa.Column("tax_amount", MONEY, nullable=False),
        sa.Column("gross_amount", MONEY, nullable=False),
        sa.Column("taxes", JSON, nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        *_owned(lines, timestamps=False),
        _fk(lines, "plan_id", "plans", "RESTRICT"),
        _fk(lines, "quote_id", "sales_quotes", "CASCADE"),
        _fk(lines, "subscription_id", "subscriptions", "SET NULL"),
    )
    op.create_index("ix_sales_quote_lines_quote", lines, ["quote_id", "position"])
    _tenant_index(lines)


def _roles() -> sa.TableClause:
    return sa.table("roles", sa.column("id", sa.Uuid()), sa.column("tenant_id", sa.Uuid()),
                    sa.column("name", sa.String()), sa.column("description", sa.String()),
                    sa.column("permissions", JSON), sa.column("is_builtin", sa.Boolean()),
                    sa.column("created_at", UTC_TYPE(timezone=True)),
                    sa.column("updated_at", UTC_TYPE(timezone=True)))


def _perms(value: Any) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value or [])


def _grant_roles() -> None:
    """Existing tenants' built-in roles gain the sales permissions new tenants get, and each
    tenant gets the built-in sales role (unless it has a role of that name already)."""
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
    taken = {row.tenant_id for row in bind.execute(
        sa.select(roles.c.tenant_id).where(roles.c.name == "sales"))}
    rows = [{"id": uuid.uuid4(), "tenant_id": tenant_id, "name": "sales",
             "description": SALES_ROLE[0], "permissions": SALES_ROLE[1], "is_builtin": True,
             "created_at": now, "updated_at": now} for tenant_id in sorted(tenants - taken)]
    if rows:
        bind.execute(roles.insert(), rows)


def downgrade() -> None:
    roles, bind = _roles(), op.get_bind()
    bind.execute(roles.delete().where(roles.c.name == "sales", roles.c.is_builtin))
    for role_id, perms in bind.execute(sa.select(roles.c.id, roles.c.permissions)).all():
        kept = [p for p in _perms(perms) if not p.startswith("sales:")]
        if kept != _perms(perms):
            bind.execute(roles.update().where(roles.c.id == role_id).values(permissions=kept))
    for table in ("sales_quote_lines", "sales_quotes", "sales_lead_activities", "sales_leads",
                  "sales_settings", "sales_enquiry_counters"):
        op.drop_table(table)
