"""Pages (list, detail with SVG traffic charts, config diff) and the Prometheus export."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices import chart
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.devices.backups import service as backups
from dotmac_isp.modules.network.devices.polling import service as polling
from dotmac_isp.modules.network.devices.polling.models import InterfaceSample
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device
from tests.support.factories import StaffUser
from tests.support.snmpd import SnmpAgent
from tests.web.test_admin_pages import sign_in


def test_chart_has_axes_units_and_times() -> None:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    points = [(now - timedelta(minutes=60 - 5 * i), 2_500_000.0 * i) for i in range(13)]
    svg = str(chart.line_chart([chart.Series("in", "#067647", points)], title="ge-0/0/1",
                               start=now - timedelta(hours=1), end=now))
    assert svg.startswith("<svg") and "<polyline" in svg
    assert "50 Mb/s" in svg and "25 Mb/s" in svg and "0 b/s" in svg  # round top, in units
    assert re.search(r">\d\d:\d\d</text>", svg)  # time labels
    assert chart.format_bps(1_234_567_890) == "1.23 Gb/s"
    assert chart.nice_ceiling(31) == 50 and chart.nice_ceiling(0.7) == 1


def test_pages_show_devices_traffic_and_config_diff(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, "edge-7", snmp_port=snmp_agent.port)
    polling.poll_now(session, settings, tenant.id, device.id)
    lo = next(i for i in devices_service.device_interfaces(session, tenant.id, device.id)
              if i.if_index == 1)
    now = utcnow()
    for minute in range(0, 60, 5):
        session.add(InterfaceSample(tenant_id=tenant.id, interface_id=lo.id,
                                    sampled_at=now - timedelta(minutes=minute),
                                    in_bps=8e6 + minute * 1e5, out_bps=2e6, oper_up=True))
    first, _ = backups.store_config(session, device, "hostname edge-7\nntp server 1\n", now)
    second, _ = backups.store_config(session, device, "hostname edge-7\nntp server 2\n", now)
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    listing = client.get("/admin/devices")
    assert listing.status_code == 200 and "edge-7" in listing.text
    assert 'class="badge state-up"' in listing.text
    detail = client.get(f"/admin/devices/{device.id}?range=1h")
    assert detail.status_code == 200
    assert 'id="traffic-1"' in detail.text and "lo traffic" in detail.text
    assert "Mb/s" in detail.text and "DotMac test agent" in detail.text
    assert "v2" in detail.text
    diff = client.get(f"/admin/devices/{device.id}/config/{second.id}")
    assert diff.status_code == 200
    assert '<span class="del">-ntp server 1</span>' in diff.text
    assert '<span class="add">+ntp server 2</span>' in diff.text
    assert client.get(f"/admin/devices/{device.id}/config/{first.id}").status_code == 200
    assert client.get("/admin/devices/not-a-uuid").status_code == 404
    assert client.get("/admin/alerts").status_code == 200
    page = client.get(f"/admin/devices/{device.id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    polled = client.post(f"/admin/devices/{device.id}/poll", data={"csrf_token": token},
                         follow_redirects=False)
    assert polled.status_code == 303, polled.text
    assert 'href="/admin/devices"' in client.get("/admin").text


def test_prometheus_exports_device_and_interface_figures(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant,
        snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, "prom-edge", snmp_port=snmp_agent.port,
                         cpu_oid="1.3.6.1.4.1.99999.1.0")
    polling.poll_now(session, settings, tenant.id, device.id)
    polling.poll_now(session, settings, tenant.id, device.id)
    text = client.get("/metrics").text
    labels = f'device="prom-edge",device_id="{device.id}",tenant_id="{tenant.id}"'
    assert f"dotmac_network_device_up{{{labels}}} 1.0" in text
    assert f"dotmac_network_device_cpu_percent{{{labels}}} 42.0" in text
    assert re.search(r'dotmac_network_interface_in_bits_per_second\{[^}]*device="prom-edge"'
                     r'[^}]*interface="lo"[^}]*\} \d', text)
    assert "dotmac_snmp_polls_total" in text
