"""Coordinates entered on the customer, site and device forms: -90..90 and -180..180, both or
neither, each error beside its field; the map page and its settings need map permissions."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.network.devices.factories import make_device, make_site
from tests.support.customers import make_customer
from tests.support.factories import StaffUser, make_user
from tests.web.test_admin_pages import sign_in


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _beside(html: str, field: str) -> list[str]:
    return re.findall(rf'data-error-for="{field}"[^>]*>([^<]+)<', html)


def test_customer_coordinates_both_or_neither_in_range(client: TestClient, admin: StaffUser,
                                                       session: Session, tenant: Tenant) -> None:
    customer = make_customer(session, tenant)
    address = customer.addresses[0]
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    url = f"/admin/customers/{customer.id}/addresses/{address.id}/coordinates"
    token = _csrf(client.get(url).text)
    far = client.post(url, data={"csrf_token": token, "latitude": "91", "longitude": "181"})
    assert far.status_code == 422
    assert "less than or equal to 90" in _beside(far.text, "latitude")[0]
    assert "less than or equal to 180" in _beside(far.text, "longitude")[0]
    half = client.post(url, data={"csrf_token": token, "latitude": "6.45", "longitude": ""})
    assert half.status_code == 422 and "give both latitude and longitude" in half.text.lower()
    saved = client.post(url, data={"csrf_token": token, "latitude": "6.4541",
                                   "longitude": "3.3947"}, follow_redirects=True)
    assert saved.status_code == 200 and "(6.454100, 3.394700)" in saved.text
    api = client.post(f"/api/v1/customers/{customer.id}/addresses", headers=admin.headers,
                      json={"line1": "2 Half Street", "latitude": "6.4"})
    assert api.status_code == 422 and "give both latitude and longitude" in api.text


def test_new_customer_form_takes_coordinates(client: TestClient, admin: StaffUser) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = _csrf(client.get("/admin/customers/new").text)
    form = {"csrf_token": token, "kind": "residential", "first_name": "Ngozi",
            "last_name": "Eze", "line1": "3 Bode Thomas", "city": "Surulere", "country": "NG"}
    half = client.post("/admin/customers/new", data={**form, "latitude": "6.49"})
    assert half.status_code == 422 and "give both latitude and longitude" in half.text.lower()
    made = client.post("/admin/customers/new", data={**form, "latitude": "6.4969",
                                                     "longitude": "3.3481"},
                       follow_redirects=True)
    assert made.status_code == 200 and "(6.496900, 3.348100)" in made.text


def test_site_and_device_forms_take_coordinates(client: TestClient, admin: StaffUser,
                                                session: Session, settings: Settings,
                                                tenant: Tenant) -> None:
    site = make_site(session, tenant, "Hill POP")
    device = make_device(session, settings, tenant, "sector-1", site_id=site.id,
                         monitoring_enabled=False)
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    token = _csrf(client.get(f"/admin/sites/{site.id}/edit").text)
    bad = client.post(f"/admin/sites/{site.id}/edit", data={
        "csrf_token": token, "name": "Hill POP", "latitude": "-91", "longitude": "3"})
    assert bad.status_code == 422 and _beside(bad.text, "latitude")
    url = f"/admin/devices/{device.id}/edit"
    page = client.get(url)
    assert 'name="latitude"' in page.text
    form = {"csrf_token": _csrf(page.text), "name": "sector-1", "device_type": "router",
            "status": "active", "snmp_version": "v2c", "snmp_port": "161",
            "poll_interval_seconds": "300", "site_id": str(site.id),
            "snmp_auth_protocol": "none", "snmp_priv_protocol": "none"}
    half = client.post(url, data={**form, "longitude": "3.4"})
    assert half.status_code == 422, half.text
    assert "give both latitude and longitude" in half.text.lower()
    out = client.post(url, data={**form, "latitude": "6.46", "longitude": "190"})
    assert out.status_code == 422 and _beside(out.text, "longitude")
    ok = client.post(url, data={**form, "latitude": "6.46", "longitude": "3.40"},
                     follow_redirects=False)
    assert ok.status_code == 303
    got = client.get(f"/api/v1/devices/{device.id}", headers=admin.headers).json()
    assert (Decimal(got["latitude"]), Decimal(got["longitude"])) == (Decimal("6.46"),
                                                                      Decimal("3.4"))
    cleared = client.post(url, data=form, follow_redirects=False)
    assert cleared.status_code == 303
    got = client.get(f"/api/v1/devices/{device.id}", headers=admin.headers).json()
    assert got["latitude"] is None and got["longitude"] is None  # back at its site


def test_map_pages_need_map_permissions(client: TestClient, session: Session,
                                        settings: Settings, tenant: Tenant) -> None:
    billing = make_user(session, settings, tenant, "billing")
    support = make_user(session, settings, tenant, "support")
    session.flush()
    sign_in(client, billing.user.email, billing.password)
    assert client.get("/admin/map").status_code == 403
    client.cookies.clear()
    sign_in(client, support.user.email, support.password)
    page = client.get("/admin/map")
    assert page.status_code == 200 and "/static/vendor/leaflet/leaflet.js" in page.text
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    assert client.get("/admin/settings/map").status_code == 403
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/images/marker-icon.png").status_code == 200


def test_map_settings_form(client: TestClient, admin: StaffUser) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = _csrf(client.get("/admin/settings/map").text)
    bad = client.post("/admin/settings/map", data={
        "csrf_token": token, "tile_url": "ftp://tiles.example/{z}/{x}/{y}.png",
        "geocoder_url": "https://nominatim.example/search"})
    assert bad.status_code == 422
    assert "http:// or https://" in _beside(bad.text, "tile_url")[0]
    no_agent = client.post("/admin/settings/map", data={
        "csrf_token": token, "geocoder_url": "https://nominatim.example/search"})
    assert no_agent.status_code == 422 and "geocoder_user_agent is needed" not in no_agent.text
    assert "Geocoder User-Agent is needed" in no_agent.text
    saved = client.post("/admin/settings/map", data={
        "csrf_token": token, "tile_url": "https://tiles.example.net/{z}/{x}/{y}.png",
        "tile_attribution": "© Example", "geocoder_url": "https://nominatim.example/search",
        "geocoder_user_agent": "Example ISP noc@example.net"}, follow_redirects=True)
    assert "Map settings saved." in saved.text
    page = client.get("/admin/map")
    assert 'data-tiles="https://tiles.example.net/{z}/{x}/{y}.png"' in page.text
    assert "https://tiles.example.net" in page.headers["content-security-policy"]
