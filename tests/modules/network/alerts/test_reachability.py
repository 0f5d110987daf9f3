"""Reachability against a real snmpd: down after N failed polls (not before), an incident with
the subscriptions behind the device, events published, up again when it answers; maintenance
windows silence it all."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import schemas as alert_schemas
from dotmac_isp.modules.network.alerts import service as alerts
from dotmac_isp.modules.network.alerts.events import AlertRaised, IncidentOpened
from dotmac_isp.modules.network.devices import events, schemas
from dotmac_isp.modules.network.devices import service as devices
from dotmac_isp.modules.network.devices.enums import Reachability
from dotmac_isp.modules.network.devices.polling import service as polling
from dotmac_isp.modules.network.devices.polling.poller import poll_many
from dotmac_isp.modules.network.devices.polling.reachability import next_reachability
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_interface, make_site
from tests.support.customers import make_subscription
from tests.support.factories import StaffUser
from tests.support.snmpd import SnmpAgent

DEAD_PORT = 9  # discard: nothing answers SNMP there


def _published(session: Session, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in session.info.get("published_events", []) if isinstance(e, kind)]


def _point_at(session: Session, settings: Settings, tenant: Tenant, device_id, port: int,  # type: ignore[no-untyped-def]
              ) -> None:
    # A dead port fails fast; a live agent gets time to answer on a loaded machine, where a
    # 200 ms budget would read a slow answer as a partial failure (degraded).
    timeout_ms = 200 if port == DEAD_PORT else 3000
    devices.update_device(session, settings, tenant.id, device_id,
                          schemas.DeviceUpdate(snmp_port=port, snmp_timeout_ms=timeout_ms))


def test_hysteresis_is_a_pure_rule() -> None:
    up, down = Reachability.UP, Reachability.DOWN
    assert next_reachability(up, reachable=False, consecutive_failures=1, down_after=3,
                             degraded=False) is up
    assert next_reachability(up, reachable=False, consecutive_failures=3, down_after=3,
                             degraded=False) is down
    assert next_reachability(down, reachable=True, consecutive_failures=0, down_after=3,
                             degraded=True) is Reachability.DEGRADED
    assert next_reachability(Reachability.UNKNOWN, reachable=False, consecutive_failures=1,
                             down_after=3, degraded=False) is Reachability.UNKNOWN


def test_unreachable_device_goes_down_after_n_polls_and_comes_back(
        session: Session, settings: Settings, tenant: Tenant, snmp_agent: SnmpAgent) -> None:
    olt = make_device(session, settings, tenant, "olt-1", device_type="olt",
                      snmp_port=snmp_agent.port, down_after_failures=3, snmp_timeout_ms=3000,
                      snmp_retries=0)
    subscription = make_subscription(session, settings, tenant).id
    onu = make_device(session, settings, tenant, "onu-17", device_type="onu",
                      parent_device_id=olt.id, monitoring_enabled=False)
    make_device(session, settings, tenant, "cpe-17", device_type="cpe", parent_device_id=onu.id,
                subscription_id=subscription, monitoring_enabled=False)
    assert polling.poll_now(session, settings, tenant.id, olt.id).reachability == "up"

    _point_at(session, settings, tenant, olt.id, DEAD_PORT)
    for expected_failures in (1, 2):
        polling.poll_now(session, settings, tenant.id, olt.id)
        assert olt.consecutive_failures == expected_failures
        assert olt.reachability == "up"  # not yet: hysteresis
    assert alerts.list_alerts(session, tenant.id, PageParams()).total == 0
    polling.poll_now(session, settings, tenant.id, olt.id)
    assert olt.reachability == "down" and "no SNMP answer" in (olt.last_poll_error or "")

    down_alerts = alerts.list_alerts(session, tenant.id, PageParams(), status="active").items
    assert [(a.kind, a.severity, a.silenced) for a in down_alerts] == [
        ("device_down", "critical", False)]
    incident = alerts.get_incident(session, tenant.id, down_alerts[0].incident_id)
    assert incident.status == "open" and incident.reference.startswith("INC-")
    assert incident.affected_subscription_ids == [str(subscription)]
    assert len(incident.affected_device_ids) == 3
    assert [e.device_id for e in _published(session, events.DeviceWentDown)] == [olt.id]
    assert _published(session, AlertRaised)[0].kind == "device_down"
    assert _published(session, IncidentOpened)[0].subscription_ids == (subscription,)

    # A fourth failure changes nothing: no second alert or incident.
    polling.poll_now(session, settings, tenant.id, olt.id)
    assert alerts.list_alerts(session, tenant.id, PageParams()).total == 1

    _point_at(session, settings, tenant, olt.id, snmp_agent.port)
    polling.poll_now(session, settings, tenant.id, olt.id)
    assert olt.reachability == "up" and olt.consecutive_failures == 0
    assert alerts.list_alerts(session, tenant.id, PageParams(), status="active").total == 0
    assert alerts.get_incident(session, tenant.id, incident.id).status == "resolved"
    came_up = _published(session, events.DeviceCameUp)
    assert [(e.previous, e.current) for e in came_up] == [("down", "up")]


def test_watched_interface_down_degrades_the_device(
        session: Session, settings: Settings, tenant: Tenant, snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, snmp_port=snmp_agent.port)
    polling.poll_now(session, settings, tenant.id, device.id)
    assert device.reachability == "up"
    # ifb0 is administratively down; pretend an admin-up port we watch is down.
    ports = devices.device_interfaces(session, tenant.id, device.id)
    down_port = next(p for p in ports if p.oper_status == "down")
    devices.update_interface(session, tenant.id, down_port.id,
                             schemas.InterfaceUpdate(monitored=True))
    down_port.admin_status = "up"
    session.flush()
    # The next poll reads ifAdminStatus down again for ifb0, so degrade via a fake reading.
    result = asyncio.run(_poll(settings, device))
    for reading in result.interfaces:
        if reading.if_index == down_port.if_index:
            reading.admin_status = 1
    polling.record_poll(session, device, result)
    assert device.reachability == "degraded"
    active = alerts.list_alerts(session, tenant.id, PageParams(), status="active").items
    assert [a.kind for a in active] == ["device_degraded"]
    assert down_port.label in active[0].message
    assert _published(session, events.DeviceDegraded)


async def _poll(settings: Settings, device):  # type: ignore[no-untyped-def]
    spec = polling.poll_spec(settings, device, utcnow(), timedelta(0))
    return (await poll_many([spec]))[0]


def test_maintenance_window_silences_down_alerts(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    site = make_site(session, tenant)
    device = make_device(session, settings, tenant, site_id=site.id, snmp_port=DEAD_PORT,
                         down_after_failures=1, snmp_timeout_ms=200, snmp_retries=0)
    now = utcnow()
    alerts.create_window(session, tenant.id, alert_schemas.MaintenanceWindowCreate(
        name="fibre splice", starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1), site_id=site.id))
    polling.poll_now(session, settings, tenant.id, device.id)
    assert device.reachability == "down"
    (alert,) = alerts.list_alerts(session, tenant.id, PageParams()).items
    assert alert.silenced and alert.incident_id is None
    assert alerts.list_incidents(session, tenant.id, PageParams()).total == 0
    assert _published(session, AlertRaised) == []
    assert _published(session, events.DeviceWentDown)  # the fact is still published


def test_devices_api_shows_reachability_and_poll_now(
        client: TestClient, admin: StaffUser, snmp_agent: SnmpAgent) -> None:
    created = client.post("/api/v1/devices", headers=admin.headers, json={
        "name": "edge-9", "device_type": "switch", "management_ip": "127.0.0.1",
        "snmp_port": snmp_agent.port, "snmp_community": snmp_agent.community})
    assert created.status_code == 201, created.text
    device_id = created.json()["id"]
    polled = client.post(f"/api/v1/devices/{device_id}/poll", headers=admin.headers)
    assert polled.status_code == 200, polled.text
    body = polled.json()
    assert body["reachability"] == "up" and body["sys_descr"] == "DotMac test agent (net-snmp)"
    interfaces = client.get(f"/api/v1/devices/{device_id}/interfaces",
                            headers=admin.headers).json()
    assert interfaces["total"] >= 1 and interfaces["items"][0]["name"] == "lo"
    listed = client.get("/api/v1/devices?reachability=up", headers=admin.headers).json()
    assert [d["name"] for d in listed["items"]] == ["edge-9"]
    metrics = client.get(f"/api/v1/devices/{device_id}/metrics", headers=admin.headers).json()
    assert metrics["resolution"] == "raw" and metrics["points"][0]["availability_pct"] == 100


def test_make_interface_helper_is_scoped(session: Session, settings: Settings,
                                         tenant: Tenant) -> None:
    device = make_device(session, settings, tenant)
    port = make_interface(session, device, 7, "xe-0/0/7")
    assert devices.get_interface(session, tenant.id, port.id).label == "xe-0/0/7"
