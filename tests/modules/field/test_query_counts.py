"""The work order list (API and page), the board and the reminder job cost the same number
of statements at 10 rows and at 100: nothing is queried once per row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.field import reminders, scheduling, schemas
from dotmac_isp.modules.field.access import whole_tenant
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.field.factories import make_technician, make_work_order
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.support.querycount import count_statements
from tests.web.test_admin_pages import sign_in

DAY = date(2030, 7, 1)


def _fill(session: Session, tenant: Tenant, first: int, count: int,
          techs: list[StaffUser]) -> None:
    for n in range(first, first + count):
        order = make_work_order(session, tenant, customer=make_customer(session, tenant))
        start = datetime(2030, 7, 2, 0, 0, tzinfo=UTC) + timedelta(minutes=10 * n)
        scheduling.schedule(session, whole_tenant(tenant.id), order.id, schemas.ScheduleIn(
            technician_id=techs[n % len(techs)].user.id, window_start=start,
            window_end=start + timedelta(minutes=10)))


def test_lists_and_reminders_do_not_query_per_row(client: TestClient, admin: StaffUser,
                                                  session: Session, settings: Settings,
                                                  tenant: Tenant, engine: Engine) -> None:
    techs = [make_technician(session, settings, tenant, f"Tech{n} Field") for n in range(3)]
    sign_in(client, admin.user.email, admin.password)
    costs: dict[str, list[int]] = {"api": [], "page": [], "board": [], "reminders": []}
    for first, count in ((0, 10), (10, 90)):
        _fill(session, tenant, first, count, techs)
        session.flush()
        with count_statements(engine) as api:
            assert len(client.get("/api/v1/work-orders", headers=admin.headers,
                                  params={"limit": 200}).json()["items"]) >= count
        with count_statements(engine) as page:
            client.get("/admin/field/work-orders")
        with count_statements(engine) as board:
            client.get("/admin/field/board", params={"day": "2030-07-02"})
        with count_statements(engine) as sent:
            queued = reminders.send_for_tenant(session, tenant.id, DAY)
        assert queued == count
        for name, counted in (("api", api), ("page", page), ("board", board),
                              ("reminders", sent)):
            costs[name].append(counted.count)
    assert {name: len(set(c)) for name, c in costs.items()} == dict.fromkeys(costs, 1), costs
