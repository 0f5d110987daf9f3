"""Upgrading an installation whose inventory named work orders before they were checked:
ids of no work order of the row's tenant are cleared (an item issued to one goes back to
where it was issued from, with a movement saying why), real ones are kept, and from then on
the database refuses an unknown work order, on SQLite with the item's other rules intact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from dotmac_isp import db_migrate
from dotmac_isp.modules.field import schemas as field_schemas
from dotmac_isp.modules.field import service as field_service
from dotmac_isp.modules.inventory.models import Item, ItemModel, Movement, StockLocation
from dotmac_isp.shared.db import Database
from tests.conftest import BACKENDS
from tests.support.customers import make_customer
from tests.support.factories import make_tenant
from tests.support.postgres import scratch_database

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path, _postgres: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with scratch_database(server) as url:
        yield url


def test_unknown_work_orders_are_cleared_and_real_ones_become_keys(empty_url: str) -> None:
    db_migrate.upgrade(empty_url, revision="0841")  # the revision before 0851
    database = Database.from_url(empty_url)
    ghost = uuid.uuid4()
    with database.unit_of_work() as session:
        tenant, other = make_tenant(session, "keys-a"), make_tenant(session, "keys-b")
        real = field_service.create_work_order(session, tenant.id, field_schemas.WorkOrderCreate(
            kind="installation", customer_id=make_customer(session, tenant).id))
        foreign = field_service.create_work_order(session, other.id,
                                                  field_schemas.WorkOrderCreate(
                                                      kind="repair",
                                                      customer_id=make_customer(
                                                          session, other).id))
        model_id, warehouse_id = uuid.uuid4(), uuid.uuid4()
        session.execute(insert(ItemModel.__table__).values(
            id=model_id, tenant_id=tenant.id, vendor="Huawei", model="HG8245H", kind="onu",
            serialized=True, unit_cost=0, notes="", created_at=NOW, updated_at=NOW))
        session.execute(insert(StockLocation.__table__).values(
            id=warehouse_id, tenant_id=tenant.id, name="Main warehouse", kind="warehouse",
            address="", notes="", is_active=True, created_at=NOW, updated_at=NOW))
        items = {}
        for serial, work_order_id in (("GHOST", ghost), ("REAL", real.id),
                                      ("FOREIGN", foreign.id)):
            item_id = uuid.uuid4()
            items[serial] = item_id
            session.execute(insert(Item.__table__).values(
                id=item_id, tenant_id=tenant.id, item_model_id=model_id, serial=serial,
                state="issued", work_order_id=work_order_id, notes="", created_at=NOW,
                updated_at=NOW))
            for kind, source, target, order in (("receive", None, warehouse_id, None),
                                                 ("issue", warehouse_id, None, work_order_id)):
                session.execute(insert(Movement.__table__).values(
                    id=uuid.uuid4(), tenant_id=tenant.id, kind=kind, item_model_id=model_id,
                    item_id=item_id, quantity=1, from_location_id=source,
                    to_location_id=target, work_order_id=order, faulty=False,
                    note="for the job" if kind == "issue" else "", actor_type="system",
                    actor_label="system", created_at=NOW))
    database.dispose()

    db_migrate.upgrade(empty_url)
    database = Database.from_url(empty_url)
    with database.unit_of_work(write=False) as session:
        found = {i.serial: i for i in session.scalars(select(Item))}
        assert (found["REAL"].state, found["REAL"].work_order_id) == ("issued", real.id)
        for serial in ("GHOST", "FOREIGN"):
            item = found[serial]
            assert (item.state, item.location_id, item.work_order_id) == (
                "in_stock", warehouse_id, None)
            history = session.scalars(select(Movement).where(Movement.item_id == item.id)
                                      .order_by(Movement.created_at)).all()
            assert [(m.kind, m.work_order_id) for m in history] == [
                ("receive", None), ("issue", None), ("return", None)]
            gone = ghost if serial == "GHOST" else foreign.id
            assert history[1].note == f"for the job (work order {gone}, which does not exist)"
            assert history[2].to_location_id == warehouse_id
            assert history[2].note == f"issued to work order {gone}, which does not exist"
        kept = session.scalars(select(Movement).where(Movement.item_id == items["REAL"],
                                                      Movement.kind == "issue")).one()
        assert (kept.work_order_id, kept.note) == (real.id, "for the job")

    with pytest.raises(IntegrityError), database.unit_of_work() as session:
        session.execute(update(Item.__table__).where(Item.id == items["REAL"])
                        .values(work_order_id=uuid.uuid4()))
    with pytest.raises(IntegrityError), database.unit_of_work() as session:
        session.execute(update(Movement.__table__).where(Movement.item_id == items["REAL"])
                        .values(work_order_id=uuid.uuid4()))
    with pytest.raises(IntegrityError), database.unit_of_work() as session:  # one place
        session.execute(update(Item.__table__).where(Item.id == items["REAL"])
                        .values(location_id=warehouse_id))
    db_migrate.downgrade(empty_url, revision="0841")
    with database.unit_of_work() as session:  # the key is gone again
        session.execute(update(Movement.__table__).where(Movement.item_id == items["REAL"])
                        .values(work_order_id=ghost))
    database.dispose()
