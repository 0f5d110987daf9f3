"""Inventory over the API: sites and devices, secrets never shown back, clear 4xx for bad
input, CPEs tied to subscriptions, and the audit trail."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from tests.support.customers import make_subscription
from tests.support.factories import StaffUser


def _device(client: TestClient, admin: StaffUser, **fields):  # type: ignore[no-untyped-def]
    body = {"name": "core-1", "device_type": "router", "management_ip": "192.0.2.10", **fields}
    return client.post("/api/v1/devices", headers=admin.headers, json=body)


def test_site_and_device_crud(client: TestClient, admin: StaffUser) -> None:
    site = client.post("/api/v1/sites", headers=admin.headers, json={
        "name": "Lekki POP", "address": "12 Admiralty Way", "latitude": "6.4474",
        "longitude": "3.4700"})
    assert site.status_code == 201, site.text
    site_id = site.json()["id"]
    created = _device(client, admin, site_id=site_id, vendor="MikroTik", model="CCR2004",
                      serial_number="HFE09K", firmware_version="7.15",
                      snmp_community="s3cret-community", poll_interval_seconds=30)
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["site_id"] == site_id and device["reachability"] == "unknown"
    assert device["snmp_community_set"] is True and "s3cret-community" not in created.text
    fetched = client.get(f"/api/v1/devices/{device['id']}", headers=admin.headers)
    assert "s3cret" not in fetched.text
    patched = client.patch(f"/api/v1/devices/{device['id']}", headers=admin.headers,
                           json={"firmware_version": "7.16", "snmp_community": ""})
    assert patched.json()["firmware_version"] == "7.16"
    assert patched.json()["snmp_community_set"] is False
    assert client.get("/api/v1/devices?q=HFE09", headers=admin.headers).json()["total"] == 1
    assert client.get(f"/api/v1/devices?site_id={site_id}",
                      headers=admin.headers).json()["total"] == 1
    audit = client.get(f"/api/v1/audit-log?entity_id={device['id']}",
                       headers=admin.headers).json()
    assert [e["action"] for e in audit["items"]] == ["update", "create"]
    assert "snmp_community_enc" not in str(audit) and "s3cret" not in str(audit)
    assert _device(client, admin).status_code == 409  # name taken
    assert client.delete(f"/api/v1/sites/{site_id}", headers=admin.headers).status_code == 204
    assert client.get(f"/api/v1/devices/{device['id']}",
                      headers=admin.headers).json()["site_id"] is None
    assert client.delete(f"/api/v1/devices/{device['id']}",
                         headers=admin.headers).status_code == 204
    assert client.get(f"/api/v1/devices/{device['id']}",
                      headers=admin.headers).status_code == 404


def test_bad_input_gets_a_clear_4xx(client: TestClient, admin: StaffUser) -> None:
    cases = [
        ({"management_ip": "300.1.2.3"}, "not an IPv4 or IPv6 address"),
        ({"site_id": str(uuid.uuid4())}, "site_id: no such site"),
        ({"cpu_oid": "ifHCInOctets.1"}, "not a numeric OID"),
        ({"memory_oid": "1.3.6..1"}, "not a numeric OID"),
        ({"poll_interval_seconds": -60}, "poll_interval_seconds"),
        ({"snmp_port": 70000}, "snmp_port"),
        ({"device_type": "toaster"}, "device_type"),
        ({"snmp_version": "v3"}, "snmp_username"),
        ({"snmp_version": "v3", "snmp_username": "u", "snmp_auth_protocol": "sha",
          "snmp_auth_key": "short"}, "at least 8"),
        ({"subscription_id": str(uuid.uuid4())}, "only a CPE or ONU"),
        ({"parent_device_id": str(uuid.uuid4())}, "parent_device_id: no such device"),
        ({"device_type": "cpe", "subscription_id": str(uuid.uuid4())},
         "subscription_id: no such subscription"),
        ({"name": "bad\x00name"}, "control characters"),
    ]
    for fields, message in cases:
        response = _device(client, admin, **fields)
        assert response.status_code == 422, (fields, response.text)
        assert message in response.json()["detail"], (fields, response.json())
    site = client.post("/api/v1/sites", headers=admin.headers,
                       json={"name": "x", "latitude": "91", "longitude": "0"})
    assert site.status_code == 422 and "latitude" in site.json()["detail"]


def test_cpe_assigned_to_a_subscription_and_uplinks(client: TestClient, admin: StaffUser,
                                                    session: Session, settings: Settings,
                                                    tenant: Tenant) -> None:
    olt = _device(client, admin, name="olt-1", device_type="olt").json()
    subscription = str(make_subscription(session, settings, tenant).id)
    onu = _device(client, admin, name="onu-1", device_type="onu", parent_device_id=olt["id"],
                  subscription_id=subscription)
    assert onu.status_code == 201 and onu.json()["subscription_id"] == subscription
    loop = client.patch(f"/api/v1/devices/{olt['id']}", headers=admin.headers,
                        json={"parent_device_id": onu.json()["id"]})
    assert loop.status_code == 422 and "loop" in loop.json()["detail"]


def test_snmpv3_secrets_are_write_only(client: TestClient, admin: StaffUser) -> None:
    response = _device(client, admin, snmp_version="v3", snmp_username="noc",
                       snmp_auth_protocol="sha256", snmp_auth_key="auth-key-123",
                       snmp_priv_protocol="aes", snmp_priv_key="priv-key-456")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["snmp_auth_key_set"] and body["snmp_priv_key_set"]
    assert "auth-key-123" not in response.text and "priv-key-456" not in response.text


def test_read_only_role_cannot_change_devices(client: TestClient, admin: StaffUser,
                                              session, settings, tenant) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import make_user

    viewer = make_user(session, settings, tenant, "read_only")
    assert client.get("/api/v1/devices", headers=viewer.headers).status_code == 200
    assert _device(client, viewer).status_code == 403
