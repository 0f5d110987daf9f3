"""Threshold rules: a breach must last `duration` before firing, a fired rule waits out its
cooldown, and a cleared condition resolves its alert."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import rules, schemas
from dotmac_isp.modules.network.alerts import service as alerts
from dotmac_isp.modules.network.devices.events import DevicePolled, InterfaceUtilization
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_interface
from tests.support.factories import StaffUser


def _poll(session: Session, device, at, cpu=None, ports=()):  # type: ignore[no-untyped-def]
    publish(session, DevicePolled(tenant_id=device.tenant_id, occurred_at=at,
                                  device_id=device.id, device_name=device.name, cpu_pct=cpu,
                                  memory_pct=None, interfaces=tuple(ports)))


def _active(session: Session, tenant: Tenant) -> list:  # type: ignore[type-arg]
    return alerts.list_alerts(session, tenant.id, PageParams(), status="active").items


def test_cpu_rule_duration_cooldown_and_clear(session: Session, settings: Settings,
                                              tenant: Tenant) -> None:
    device = make_device(session, settings, tenant)
    rules.create_rule(session, tenant.id, schemas.AlertRuleCreate(
        name="cpu hot", metric="cpu_pct", threshold=90, duration_seconds=120,  # type: ignore[arg-type]
        cooldown_seconds=600, severity="high"))  # type: ignore[arg-type]
    t0 = utcnow()
    _poll(session, device, t0, cpu=95)
    _poll(session, device, t0 + timedelta(seconds=60), cpu=97)
    assert _active(session, tenant) == []  # breaching, but not for 120 s yet
    _poll(session, device, t0 + timedelta(seconds=120), cpu=96)
    (alert,) = _active(session, tenant)
    assert alert.kind == "threshold" and alert.severity == "high" and alert.value == 96
    assert "CPU 96.0% above 90%" in alert.message
    _poll(session, device, t0 + timedelta(seconds=180), cpu=99)
    assert len(_active(session, tenant)) == 1  # still the same alert
    _poll(session, device, t0 + timedelta(seconds=240), cpu=20)
    assert _active(session, tenant) == []  # cleared -> resolved
    # breaching again within the cooldown: no new alert even after the duration
    for second in (300, 420, 480):
        _poll(session, device, t0 + timedelta(seconds=second), cpu=95)
    assert _active(session, tenant) == []
    _poll(session, device, t0 + timedelta(seconds=721), cpu=95)
    assert len(_active(session, tenant)) == 1


def test_interface_utilization_rule_per_port_and_scope(session: Session, settings: Settings,
                                                       tenant: Tenant) -> None:
    device = make_device(session, settings, tenant)
    other = make_device(session, settings, tenant, "core-2")
    uplink = make_interface(session, device, 1, "xe-0/0/1")
    access = make_interface(session, device, 2, "ge-0/0/2")
    rules.create_rule(session, tenant.id, schemas.AlertRuleCreate(
        name="uplink full", metric="interface_utilization_pct", threshold=80,  # type: ignore[arg-type]
        duration_seconds=0, device_id=device.id))
    now = utcnow()
    _poll(session, device, now, ports=[
        InterfaceUtilization(interface_id=uplink.id, label=uplink.label, utilization_pct=91.5),
        InterfaceUtilization(interface_id=access.id, label=access.label, utilization_pct=12)])
    _poll(session, other, now, cpu=10)
    (alert,) = _active(session, tenant)
    assert alert.interface_id == uplink.id and "xe-0/0/1" in alert.message


def test_rule_api_validates_input(client: TestClient, admin: StaffUser) -> None:
    bad = [({"name": "x", "metric": "cpu_pct", "threshold": 150}, "percentage"),
           ({"name": "x", "metric": "cpu_pct", "threshold": 50, "duration_seconds": -5},
            "duration_seconds"),
           ({"name": "x", "metric": "bogus", "threshold": 50}, "metric"),
           ({"name": "x", "metric": "cpu_pct", "threshold": 50,
             "device_id": "00000000-0000-0000-0000-000000000001"}, "device_id")]
    for body, word in bad:
        response = client.post("/api/v1/alert-rules", headers=admin.headers, json=body)
        assert response.status_code == 422, (body, response.text)
        assert word in response.json()["detail"]
    ok = client.post("/api/v1/alert-rules", headers=admin.headers, json={
        "name": "cpu", "metric": "cpu_pct", "threshold": 85, "cooldown_seconds": 60})
    assert ok.status_code == 201 and ok.json()["severity"] == "high"
    assert client.post("/api/v1/alert-rules", headers=admin.headers, json={
        "name": "cpu", "metric": "cpu_pct", "threshold": 85}).status_code == 409


def test_maintenance_window_api(client: TestClient, admin: StaffUser) -> None:
    now = utcnow()
    response = client.post("/api/v1/maintenance-windows", headers=admin.headers, json={
        "name": "upgrade", "starts_at": (now + timedelta(hours=2)).isoformat(),
        "ends_at": now.isoformat()})
    assert response.status_code == 422 and "after starts_at" in response.json()["detail"]
    naive = client.post("/api/v1/maintenance-windows", headers=admin.headers, json={
        "name": "upgrade", "starts_at": "2030-01-01T00:00:00", "ends_at": "2030-01-02T00:00:00"})
    assert naive.status_code == 422 and "timezone" in naive.json()["detail"]
    made = client.post("/api/v1/maintenance-windows", headers=admin.headers, json={
        "name": "upgrade", "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat()})
    assert made.status_code == 201
    active = client.get("/api/v1/maintenance-windows", headers=admin.headers,
                        params={"active_at": (now + timedelta(hours=1)).isoformat()}).json()
    assert active["total"] == 1
