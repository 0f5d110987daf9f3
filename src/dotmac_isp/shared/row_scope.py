"""Row scope inside a tenant: a session opened for a reseller's staff reads and writes only
the reseller's customers and the rows that belong to them, whoever wrote the query.

The tenant filter lives in the repositories; this scope is one more filter added to every ORM
statement the session runs (SELECT, UPDATE, DELETE, relationship loads, subqueries): the
owner table (customers) by its reseller_id, and every mapped table with a customer_id
foreign key to it by that key. A row outside the scope is simply not there, so every lookup
answers 404 exactly as another tenant's row would. Tables added later are scoped by the same
rule without a change here, and so are rows keyed to those rows (a ticket's attachments, a
subscription's add-ons) by a foreign key to them. Core statements on bare tables (bulk
watermark updates, RADIUS accounting) are not ORM statements and are not scoped; nothing a
reseller's staff reaches uses them on customer rows.

Rows a reseller owns without a customer (a voucher batch sold to it) opt in: a table whose
info carries {"row_scope": "reseller"} is filtered by its own reseller_id (its rows of no
reseller, the tenant's own, are not there either), and every table below it by a foreign
key chain (a batch's vouchers, their sessions) by that key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from dotmac_isp.shared.db import Base
from dotmac_isp.shared.errors import Forbidden

SCOPE_KEY = "row_scope"
SCOPE_COLUMN = "reseller_id"  # on the owner table (and on staff users)
CHILD_COLUMN = "customer_id"  # on the tables that belong to an owner row
OPT_IN = "row_scope"  # Table.info key; the value "reseller" scopes it by its reseller_id


@dataclass(frozen=True)
class RowScope:
    tenant_id: uuid.UUID
    reseller_id: uuid.UUID


@dataclass
class _Config:
    owner_table: str = ""
    owner: Any = None  # the owner's mapped class, found on first use
    children: tuple[Any, ...] = ()
    # rows keyed to a child row instead (a ticket's attachment, a subscription's add-on):
    # (class, foreign key column name, the child class it points at)
    grandchildren: tuple[tuple[Any, str, Any], ...] = ()
    # tables a reseller owns directly (opted in), and the rows below them, parents first:
    # (class, foreign key column name, the scoped class it points at, the column there)
    owned: tuple[Any, ...] = ()
    below_owned: tuple[tuple[Any, str, Any, str], ...] = ()


_config = _Config()


def install(owner_table: str) -> None:
    """Scope sessions by the owner table's reseller_id (called once, by the wiring)."""
    if _config.owner_table == owner_table:
        return
    _config.owner_table, _config.owner = owner_table, None
    if not event.contains(Session, "do_orm_execute", _add_criteria):
        event.listen(Session, "do_orm_execute", _add_criteria)
        event.listen(Session, "before_flush", _stamp_new_rows)


def enter(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID | None) -> None:
    """From now on this session sees only the reseller's rows (None: the whole tenant)."""
    if reseller_id is None:
        session.info.pop(SCOPE_KEY, None)
    else:
        session.info[SCOPE_KEY] = RowScope(tenant_id, reseller_id)


def current(session: Session) -> RowScope | None:
    scope = session.info.get(SCOPE_KEY)
    return scope if isinstance(scope, RowScope) else None


def _resolve() -> tuple[Any, tuple[Any, ...], tuple[tuple[Any, str, Any], ...]]:
    if _config.owner is None:
        owner, children = None, []
        tables: list[tuple[Any, Table]] = [
            (m.class_, m.local_table) for m in Base.registry.mappers
            if isinstance(m.local_table, Table)]
        for cls, table in tables:
            if table.name == _config.owner_table:
                owner = cls
            column = table.c.get(CHILD_COLUMN)
            if column is not None and any(fk.column.table.name == _config.owner_table
                                          for fk in column.foreign_keys):
                children.append(cls)
        if owner is None:
            raise RuntimeError(f"row scope: no mapped table named {_config.owner_table}")
        by_table = {c.__table__.name: c for c in children}
        grandchildren = []
        for cls, table in tables:
            if cls is owner or cls in children:
                continue
            links = [(column.key, by_table[fk.column.table.name]) for column in table.c
                     for fk in column.foreign_keys if fk.column.table.name in by_table]
            if links:
                grandchildren.append((cls, *links[0]))
        _config.owner, _config.children = owner, tuple(children)
        _config.grandchildren = tuple(grandchildren)
        _config.owned, _config.below_owned = _reseller_owned(tables)
    return _config.owner, _config.children, _config.grandchildren


