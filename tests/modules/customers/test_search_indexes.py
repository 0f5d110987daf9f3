"""Customer search reaches subscriptions and addresses; searches use the trigram indexes."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.repository import CustomerRepository
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.repository import DeviceRepository
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.network.radius.repository import SessionRepository
from dotmac_isp.modules.support import service as support_service
from dotmac_isp.modules.support.repository import TicketRepository
from dotmac_isp.modules.support.schemas import TicketCreate
from dotmac_isp.shared.db import Base
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device
from tests.modules.network.ipam.factories import make_pool, take
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import StaffUser

API = "/api/v1"


def _numbers(client: TestClient, admin: StaffUser, q: str) -> list[str]:
    response = client.get(f"{API}/customers", params={"q": q}, headers=admin.headers)
    assert response.status_code == 200, response.text
    return [c["number"] for c in response.json()["items"]]


def test_customer_search_finds_radius_username_and_ip_address(
    client: TestClient,
    admin: StaffUser,
    other_admin: StaffUser,
    session: Session,
    settings: Settings,
    tenant: Tenant,
) -> None:
    wanted = make_customer(session, tenant, first_name="Ngozi", last_name="Okafor")
    make_customer(session, tenant, first_name="Someone", last_name="Else")
    sub = make_subscription(
        session, settings, tenant, customer=wanted, radius_username="fibre-77x1@isp"
    )
    take(session, make_pool(session, tenant, "100.64.9.0/24"), "100.64.9.17", holder_id=sub.id)
    session.flush()
    assert _numbers(client, admin, "fibre-77X1") == [wanted.number]  # any case, in part
    assert _numbers(client, admin, "100.64.9.17") == [wanted.number]
    assert _numbers(client, admin, "okafor") == [wanted.number]  # own fields still match
    assert _numbers(client, admin, "100.64.9.18") == []
    # another tenant's search never reaches this tenant's subscriptions or addresses
    assert _numbers(client, other_admin, "fibre-77x1") == []
    assert _numbers(client, other_admin, "100.64.9.17") == []


def test_session_list_filters_by_mac_and_by_nas_address(
    client: TestClient, admin: StaffUser, session: Session, settings: Settings, tenant: Tenant
) -> None:
    sub = make_subscription(session, settings, tenant)
    for user, mac, nas in [
        ("m1", "AA-BB-CC-00-11-22", "198.51.100.7"),
        ("m2", "AA-BB-CC-00-33-44", "198.51.100.8"),
    ]:
        session.add(
            RadAcct(
                tenant_id=tenant.id,
                acctsessionid=user,
                acctuniqueid=uuid.uuid4().hex,
                username=user,
                nasipaddress=nas,
                acctstarttime=utcnow(),
                callingstationid=mac,
                subscription_id=sub.id,
            )
        )
    session.flush()
    nas = client.post(
        f"{API}/radius/nas",
        headers=admin.headers,
        json={"name": "bng-8", "address": "198.51.100.8", "vendor": "mikrotik"},
    ).json()
    session.execute(
        text("UPDATE radacct SET nas_id = :n WHERE username = 'm2'"),
        {"n": uuid.UUID(nas["id"]).hex if session.bind.dialect.name == "sqlite" else nas["id"]},
    )
    by_mac = client.get(
        f"{API}/radius/sessions", params={"mac": "cc-00-11"}, headers=admin.headers
    ).json()
    assert [s["username"] for s in by_mac["items"]] == ["m1"]
    by_nas = client.get(
        f"{API}/radius/sessions", params={"ip": "198.51.100.8"}, headers=admin.headers
    ).json()
    assert [s["username"] for s in by_nas["items"]] == ["m2"]


def _plan(session: Session, stmt: Select[object]) -> str:
    compiled = stmt.compile(dialect=session.get_bind().dialect)
    # The statistics of a table other tests write to at the same moment can make a scan look
    # as cheap: what this proves is that the index serves the query's form, so scans are
    # priced out for this transaction.
    session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    return "\n".join(r[0] for r in rows)


def _clone(
    session: Session, table: str, key: str, template: object, count: int, overrides: dict[str, str]
) -> None:
    """Seed `count` copies of one row, with some columns computed from g (1..count)."""
    columns = [
        c.name for c in Base.metadata.tables[table].columns if c.name != key or key in overrides
    ]
    values = [overrides.get(c, f'"{c}"') for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    session.execute(
        text(
            f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} FROM {table}, "
            f"generate_series(1, {count}) AS g WHERE {key} = :template"
        ),
        {"template": template},
    )
    session.execute(text(f"ANALYZE {table}"))


def test_search_queries_are_served_by_trigram_indexes(
    session: Session, backend: str, settings: Settings, tenant: Tenant
) -> None:
    if backend != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    tid = tenant.id
    sub = make_subscription(session, settings, tenant)
    row = RadAcct(
        tenant_id=tid,
        acctsessionid="s",
        acctuniqueid="u",
        username="x",
        nasipaddress="198.51.100.1",
        acctstarttime=utcnow(),
        subscription_id=sub.id,
    )
    session.add(row)
    session.flush()
    md5 = "md5(g::text)"
    _clone(
        session,
        "customers",
        "id",
        sub.customer_id,
        20_000,
        {"id": "gen_random_uuid()", "number": "'N' || g", "search_text": md5},
    )
    _clone(
        session,
        "subscriptions",
        "id",
        sub.id,
        20_000,
        {"id": "gen_random_uuid()", "radius_username": md5},
    )
    _clone(
        session,
        "radacct",
        "radacctid",
        row.radacctid,
        20_000,
        {
            "acctuniqueid": md5,
            "username": md5,
            "callingstationid": md5,
            "framedipaddress": "'10.' || (g / 250) || '.' || (g % 250) || '.1'",
        },
    )
    customers = CustomerRepository(session, tid).search("0aa1f3")
    assert "ix_customers_search_trgm" in _plan(session, customers)
    sessions = SessionRepository(session, tid).search(online=None, username="0aa1f3")
    assert "ix_radacct_username_trgm" in _plan(session, sessions)
    by_ip = SessionRepository(session, tid).search(online=None, ip="10.7.7.1")
    assert "ix_radacct_tenant_framedip" in _plan(session, by_ip)
    by_mac = SessionRepository(session, tid).search(online=None, mac="0aa1f3")
    assert "ix_radacct_mac_trgm" in _plan(session, by_mac)
    subs = session.execute(
        text(
            "EXPLAIN SELECT customer_id FROM subscriptions WHERE tenant_id = :t "
            "AND radius_username ILIKE '%0aa1f3%'"
        ),
        {"t": tid},
    ).scalars()
    assert "ix_subscriptions_username_trgm" in "\n".join(subs)


def test_ticket_and_device_searches_are_served_by_trigram_indexes(
    session: Session, backend: str, settings: Settings, tenant: Tenant
) -> None:
    if backend != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    customer = make_customer(session, tenant)
    ticket = support_service.create_ticket(session, tenant.id, TicketCreate(
        customer_id=customer.id, subject="Fibre down at the depot", description="red light"))
    device = make_device(session, settings, tenant, name="olt-depot-1", serial_number="SN-42")
    session.flush()
    md5 = "md5(g::text)"
    # one tenant's many rows: its tenant_id narrows nothing, the search text must
    _clone(session, "tickets", "id", ticket.id, 20_000,
           {"id": "gen_random_uuid()", "number": "'T' || g", "subject": md5,
            "reply_token": "left(md5('r' || g), 32)"})
    _clone(session, "network_devices", "id", device.id, 20_000,
           {"id": "gen_random_uuid()", "name": md5, "serial_number": md5})
    for index in ("tickets_number", "tickets_subject", "network_devices_name",
                  "network_devices_ip", "network_devices_serial"):
        # new entries wait in the GIN pending list until (auto)vacuum merges them, and the
        # planner prices that list as read in full: merge it, as a live table would have
        session.execute(text(f"SELECT gin_clean_pending_list('ix_{index}_trgm')"))
    tickets = _plan(session, TicketRepository(session, tenant.id).search(query="depot"))
    assert "ix_tickets_subject_trgm" in tickets and "ix_tickets_number_trgm" in tickets
    devices = _plan(session, DeviceRepository(session, tenant.id).search("depot"))
    for index in ("name", "ip", "serial"):
        assert f"ix_network_devices_{index}_trgm" in devices
