"""Chromium opens the topology page: the graph is drawn from its JSON, the core on top, each
device a row further per hop, links between them, an unmanaged neighbour shown apart, and a
click on a node opens that device."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from dotmac_isp import wiring
from dotmac_isp.config import Settings
from dotmac_isp.modules.network.topology import service
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_interface
from tests.modules.network.topology.lab import heard, reading
from tests.support.browser import browser_page
from tests.support.factories import make_tenant, make_user
from tests.support.live_server import LiveServer, live_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(settings: Settings,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    wiring.install()
    with live_server(settings, tmp_path_factory.mktemp("browser-topology")) as live:
        with live.database.unit_of_work() as session:
            tenant = make_tenant(session, "topo-isp", name="Topo Fibre")
            make_user(session, settings, tenant, "network_engineer", email="noc@topo.example",
                      password="browser-pass-123")
            devices = {}
            for name, kind, ip in (("core-1", "router", "192.0.2.1"),
                                   ("agg-1", "switch", "192.0.2.2"),
                                   ("olt-1", "olt", "192.0.2.3")):
                devices[name] = make_device(session, settings, tenant, name, device_type=kind,
                                            management_ip=ip, monitoring_enabled=False)
            for index, name in enumerate(("agg-1-core-1", "agg-1-olt-1", "agg-1-lab"), 2):
                make_interface(session, devices["agg-1"], index, name)
            service.record_readings(session, tenant.id, {devices["agg-1"].id: reading(
                "agg-1", heard("agg-1", 2, "core-1"), heard("agg-1", 3, "olt-1"),
                heard("agg-1", 4, "lab"))}, utcnow(), timedelta(hours=24))
            olt_id = str(devices["olt-1"].id)
        yield live, olt_id


def test_topology_page_draws_the_network_by_hops_from_the_core(
        server: tuple[LiveServer, str], tmp_path: Path) -> None:
    live, olt_id = server
    with browser_page() as page:
        page.goto(f"{live.url}/admin/login")
        page.fill("#email", "noc@topo.example")
        page.fill("#password", "browser-pass-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live.url}/admin")
        page.goto(f"{live.url}/admin/devices")
        page.click("[data-testid=topology-link]")
        page.wait_for_url(f"{live.url}/admin/network/topology")
        page.wait_for_selector("#topology[data-ready='1'] svg.topology")
        nodes = page.locator("svg.topology g.node")
        assert sorted(nodes.evaluate_all("ns => ns.map(n => n.dataset.name)")) == [
            "agg-1", "core-1", "lab", "olt-1"]
        rows = {name: page.locator(f"g.node[data-name='{name}'] circle").get_attribute("cy")
                for name in ("core-1", "agg-1", "olt-1", "lab")}
        core, agg, olt, lab = (float(rows[n] or 0) for n in ("core-1", "agg-1", "olt-1", "lab"))
        assert core < agg < olt == lab  # one row per hop from the core
        assert page.locator("svg.topology line.edge-lldp").count() == 3
        assert "unmanaged" in (page.locator("g.node[data-name='lab'] circle")
                               .get_attribute("class") or "")
        box = page.locator("svg.topology").bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 200
        page.screenshot(path=str(tmp_path / "topology.png"), full_page=True)
        page.locator("g.node[data-name='olt-1'] a").click()
        page.wait_for_url(f"{live.url}/admin/devices/{olt_id}")
        assert "agg-1" in page.locator("[data-testid=neighbour-table]").inner_text()
