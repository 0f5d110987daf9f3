"""resellers: organisations inside a tenant with their own staff and customers, commission
rules per plan and monthly commission statements

Revision ID: 0841
Revises: 0801
Create Date: 2026-12-20 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import dotmac_isp.shared.types

revision: str = "0841"
down_revision: str | None = "0801"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = dotmac_isp.shared.types.UTCDateTime
MONEY = sa.Numeric(precision=18, scale=4)


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


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or op.f(f"ix_{table}_{columns[0]}"), table, list(columns))


def _add_reseller_column(table: str) -> None:
    # No ON DELETE: SQLite does not reflect it on a column added later, and the default
    # (no action) refuses to delete a reseller that still has customers or staff, as wanted.
    # Plain ALTER TABLE on both databases: SQLite's batch copy would drop the expression index
    # on customer names, and a table other tables reference is not copied lightly.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN reseller_id CHAR(32) "
                   f"REFERENCES resellers (id)")
    else:
        op.add_column(table, sa.Column("reseller_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(op.f(f"fk_{table}_reseller_id_resellers"), table, "resellers",
                              ["reseller_id"], ["id"])


# What the built-in roles gain: they hold every permission (admin) or every read (read_only).
NEW_PERMISSIONS = {"admin": ["resellers:read", "resellers:write"],
                   "read_only": ["resellers:read"]}


def _grant_builtin_roles() -> None:
    bind = op.get_bind()
    roles = sa.table("roles", sa.column("id", sa.Uuid()), sa.column("name", sa.String()),
                     sa.column("is_builtin", sa.Boolean()), sa.column("permissions", sa.JSON()))
    for name, granted in NEW_PERMISSIONS.items():
        rows = bind.execute(sa.select(roles.c.id, roles.c.permissions).where(
            roles.c.name == name, roles.c.is_builtin.is_(True))).all()
        for role_id, held in rows:
            merged = sorted(set(held or []) | set(granted))
            bind.execute(roles.update().where(roles.c.id == role_id).values(permissions=merged))


def upgrade() -> None:
    _grant_builtin_roles()
    op.create_table(
        "resellers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("primary_colour", sa.String(length=7), nullable=False),
        sa.Column("accent_colour", sa.String(length=7), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=16), nullable=True),
        *_common("resellers"),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_resellers_tenant_id_slug")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_resellers_tenant_id_name")),
    )
    _index("resellers", "tenant_id")
    op.create_table(
        "commission_rules",
        sa.Column("reseller_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("activation_amount", MONEY, nullable=False),
        *_common("commission_rules"),
        _fk("commission_rules", "reseller_id", "resellers", "CASCADE"),
        _fk("commission_rules", "plan_id", "plans", "CASCADE"),
        sa.UniqueConstraint("reseller_id", "plan_id",
                            name=op.f("uq_commission_rules_reseller_id_plan_id")),
    )
    _index("commission_rules", "tenant_id")
    _index("commission_rules", "reseller_id")
    op.create_table(
        "commission_statements",
        sa.Column("reseller_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("computed_at", UTC(timezone=True), nullable=False),
        sa.Column("approved_at", UTC(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=254), nullable=False),
        *_common("commission_statements"),
        _fk("commission_statements", "reseller_id", "resellers", "RESTRICT"),
        sa.UniqueConstraint(
            "reseller_id", "period_start", "currency",
            name=op.f("uq_commission_statements_reseller_id_period_start_currency")),
    )
    _index("commission_statements", "tenant_id")
    _index("commission_statements", "reseller_id")
    _index("commission_statements", "tenant_id", "period_start",
           name="ix_commission_statements_tenant_period")
    op.create_table(
        "commission_statement_lines",
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("base_amount", MONEY, nullable=False),
        sa.Column("percent", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        *_common("commission_statement_lines", timestamps=False),
        _fk("commission_statement_lines", "statement_id", "commission_statements", "CASCADE"),
        sa.UniqueConstraint("statement_id", "key",
                            name=op.f("uq_commission_statement_lines_statement_id_key")),
    )
    _index("commission_statement_lines", "tenant_id")
    _index("commission_statement_lines", "statement_id")
    _add_reseller_column("users")
    _index("users", "reseller_id")
    _add_reseller_column("customers")
    _index("customers", "tenant_id", "reseller_id", "id", name="ix_customers_tenant_reseller")


def downgrade() -> None:
    op.drop_index("ix_customers_tenant_reseller", table_name="customers")
    op.drop_index(op.f("ix_users_reseller_id"), table_name="users")
    for table in ("customers", "users"):
        if op.get_bind().dialect.name != "sqlite":
            op.drop_constraint(op.f(f"fk_{table}_reseller_id_resellers"), table,
                               type_="foreignkey")
        op.drop_column(table, "reseller_id")
    op.drop_table("commission_statement_lines")
    op.drop_table("commission_statements")
    op.drop_table("commission_rules")
    op.drop_table("resellers")
