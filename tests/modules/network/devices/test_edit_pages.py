"""Site and device create/edit pages: SNMP secrets are never sent back to the browser, every
bad field is named at once, a refused edit changes nothing, and another tenant's sites and
devices are out of reach."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import AuditLog, Tenant
from dotmac_isp.modules.network.devices import credentials, schemas, service
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.shared.pagination import PageParams
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in

DEVICE = {"name": "core-1", "device_type": "router", "status": "active", "site_id": "",
          "management_ip": "127.0.0.1", "vendor": "MikroTik", "model": "", "serial_number": "",
          "firmware_version": "", "notes": "", "monitoring_enabled": "1", "snmp_version": "v2c",
          "snmp_port": "1161", "poll_interval_seconds": "300",
          "snmp_community": "s3cret-community", "snmp_username": "",
          "snmp_auth_protocol": "none", "snmp_auth_key": "", "snmp_priv_protocol": "none",
          "snmp_priv_key": ""}


def test_sites_create_edit_and_all_errors_at_once(client: TestClient, admin: StaffUser,
                                                 session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/sites").text)
    bad = client.post("/admin/sites", data={"csrf_token": token, "name": "", "latitude": "north",
                                            "longitude": "500"})
    assert bad.status_code == 422
    text = visible(bad.text)
    assert "Name: required" in text and "Latitude: 'north' is not" in text and \
        "Longitude: " in text
    assert service.list_sites(session, tenant.id, PageParams(limit=5)).items == []
    ok = client.post("/admin/sites", data={"csrf_token": token, "name": "Tower A",
                                           "latitude": "52.1", "longitude": "4.3"},
                     follow_redirects=False)
    assert ok.status_code == 303
    (site,) = service.list_sites(session, tenant.id, PageParams(limit=5)).items
    half = client.post(f"/admin/sites/{site.id}/edit", data={
        "csrf_token": token, "name": "Tower B", "latitude": "52.2", "longitude": ""})
    assert half.status_code == 422 and "give both Latitude and Longitude" in visible(half.text)
    session.expire_all()
    assert service.get_site(session, tenant.id, site.id).name == "Tower A"
    edited = client.post(f"/admin/sites/{site.id}/edit", data={
        "csrf_token": token, "name": "Tower B", "address": "Hill 1"}, follow_redirects=False)
    assert edited.status_code == 303
    session.expire_all()
    again = service.get_site(session, tenant.id, site.id)
    assert (again.name, again.address, again.latitude) == ("Tower B", "Hill 1", None)


def test_device_create_and_edit_never_show_the_snmp_secrets(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/devices/new")
    assert page.status_code == 200 and 'data-testid="device-form"' in page.text
    token = csrf_of(page.text)
    bad = client.post("/admin/devices/new", data={**DEVICE, "csrf_token": token, "name": "",
                                                  "snmp_port": "99999",
                                                  "management_ip": "not-an-ip",
                                                  "poll_interval_seconds": "often"})
    assert bad.status_code == 422
    text = visible(bad.text)
    for expected in ("Name: ", "SNMP port: ", "Management IP: ",
                     "Poll every (seconds): 'often' is not a whole number"):
        assert expected in text, expected
    assert "s3cret-community" not in bad.text  # not echoed back even on a refusal
    assert service.list_devices(session, tenant.id, PageParams(limit=5)).items == []
    created = client.post("/admin/devices/new", data={**DEVICE, "csrf_token": token},
                          follow_redirects=False)
    assert created.status_code == 303
    (device,) = service.list_devices(session, tenant.id, PageParams(limit=5)).items
    assert credentials.unseal(settings, device.snmp_community_enc) == "s3cret-community"
    edit = client.get(f"/admin/devices/{device.id}/edit")
    assert edit.status_code == 200 and 'data-testid="snmp_community-set"' in edit.text
    assert "s3cret-community" not in edit.text and device.snmp_community_enc not in edit.text
    # v3 without a user: refused by the service; nothing of the edit is kept
    refused = client.post(f"/admin/devices/{device.id}/edit", data={
        **DEVICE, "csrf_token": token, "name": "core-renamed", "snmp_version": "v3",
        "snmp_community": ""})
    assert refused.status_code == 422 and "SNMPv3 needs SNMPv3 user" in visible(refused.text)
    session.expire_all()
    kept = session.get(Device, device.id)
    assert kept is not None and (kept.name, kept.snmp_version) == ("core-1", "v2c")
    saved = client.post(f"/admin/devices/{device.id}/edit", data={
        **DEVICE, "csrf_token": token, "name": "core-renamed", "snmp_community": ""},
        follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    after = session.get(Device, device.id)
    assert after is not None and after.name == "core-renamed"
    assert credentials.unseal(settings, after.snmp_community_enc) == "s3cret-community"
    trail = session.scalars(select(AuditLog).where(
        AuditLog.tenant_id == tenant.id, AuditLog.entity_id == str(device.id))).all()
    assert {a.action for a in trail} >= {"create", "update"}
    assert all(a.actor_id == admin.user.id for a in trail)
    assert "s3cret" not in repr([(a.before, a.after) for a in trail])  # secrets not audited


def test_other_tenants_sites_and_devices_and_read_only_staff(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_tenant: Tenant) -> None:
    their_site = service.create_site(session, other_tenant.id,
                                     schemas.SiteCreate(name="Their tower"))
    their_device = service.create_device(session, settings, other_tenant.id,
                                         schemas.DeviceCreate(name="their-olt",
                                                              device_type="olt"))
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/sites").text)
    assert "Their tower" not in client.get("/admin/sites").text
    assert "Their tower" not in client.get("/admin/devices/new").text
    assert client.get(f"/admin/sites/{their_site.id}/edit").status_code == 404
    assert client.get(f"/admin/devices/{their_device.id}/edit").status_code == 404
    moved = client.post(f"/admin/devices/{their_device.id}/edit",
                        data={**DEVICE, "csrf_token": token, "name": "mine"})
    assert moved.status_code == 404
    # pointing my device at their site is refused as an unknown site
    client.post("/admin/devices/new", data={**DEVICE, "csrf_token": token},
                follow_redirects=False)
    linked = client.post("/admin/devices/new", data={**DEVICE, "csrf_token": token,
                                                     "name": "core-2",
                                                     "site_id": str(their_site.id)})
    assert linked.status_code == 422
    session.expire_all()
    assert session.get(Device, their_device.id).name == "their-olt"  # type: ignore[union-attr]
    viewer = make_user(session, settings, tenant, "read_only")
    client.cookies.clear()
    sign_in(client, viewer.user.email, viewer.password)
    assert client.get("/admin/sites").status_code == 200
    assert client.get("/admin/devices/new").status_code == 403
    token = csrf_of(client.get("/admin/sites").text)
    assert client.post("/admin/sites", data={"csrf_token": token,
                                             "name": "Sneaky"}).status_code == 403
