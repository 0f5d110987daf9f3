"""inventory: items and movements name a real work order (foreign keys to work_orders)

Before this, the inventory kept a work order's id without checking it. An id that names no
work order of the row's own tenant is cleared first:
- a movement keeps its history: the unknown id is added to its note, the column is cleared;
- an item still issued to an unknown work order goes back to the location it was issued from
  (or, with no such location in its history, is written off), with a movement saying why.
No ON DELETE action: a work order is never deleted while equipment or history names it
(work orders end as done, failed or cancelled; a tenant's removal takes both sides at once).

Revision ID: 0851
Revises: 0841
Create Date: 2026-12-16 09:00:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0851"
down_revision: str | None = "0841"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEMS_FK = "fk_inventory_items_work_order_id_work_orders"
MOVEMENTS_FK = "fk_inventory_movements_work_order_id_work_orders"
NOTE_LIMIT = 500

_meta = sa.MetaData()
work_orders = sa.Table("work_orders", _meta, sa.Column("id", sa.Uuid()),
                       sa.Column("tenant_id", sa.Uuid()))
items = sa.Table(
    "inventory_items", _meta, sa.Column("id", sa.Uuid()), sa.Column("tenant_id", sa.Uuid()),
    sa.Column("item_model_id", sa.Uuid()), sa.Column("state", sa.String()),
    sa.Column("location_id", sa.Uuid()), sa.Column("work_order_id", sa.Uuid()),
    sa.Column("technician_id", sa.Uuid()), sa.Column("updated_at", sa.DateTime(timezone=True)))
movements = sa.Table(
    "inventory_movements", _meta, *(sa.Column(name, sa.Uuid()) for name in (
        "id", "tenant_id", "item_model_id", "item_id", "from_location_id", "to_location_id",
        "subscription_id", "work_order_id", "technician_id", "actor_id")),
    sa.Column("kind", sa.String()), sa.Column("quantity", sa.Integer()),
    sa.Column("faulty", sa.Boolean()), sa.Column("note", sa.String()),
    sa.Column("actor_type", sa.String()), sa.Column("actor_label", sa.String()),
    sa.Column("created_at", sa.DateTime(timezone=True)))


def _unknown(table: sa.Table) -> sa.ColumnElement[bool]:
    """The row names a work order that is not one of its own tenant's."""
    return sa.and_(table.c.work_order_id.is_not(None), ~sa.exists().where(
        work_orders.c.id == table.c.work_order_id,
        work_orders.c.tenant_id == table.c.tenant_id))


def _back_to(bind: sa.Connection, item_id: uuid.UUID) -> uuid.UUID | None:
    """Where the item was last taken from (its latest issue), else last put."""
    history = (sa.select(movements.c.kind, movements.c.from_location_id,
                         movements.c.to_location_id)
               .where(movements.c.item_id == item_id)
               .order_by(movements.c.created_at.desc(), movements.c.id.desc()))
    fallback = None
    for kind, from_location, to_location in bind.execute(history):
        if kind == "issue" and from_location is not None:
            return from_location
        fallback = fallback or to_location
    return fallback


def _clear_unknown_ids(bind: sa.Connection) -> None:
    now = datetime.now(UTC)
    stranded = bind.execute(sa.select(items.c.id, items.c.tenant_id, items.c.item_model_id,
                                      items.c.work_order_id).where(_unknown(items))).all()
    for item_id, tenant_id, model_id, work_order_id in stranded:
        location_id = _back_to(bind, item_id)
        state = "in_stock" if location_id is not None else "written_off"
        bind.execute(items.update().where(items.c.id == item_id).values(
            work_order_id=None, technician_id=None, location_id=location_id, state=state,
            updated_at=now))
        bind.execute(movements.insert().values(
            id=uuid.uuid4(), tenant_id=tenant_id, item_model_id=model_id, item_id=item_id,
            kind="return" if location_id is not None else "write_off", quantity=1,
            to_location_id=location_id, faulty=False, actor_type="system",
            actor_label="system", created_at=now,
            note=f"issued to work order {work_order_id}, which does not exist"))
    for row_id, note, work_order_id in bind.execute(sa.select(
            movements.c.id, movements.c.note, movements.c.work_order_id)
            .where(_unknown(movements))).all():
        kept = f"{note} (work order {work_order_id}, which does not exist)".strip()
        bind.execute(movements.update().where(movements.c.id == row_id).values(
            work_order_id=None, note=kept[:NOTE_LIMIT]))


def upgrade() -> None:
    bind = op.get_bind()
    _clear_unknown_ids(bind)
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.create_foreign_key(ITEMS_FK, "work_orders", ["work_order_id"], ["id"])
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.create_foreign_key(MOVEMENTS_FK, "work_orders", ["work_order_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.drop_constraint(MOVEMENTS_FK, type_="foreignkey")
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.drop_constraint(ITEMS_FK, type_="foreignkey")
