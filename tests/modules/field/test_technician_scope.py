"""A technician sees only the work orders assigned to them: lists leave the others out and
every endpoint answers 404 for another's work order; dispatchers see them all."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.identity.permissions import BUILTIN_ROLES
from tests.modules.field.factories import make_technician, make_work_order, set_checklist, slot
from tests.support.factories import StaffUser, make_user
from tests.support.routes import (
    api_operations,
    fill_path,
    path_params,
    request,
    required_permission,
)
from tests.support.tenant_objects import body_for

W = "/api/v1/work-orders"


def test_a_technician_sees_only_their_own(client: TestClient, app: FastAPI,
                                          admin: StaffUser, session: Session,
                                          settings: Settings, tenant: Tenant) -> None:
    set_checklist(session, tenant, "repair", [("Check the light", True)])
    mine_tech = make_technician(session, settings, tenant, "Tunde Field")
    their_tech = make_technician(session, settings, tenant, "Bisi Field")
    mine, theirs, unassigned = (make_work_order(session, tenant) for _ in range(3))
    for order, tech in ((mine, mine_tech), (theirs, their_tech)):
        start, end = slot(1, 9)
        assert client.post(f"{W}/{order.id}/schedule", headers=admin.headers, json={
            "technician_id": str(tech.user.id), "window_start": start.isoformat(),
            "window_end": end.isoformat()}).status_code == 200
    listed = client.get(W, headers=mine_tech.headers).json()["items"]
    assert [i["number"] for i in listed] == [mine.number]
    assert client.get(W, headers=mine_tech.headers,
                      params={"technician_id": str(their_tech.user.id)}).json()["items"] == []
    assert {i["number"] for i in client.get(W, headers=admin.headers).json()["items"]} == \
        {mine.number, theirs.number, unassigned.number}
    reader = make_user(session, settings, tenant, "read_only")
    assert len(client.get(W, headers=reader.headers).json()["items"]) == 3
    item = client.get(f"{W}/{theirs.id}/checklist", headers=admin.headers).json()[0]
    values = {"work_order_id": str(theirs.id), "checklist_item_id": item["id"],
              "work_order_file_id": item["id"]}
    mine_tech_perms = BUILTIN_ROLES["technician"][1]
    wrong = []
    for method, route in api_operations(app):
        if not route.path.startswith(W + "/{work_order_id}"):
            continue
        assert set(path_params(route)) <= set(values), route.path
        response = request(client, method, fill_path(route, values), mine_tech.headers,
                           body_for(method, route.path))
        expected = 404 if required_permission(route) in mine_tech_perms else 403
        if response.status_code != expected:
            wrong.append((method, route.path, response.status_code))
    assert wrong == []
    assert client.get(f"{W}/{mine.id}", headers=mine_tech.headers).status_code == 200
    assert client.get(f"{W}/{theirs.id}", headers=admin.headers).json()["status"] == "scheduled"
