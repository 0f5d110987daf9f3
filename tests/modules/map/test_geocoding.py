"""Geocoding against a stand-in Nominatim server on 127.0.0.1 (the real service cannot be
reached from the test machines): the customer's address gets coordinates from the button or
the API, a failure and an unknown address are reported, and the bulk job is bounded,
idempotent and goes on past failures."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.customers.models import Address
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.map import schemas, tasks, tenant_settings
from dotmac_isp.modules.map.models import GeocodeResult
from dotmac_isp.sdks.geocoding import RateLimiter
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.support.customers import make_customer
from tests.support.factories import StaffUser
from tests.support.nominatim_stand_in import StandIn, nominatim_stand_in
from tests.web.test_admin_pages import sign_in

AGENT = "DotMac ISP test (noc@tenant-a.example)"
PLACES = {"12 Marina Road": ("6.454100", "3.394700"), "5 Allen Avenue": ("6.601800", "3.351500")}


@pytest.fixture
def geocoder() -> Iterator[StandIn]:
    with nominatim_stand_in(PLACES) as stand_in:
        yield stand_in


def _configure(session: Session, tenant: Tenant, geocoder: StandIn) -> None:
    tenant_settings.save_settings(session, tenant.id, schemas.MapSettingsIn(
        geocoder_url=geocoder.url, geocoder_user_agent=AGENT))


def _customer(session: Session, tenant: Tenant, line1: str, **address: str) -> Address:
    made = make_customer(session, tenant, addresses=[
        {"kind": "service", "line1": line1, "city": "Lagos", "country": "NG", **address}])
    return made.addresses[0]


def test_the_api_geocodes_a_customers_address(client: TestClient, admin: StaffUser,
                                              session: Session, tenant: Tenant,
                                              geocoder: StandIn) -> None:
    _configure(session, tenant, geocoder)
    address = _customer(session, tenant, "12 Marina Road")
    session.flush()
    answer = client.post(f"/api/v1/map/customers/{address.customer_id}/geocode",
                         headers=admin.headers)
    assert answer.status_code == 200, answer.text
    [result] = answer.json()
    assert result["status"] == "found"
    assert Decimal(result["latitude"]) == Decimal("6.4541")
    session.refresh(address)
    assert (address.latitude, address.longitude) == (Decimal("6.454100"), Decimal("3.394700"))
    assert geocoder.requests == [("12 Marina Road, Lagos, NG", AGENT)]
    # now placed: nothing more to ask
    assert client.post(f"/api/v1/map/customers/{address.customer_id}/geocode",
                       headers=admin.headers).json() == []
    assert len(geocoder.requests) == 1


def test_failures_and_unknown_places_are_reported(client: TestClient, admin: StaffUser,
                                                  session: Session, tenant: Tenant,
                                                  geocoder: StandIn) -> None:
    _configure(session, tenant, geocoder)
    failing = _customer(session, tenant, "1 FAIL Street")
    unknown = _customer(session, tenant, "99 Nowhere Lane")
    session.flush()
    [result] = client.post(f"/api/v1/map/customers/{failing.customer_id}/geocode",
                           headers=admin.headers).json()
    assert result["status"] == "failed"
    assert "HTTP 500" in result["error"] and result["latitude"] is None
    [result] = client.post(f"/api/v1/map/customers/{unknown.customer_id}/geocode",
                           headers=admin.headers).json()
    assert result["status"] == "not_found"
    kept = {r.address_id: r for r in session.scalars(select(GeocodeResult))}
    assert kept[failing.id].status == "failed" and "HTTP 500" in kept[failing.id].error
    assert kept[unknown.id].status == "not_found"


def test_an_unreachable_geocoder_is_reported(client: TestClient, admin: StaffUser,
                                             session: Session, tenant: Tenant) -> None:
    with nominatim_stand_in({}) as gone:
        url = gone.url  # its port is closed once the stand-in stops
    tenant_settings.save_settings(session, tenant.id, schemas.MapSettingsIn(
        geocoder_url=url, geocoder_user_agent=AGENT))
    address = _customer(session, tenant, "12 Marina Road")
    session.flush()
    [result] = client.post(f"/api/v1/map/customers/{address.customer_id}/geocode",
                           headers=admin.headers).json()
    assert result["status"] == "failed" and "could not be reached" in result["error"]


def test_without_a_geocoder_the_button_says_so(client: TestClient, admin: StaffUser,
                                               session: Session, tenant: Tenant) -> None:
    address = _customer(session, tenant, "12 Marina Road")
    session.flush()
    refused = client.post(f"/api/v1/map/customers/{address.customer_id}/geocode",
                          headers=admin.headers)
    assert refused.status_code == 422 and "no geocoder is configured" in refused.text


def test_the_customer_page_geocode_button(client: TestClient, admin: StaffUser,
                                          session: Session, tenant: Tenant,
                                          geocoder: StandIn) -> None:
    _configure(session, tenant, geocoder)
    address = _customer(session, tenant, "5 Allen Avenue")
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/customers/{address.customer_id}")
    assert "(not on the map)" in page.text and 'data-action="geocode"' in page.text
    token = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[0]
    done = client.post(f"/admin/customers/{address.customer_id}/geocode",
                       data={"csrf_token": token}, follow_redirects=True)
    assert "Geocoded 5 Allen Avenue, Lagos, NG: 6.601800, 3.351500." in done.text
    assert "(6.601800, 3.351500)" in done.text
    assert 'data-action="geocode"' not in done.text  # nothing left to geocode


def test_the_bulk_job_is_bounded_idempotent_and_goes_on_past_failures(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        other_tenant: Tenant, geocoder: StandIn) -> None:
    _configure(session, tenant, geocoder)
    failing = _customer(session, tenant, "1 FAIL Street")
    marina = _customer(session, tenant, "12 Marina Road")
    unknown = _customer(session, tenant, "99 Nowhere Lane")
    allen = _customer(session, tenant, "5 Allen Avenue")
    placed = _customer(session, tenant, "7 Placed Close", latitude="6.5", longitude="3.3")
    _customer(session, other_tenant, "12 Marina Road")  # no geocoder for tenant B
    session.commit()
    now = utcnow()

    def run(limit: int, at: timedelta = timedelta(0)) -> str:
        return tasks.geocode_missing(JobContext(db, settings, now=now + at,  # type: ignore[arg-type]
                                                params={"limit": limit}))

    assert run(3) == "1 failed, 1 found, 1 not found"  # the failure stopped nothing
    assert run(3) == "1 found"
    assert run(3) == "no address to geocode"  # nothing asked twice
    assert len(geocoder.requests) == 4
    assert all(agent == AGENT for _q, agent in geocoder.requests)
    session.expire_all()  # the job wrote in its own sessions
    located = {a.id: (a.latitude, a.longitude) for a in session.scalars(select(Address))}
    assert located[marina.id] == (Decimal("6.454100"), Decimal("3.394700"))
    assert located[allen.id] == (Decimal("6.601800"), Decimal("3.351500"))
    assert located[failing.id] == (None, None) and located[unknown.id] == (None, None)
    assert located[placed.id] == (Decimal("6.500000"), Decimal("3.300000"))
    # a day later the failed request is asked again, the unknown place is not
    assert run(3, timedelta(hours=25)) == "1 failed"
    assert geocoder.requests[-1][0].startswith("1 FAIL Street")


def test_the_limiter_spaces_requests_a_second_apart() -> None:
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(1.0, clock=lambda: clock[0], sleep=sleep)
    limiter.wait()
    clock[0] += 0.25
    limiter.wait()
    clock[0] += 3
    limiter.wait()
    assert slept == [0.75]
