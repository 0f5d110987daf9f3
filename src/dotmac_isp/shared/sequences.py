"""Gapless per-tenant counters (customer numbers, invoice numbers, ...).

The counter row is updated inside the caller's transaction, so a number is used only if that
transaction commits: no gaps, and no duplicates because concurrent writers queue on the row
(PostgreSQL row lock; SQLite's writer lock).
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, String, Uuid, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from dotmac_isp.shared.db import Base


class Counter(Base):
    __tablename__ = "counters"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def next_value(session: Session, tenant_id: uuid.UUID, name: str, *, count: int = 1) -> int:
    """Reserve `count` numbers and return the first of them."""
    if count < 1:
        raise ValueError("count must be positive")
    stmt = (update(Counter).where(Counter.tenant_id == tenant_id, Counter.name == name)
            .values(value=Counter.value + count).returning(Counter.value))
    with session.no_autoflush:  # the counter row is all this touches
        last = session.execute(stmt).scalar_one_or_none()
    if last is None:
        try:
            with session.begin_nested():
                session.add(Counter(tenant_id=tenant_id, name=name, value=0))
        except IntegrityError:
            pass  # another transaction created it first; the update below queues behind it
        last = session.execute(stmt).scalar_one()
    return int(last) - count + 1


def peek(session: Session, tenant_id: uuid.UUID, name: str) -> int:
    """The last number handed out (0 if none)."""
    value = session.scalar(select(Counter.value).where(Counter.tenant_id == tenant_id,
                                                       Counter.name == name))
    return int(value or 0)
