"""Technicians racing for the same stock, each in their own transaction on committed data
(one connection per thread). On PostgreSQL the transactions really overlap; on SQLite they
queue on the write lock, which must give the same answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.field.enums import WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.inventory import movements, on_site, schemas, stock
from dotmac_isp.modules.inventory.errors import NotAtSource, NotEnoughStock
from dotmac_isp.modules.inventory.models import (
    Item,
    ItemModel,
    Movement,
    StockLevel,
    StockLocation,
    StockThreshold,
)
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import ValidationFailed
from tests.modules.field.factories import make_technician, make_work_order
from tests.modules.inventory.factories import make_item_model, make_location, receive_units
from tests.support.customers import make_subscription
from tests.support.factories import make_tenant
from tests.support.parallel import at_once

pytestmark = pytest.mark.slow


@dataclass
class Stockroom:
    database: Database
    tenant_id: uuid.UUID
    van_id: uuid.UUID
    onu_id: uuid.UUID
    cable_id: uuid.UUID
    subs: list[uuid.UUID]
    jobs: list[uuid.UUID]


@pytest.fixture
def stockroom(engine: Engine, settings: Settings) -> Iterator[Stockroom]:
    """A van with one ONU and ten (metres of) cable, and eight subscriptions; committed for
    real and removed afterwards."""
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"race-{uuid.uuid4().hex[:8]}")
        van = make_location(session, tenant, "Van race")
        onu = make_item_model(session, tenant)
        cable = make_item_model(session, tenant, model="Drop cable", kind="cable",
                                serialized=False)
        receive_units(session, tenant, van, onu, 1, serial_prefix="RACE")
        movements.receive(session, tenant.id, schemas.ReceiveIn(
            location_id=van.id, item_model_id=cable.id, quantity=10))
        subs = [make_subscription(session, settings, tenant,
                                  status=SubscriptionStatus.ACTIVE).id for _ in range(8)]
        jobs = [make_work_order(session, tenant).id for _ in range(8)]
        room = Stockroom(database, tenant.id, van.id, onu.id, cable.id, subs, jobs)
    yield room
    with database.unit_of_work() as session:
        for model in (Movement, Item, StockLevel, StockThreshold, StockLocation, ItemModel,
                      WorkOrder, Subscription):
            session.execute(delete(model).where(model.tenant_id == room.tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == room.tenant_id))


def test_two_technicians_installing_the_same_serial_exactly_one_wins(
        stockroom: Stockroom) -> None:
    db = stockroom.database
    with db.unit_of_work(write=False) as session:
        item_id = session.scalars(select(Item.id).where(
            Item.tenant_id == stockroom.tenant_id)).one()

    def install(n: int) -> str:
        try:
            with db.unit_of_work() as session:
                movements.install(session, stockroom.tenant_id, schemas.InstallIn(
                    item_ids=[item_id], from_location_id=stockroom.van_id,
                    subscription_id=stockroom.subs[n]))
            return "installed"
        except NotAtSource as exc:
            return exc.detail

    results = at_once(2, install)
    assert sorted(results) == ["installed", "item RACE-0001 is not at Van race: it is "
                                            f"installed at subscription {_winner(db, item_id)}"]
    with db.unit_of_work(write=False) as session:
        item = session.get_one(Item, item_id)
        installs = session.scalars(select(Movement).where(Movement.item_id == item_id,
                                                          Movement.kind == "install")).all()
    assert item.state == "installed" and item.location_id is None
    assert [m.subscription_id for m in installs] == [item.subscription_id]


def _winner(db: Database, item_id: uuid.UUID) -> str:
    with db.unit_of_work(write=False) as session:
        sub_id = session.get_one(Item, item_id).subscription_id
        return session.get_one(Subscription, sub_id).radius_username


def test_parallel_takes_of_unserialized_stock_never_go_below_zero(
        stockroom: Stockroom) -> None:
    """Ten in the van, eight technicians take three each at once: three of them get theirs,
    five are told the van holds too few, and one is left."""
    db = stockroom.database

    def take(n: int) -> str:
        try:
            with db.unit_of_work() as session:
                movements.issue(session, stockroom.tenant_id, schemas.IssueIn(
                    item_model_id=stockroom.cable_id, quantity=3,
                    from_location_id=stockroom.van_id,
                    work_order_id=stockroom.jobs[n]))
            return "taken"
        except NotEnoughStock:
            return "refused"

    results = at_once(8, take)
    assert sorted(results) == ["refused"] * 5 + ["taken"] * 3
    with db.unit_of_work(write=False) as session:
        left = stock.quantity_at(session, stockroom.tenant_id, stockroom.van_id,
                                 stockroom.cable_id)
        issued = session.scalars(select(Movement.quantity).where(
            Movement.tenant_id == stockroom.tenant_id, Movement.kind == "issue")).all()
    assert left == 1
    assert issued == [3, 3, 3]


def test_two_technicians_installing_one_serial_through_two_work_orders_one_wins(
        engine: Engine, settings: Settings) -> None:
    """Two installation work orders on site, each technician types the same serial on their
    phone at the same moment: one ONU is installed, through one work order; the other
    technician is told where it went."""
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"race-wo-{uuid.uuid4().hex[:8]}")
        warehouse = make_location(session, tenant, "Shared shelf")
        receive_units(session, tenant, warehouse, make_item_model(session, tenant), 1,
                      serial_prefix="SAME")
        jobs, techs = [], []
        for n in range(2):
            sub = make_subscription(session, settings, tenant, radius_username=f"race{n}")
            order = make_work_order(session, tenant, kind="installation",
                                    customer=session.get_one(Customer, sub.customer_id),
                                    subscription_id=sub.id)
            order.status = WorkOrderStatus.ON_SITE.value  # arrived at the premises
            techs.append(make_technician(session, settings, tenant, f"Tech{n} Race").user.id)
            jobs.append(order.id)
        tenant_id = tenant.id
    try:
        def install(n: int) -> str:
            try:
                with database.unit_of_work() as session:
                    on_site.install(session, whole_tenant(tenant_id), jobs[n],
                                    on_site.Hands(techs[n], any_location=True),
                                    code="SAME-0001")
                return "installed"
            except (NotAtSource, ValidationFailed) as exc:  # raced in the lock, or read after
                return exc.detail

        results = at_once(2, install)
        with database.unit_of_work(write=False) as session:
            item = session.scalars(select(Item).where(Item.tenant_id == tenant_id)).one()
            installs = session.scalars(select(Movement).where(
                Movement.item_id == item.id, Movement.kind == "install")).all()
            winner = session.get_one(WorkOrder, installs[0].work_order_id)
            username = session.get_one(Subscription, item.subscription_id).radius_username
        assert len(results) == 2 and results.count("installed") == 1
        [lost] = [r for r in results if r != "installed"]
        assert lost.removeprefix("code: ").startswith("item SAME-0001 is not ")
        assert lost.endswith(f": it is installed at subscription {username}")
        assert len(installs) == 1 and winner.subscription_id == item.subscription_id
        assert item.state == "installed" and item.location_id is None
    finally:
        with database.unit_of_work() as session:
            for model in (Movement, Item, StockLocation, ItemModel, WorkOrder, Subscription):
                session.execute(delete(model).where(model.tenant_id == tenant_id))
            session.execute(delete(Tenant).where(Tenant.id == tenant_id))
