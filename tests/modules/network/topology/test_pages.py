"""The device page's neighbours, the topology page and its JSON, and the API: each tenant sees
only its own network, and changing it needs network:write."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp import demo_network
from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.topology import service, views
from dotmac_isp.shared.types import utcnow
from tests.modules.network.topology.lab import heard, reading
from tests.modules.network.topology.test_links import DAY, _switch
from tests.support.factories import StaffUser, make_user
from tests.web.test_admin_pages import sign_in


def _pair(session: Session, settings: Settings, tenant: Tenant, prefix: str,
          ) -> tuple[Device, Device]:
    left = _switch(session, settings, tenant, f"{prefix}-core", "10.0.0.1", f"{prefix}-edge",
                   device_type="router")
    right = _switch(session, settings, tenant, f"{prefix}-edge", "10.0.0.2", f"{prefix}-core")
    stranger = heard(f"{prefix}-edge", 9, f"{prefix}-stranger")
    service.record_readings(session, tenant.id, {right.id: reading(
        f"{prefix}-edge", heard(f"{prefix}-edge", 2, f"{prefix}-core"), stranger)},
        utcnow(), DAY)
    return left, right


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_device_page_lists_neighbours_linked_to_their_devices(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    core, edge = _pair(session, settings, tenant, "a")
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/devices/{edge.id}")
    assert page.status_code == 200
    table = page.text.split('data-testid="neighbour-table"')[1].split("</table>")[0]
    assert f'<a href="/admin/devices/{core.id}">a-core</a>' in table
    assert "a-edge-a-core" in table and "a-core-a-edge" in table
    assert "a-stranger" in table and "not managed" in table
    assert 'data-testid="discover-neighbours"' in page.text

    # mark the core router as core from its page
    page = client.get(f"/admin/devices/{core.id}")
    marked = client.post(f"/admin/devices/{core.id}/core",
                         data={"csrf_token": _csrf(page.text), "is_core": "1"},
                         follow_redirects=True)
    assert marked.status_code == 200 and 'data-testid="core-flag"' in marked.text


def test_topology_json_draws_this_tenants_network_only(
        client: TestClient, admin: StaffUser, other_admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant, other_tenant: Tenant) -> None:
    core, edge = _pair(session, settings, tenant, "a")
    other_core, _ = _pair(session, settings, other_tenant, "b")
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/network/topology")
    assert page.status_code == 200 and "/static/topology.js" in page.text
    assert client.get("/static/topology.js").status_code == 200
    graph = client.get("/admin/network/topology.json").json()
    names = {n["name"]: n for n in graph["nodes"]}
    assert set(names) == {"a-core", "a-edge", "a-stranger"}
    assert names["a-core"]["depth"] == 0 and names["a-edge"]["depth"] == 1
    assert names["a-stranger"]["managed"] is False and names["a-stranger"]["depth"] == 2
    assert len(graph["edges"]) == 2
    assert client.get(f"/admin/devices/{other_core.id}").status_code == 404

    api = client.get("/api/v1/topology", headers=other_admin.headers).json()
    assert {n["name"] for n in api["nodes"]} == {"b-core", "b-edge", "b-stranger"}
    for path in (f"/api/v1/devices/{edge.id}/neighbours", f"/api/v1/devices/{edge.id}/impact",
                 f"/api/v1/devices/{edge.id}/topology"):
        assert client.get(path, headers=other_admin.headers).status_code == 404
    mine = client.get(f"/api/v1/devices/{edge.id}/neighbours", headers=admin.headers).json()
    assert [(n["device_name"], n["device_id"]) for n in mine] == [
        ("a-core", str(core.id)), ("a-stranger", None)]
    impact = client.get(f"/api/v1/devices/{core.id}/impact", headers=admin.headers).json()
    assert set(impact["device_ids"]) == {str(core.id), str(edge.id)}


def test_changes_need_network_write(
        client: TestClient, session: Session, settings: Settings, tenant: Tenant) -> None:
    core, edge = _pair(session, settings, tenant, "a")
    reader = make_user(session, settings, tenant, "read_only")
    session.flush()
    assert client.put(f"/api/v1/devices/{core.id}/topology", json={"is_core": True},
                      headers=reader.headers).status_code == 403
    assert client.post(f"/api/v1/devices/{edge.id}/neighbours/discover",
                       headers=reader.headers).status_code == 403
    assert client.get(f"/api/v1/devices/{edge.id}/neighbours",
                      headers=reader.headers).status_code == 200
    sign_in(client, reader.user.email, reader.password)
    page = client.get(f"/admin/devices/{core.id}")
    assert 'data-testid="discover-neighbours"' not in page.text
    refused = client.post(f"/admin/devices/{core.id}/core",
                          data={"csrf_token": _csrf(page.text), "is_core": "1"})
    assert refused.status_code == 403
    assert service.node_state(session, tenant.id, core.id).is_core is False


def test_demo_network_comes_with_its_links(session: Session, settings: Settings,
                                           tenant: Tenant) -> None:
    created: list[str] = []
    demo_network.seed(session, settings, tenant, created)
    graph = views.topology_graph(session, tenant.id)
    depth = {n["name"]: n["depth"] for n in graph["nodes"]}
    assert depth == {"core-1": 0, "bng-1": 1, "switch-1": 1, "olt-1": 2,
                     "transit-gw.example.net": 1}
    assert len(graph["edges"]) == 4 and "their links" in created[0]