def _reseller_owned(tables: list[tuple[Any, Table]]) -> tuple[
        tuple[Any, ...], tuple[tuple[Any, str, Any, str], ...]]:
    owned = [cls for cls, table in tables if table.info.get(OPT_IN) == "reseller"]
    scoped = {cls.__table__.name: cls for cls in owned}
    below: list[tuple[Any, str, Any, str]] = []
    grew = True
    while grew:  # a chain: vouchers below batches, sessions below vouchers
        grew = False
        for cls, table in tables:
            if table.name in scoped:
                continue
            links = [(column.key, scoped[fk.column.table.name], fk.column.key)
                     for column in table.c for fk in column.foreign_keys
                     if fk.column.table.name in scoped]
            if links:
                below.append((cls, *links[0]))
                scoped[table.name] = cls
                grew = True
    return tuple(owned), tuple(below)


def _add_criteria(state: ORMExecuteState) -> None:
    scope = current(state.session)
    if scope is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the statement that loaded the parent carried the criteria down
    owner, children, grandchildren = _resolve()
    table = owner.__table__
    tenant_id, reseller_id = scope.tenant_id, scope.reseller_id
    owned = (select(table.c.id)
             .where(table.c.tenant_id == tenant_id, table.c.reseller_id == reseller_id))
    options = [with_loader_criteria(owner, lambda cls: cls.reseller_id == reseller_id,
                                    include_aliases=True)]
    options += [with_loader_criteria(child, lambda cls: cls.customer_id.in_(owned),
                                     include_aliases=True) for child in children]
    # A plain expression, not a lambda (the column's name differs per table): aliases of these
    # tables are not covered, and none is used.
    options += [with_loader_criteria(
        cls, getattr(cls, column).in_(select(parent.__table__.c.id).where(
            parent.__table__.c.customer_id.in_(owned))))
        for cls, column, parent in grandchildren]
    options += _owned_options(reseller_id)
    state.statement = state.statement.options(*options)


def _owned_options(reseller_id: uuid.UUID) -> list[Any]:
    shown: dict[Any, Any] = {}  # class -> which of its rows the reseller sees
    options = []
    for cls in _config.owned:
        shown[cls] = cls.__table__.c.reseller_id == reseller_id
        options.append(with_loader_criteria(cls, lambda c: c.reseller_id == reseller_id,
                                            include_aliases=True))
    for cls, column, parent, target in _config.below_owned:
        parent_table = parent.__table__
        shown[cls] = cls.__table__.c[column].in_(
            select(parent_table.c[target]).where(shown[parent]))
        options.append(with_loader_criteria(cls, shown[cls]))
    return options


def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    """A customer created by a reseller's staff is the reseller's; they cannot move one."""
    scope = current(session)
    if scope is None:
        return
    owner = _resolve()[0]
    for obj in session.new:
        if isinstance(obj, owner):
            given = getattr(obj, SCOPE_COLUMN)
            if given is not None and given != scope.reseller_id:
                raise Forbidden("reseller staff create customers for their own reseller only")
            setattr(obj, SCOPE_COLUMN, scope.reseller_id)
    for obj in session.dirty:
        if isinstance(obj, owner) and getattr(obj, SCOPE_COLUMN) != scope.reseller_id:
            raise Forbidden("reseller staff cannot move a customer to another reseller")
