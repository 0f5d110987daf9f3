"""What each location holds: quantities of unserialized stock (changed by conditional
updates, so parallel moves never take more than is there), counts of serialized items, and
the low-stock flags that follow them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.modules.inventory.enums import ItemState
from dotmac_isp.modules.inventory.errors import NotEnoughStock
from dotmac_isp.modules.inventory.models import (
    Item,
    ItemModel,
    StockLevel,
    StockLocation,
    StockThreshold,
)
from dotmac_isp.modules.inventory.repository import (
    ItemModelRepository,
    StockLevelRepository,
    ThresholdRepository,
)
from dotmac_isp.shared.types import utcnow

Pair = tuple[uuid.UUID, uuid.UUID]  # (location_id, item_model_id)


@dataclass(frozen=True)
class StockRow:
    item_model_id: uuid.UUID
    vendor: str
    model: str
    kind: str
    serialized: bool
    in_stock: int
    faulty: int
    minimum: int | None

    @property
    def low(self) -> bool:
        return self.minimum is not None and self.in_stock < self.minimum


def _level(tenant_id: uuid.UUID, location_id: uuid.UUID, model_id: uuid.UUID) -> list[object]:
    return [StockLevel.tenant_id == tenant_id, StockLevel.location_id == location_id,
            StockLevel.item_model_id == model_id]


def quantity_at(session: Session, tenant_id: uuid.UUID, location_id: uuid.UUID,
                model_id: uuid.UUID) -> int:
    found = session.scalar(select(StockLevel.quantity).where(
        *_level(tenant_id, location_id, model_id)))  # type: ignore[arg-type]
    return int(found or 0)


def take(session: Session, tenant_id: uuid.UUID, location: StockLocation, model: ItemModel,
         quantity: int) -> None:
    """Take a quantity out of a location, or refuse when it holds fewer: one conditional
    update, so two parallel takes of the last units cannot both succeed."""
    done = session.execute(
        update(StockLevel).where(*_level(tenant_id, location.id, model.id),  # type: ignore[arg-type]
                                 StockLevel.quantity >= quantity)
        .values(quantity=StockLevel.quantity - quantity)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        have = quantity_at(session, tenant_id, location.id, model.id)
        raise NotEnoughStock(f"{location.name} holds {have} of {model.name}; "
                             f"{quantity} cannot be taken from it", extra={"field": "quantity"})


def put(session: Session, tenant_id: uuid.UUID, location_id: uuid.UUID, model_id: uuid.UUID,
        quantity: int) -> None:
    """Add a quantity to a location (its row is made on first use)."""
    def add() -> int:
        done = session.execute(
            update(StockLevel).where(*_level(tenant_id, location_id, model_id))  # type: ignore[arg-type]
            .values(quantity=StockLevel.quantity + quantity)
            .execution_options(synchronize_session=False))
        return int(done.rowcount)  # type: ignore[attr-defined]

    if add():
        return
    try:
        with session.begin_nested():
            session.execute(insert(StockLevel).values(
                id=uuid.uuid4(), tenant_id=tenant_id, location_id=location_id,
                item_model_id=model_id, quantity=quantity))
    except IntegrityError:  # another transaction made the row first
        add()


def _serialized_counts(session: Session, tenant_id: uuid.UUID, location_ids: list[uuid.UUID],
                       ) -> dict[tuple[uuid.UUID, uuid.UUID, str], int]:
    rows = session.execute(
        select(Item.location_id, Item.item_model_id, Item.state, func.count())
        .where(Item.tenant_id == tenant_id, Item.location_id.in_(location_ids))
        .group_by(Item.location_id, Item.item_model_id, Item.state)).all()
    return {(loc, model, state): int(n) for loc, model, state, n in rows if loc is not None}


def in_stock(session: Session, tenant_id: uuid.UUID, pairs: Iterable[Pair]) -> dict[Pair, int]:
    """Units in stock (not faulty) of each (location, model)."""
    wanted = set(pairs)
    locations = list({loc for loc, _ in wanted})
    if not locations:
        return {}
    counted = _serialized_counts(session, tenant_id, locations)
    levels = {(loc, model): qty for loc, model, qty in session.execute(
        select(StockLevel.location_id, StockLevel.item_model_id, StockLevel.quantity)
        .where(StockLevel.tenant_id == tenant_id, StockLevel.location_id.in_(locations)))}
    return {pair: counted.get((*pair, ItemState.IN_STOCK.value), 0) + levels.get(pair, 0)
            for pair in wanted}


def recheck(session: Session, tenant_id: uuid.UUID, pairs: Iterable[Pair]) -> None:
    """Raise or clear the low-stock flag of the thresholds of these (location, model)s."""
    wanted = set(pairs)
    if not wanted:
        return
    repo = ThresholdRepository(session, tenant_id)
    thresholds = [t for t in session.scalars(repo.select().where(
        StockThreshold.location_id.in_({loc for loc, _ in wanted})))
        if (t.location_id, t.item_model_id) in wanted]
    if not thresholds:
        return
    counts = in_stock(session, tenant_id, [(t.location_id, t.item_model_id)
                                           for t in thresholds])
    now = utcnow()
    for threshold in thresholds:
        low = counts[(threshold.location_id, threshold.item_model_id)] < threshold.minimum
        if low and threshold.low_since is None:
            threshold.low_since = now
        elif not low and threshold.low_since is not None:
            threshold.low_since = None
    session.flush()


def location_stock(session: Session, tenant_id: uuid.UUID,
                   location: StockLocation) -> list[StockRow]:
    """Every model the location holds or has a threshold for: in stock, faulty, minimum."""
    counted = _serialized_counts(session, tenant_id, [location.id])
    levels = {model: qty for model, qty in session.execute(
        select(StockLevel.item_model_id, StockLevel.quantity).where(
            StockLevel.tenant_id == tenant_id, StockLevel.location_id == location.id))}
    minimums = {t.item_model_id: t.minimum for t in session.scalars(
        ThresholdRepository(session, tenant_id).select().where(
            StockThreshold.location_id == location.id))}
    model_ids = {m for _, m, _ in counted} | set(levels) | set(minimums)
    models = ItemModelRepository(session, tenant_id).by_ids(model_ids)
    rows = []
    for model_id, model in models.items():
        good = counted.get((location.id, model_id, ItemState.IN_STOCK.value), 0)
        rows.append(StockRow(model_id, model.vendor, model.model, model.kind, model.serialized,
                             good + levels.get(model_id, 0),
                             counted.get((location.id, model_id, ItemState.FAULTY.value), 0),
                             minimums.get(model_id)))
    return sorted(rows, key=lambda r: (r.vendor, r.model))


def low_stock(session: Session, tenant_id: uuid.UUID) -> list[StockThreshold]:
    """Thresholds flagged low, oldest first."""
    repo = ThresholdRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(StockThreshold.low_since.is_not(None))
                                .order_by(StockThreshold.low_since)))


def low_stock_count(session: Session, tenant_id: uuid.UUID) -> int:
    return int(session.scalar(select(func.count()).select_from(StockThreshold).where(
        StockThreshold.tenant_id == tenant_id, StockThreshold.low_since.is_not(None))) or 0)


def unserialized_levels(session: Session, tenant_id: uuid.UUID) -> list[StockLevel]:
    return list(session.scalars(StockLevelRepository(session, tenant_id).select()))
