"""Chromium opens a device's page and reads its traffic chart: axes, units, times, lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from dotmac_isp import wiring
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices.polling.models import InterfaceSample
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_interface, make_site
from tests.support.browser import browser_page
from tests.support.factories import make_tenant, make_user
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(settings: Settings,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    wiring.install()
    with live_server(settings, tmp_path_factory.mktemp("browser-devices")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "chart-isp", name="Chart Fibre")
            make_user(session, settings, tenant, "network_engineer", email="noc@chart.example",
                      password="browser-pass-123")
            site = make_site(session, tenant, "Yaba POP")
            device = make_device(session, settings, tenant, "yaba-core", site_id=site.id,
                                 management_ip="192.0.2.1", monitoring_enabled=False)
            port = make_interface(session, device, 3, "sfp-sfpplus1", speed_mbps=10_000,
                                  in_bps=4.2e9, out_bps=1.1e9, oper_status="up")
            now = utcnow()
            for minute in range(0, 24 * 60, 5):
                session.add(InterfaceSample(
                    tenant_id=tenant.id, interface_id=port.id,
                    sampled_at=now - timedelta(minutes=minute),
                    in_bps=3e9 + (minute % 120) * 1e7, out_bps=1e9, oper_up=True))
            device_id = device.id
        yield live, str(device_id)


def test_device_page_draws_a_readable_traffic_chart(server: tuple[LiveServer, str],
                                                    tmp_path: Path) -> None:
    live, device_id = server
    with browser_page() as page:
        page.goto(f"{live.url}/admin/login")
        page.fill("#email", "noc@chart.example")
        page.fill("#password", "browser-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live.url}/admin")
        page.click("text=Devices")
        page.wait_for_url(f"{live.url}/admin/devices")
        page.click("text=yaba-core")
        page.wait_for_url(f"{live.url}/admin/devices/{device_id}")
        chart = page.locator("svg#traffic-3")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 500 and box["height"] > 150
        title = str(chart.locator(".chart-title").text_content())
        assert "sfp-sfpplus1 traffic · 10000 Mb/s" in title
        y_ticks = chart.locator(".y-tick").all_text_contents()
        assert y_ticks[0] == "0 b/s" and any("Gb/s" in t for t in y_ticks)
        x_ticks = chart.locator(".x-tick").all_text_contents()
        assert len(x_ticks) >= 4 and all(len(t) == 5 and t[2] == ":" for t in x_ticks)
        lines = chart.locator("polyline.series")
        assert lines.count() == 2
        assert len(lines.first.get_attribute("points").split()) > 100
        legend = chart.locator(".legend").all_text_contents()
        assert legend[0].startswith("in ") and legend[1].startswith("out ")
        page.screenshot(path=str(tmp_path / "device.png"), full_page=True)
