"""Tickets over the API: open, queue, change, reply and note, timeline, bad input."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus
from tests.modules.network.devices.factories import make_device
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import StaffUser, make_user

T = "/api/v1/support/tickets"


def open_one(client: TestClient, admin: StaffUser, customer_id: uuid.UUID,
             **extra: object) -> dict:  # type: ignore[type-arg]
    body = {"customer_id": str(customer_id), "subject": "  No   internet ",
            "description": "Red light on the ONT", **extra}
    response = client.post(T, headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_open_a_ticket_with_numbers_sla_and_the_customer_story(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE)
    first = open_one(client, admin, sub.customer_id, priority="high", category="Outage",
                     subscription_id=str(sub.id), tags=["Fibre", "fibre", " ont "],
                     device_id=str(make_device(session, settings, tenant, "ont-1").id),
                     source="phone")
    second = open_one(client, admin, sub.customer_id)
    assert (first["number"], second["number"]) == ("T000001", "T000002")
    assert first["subject"] == "No internet" and first["category"] == "outage"
    assert first["tags"] == ["fibre", "ont"] and first["status"] == "new"
    assert first["priority"] == "high" and first["source"] == "phone"
    assert first["first_response"]["state"] == "running"
    assert first["first_response"]["target_seconds"] == 4 * 3600
    assert first["resolution"]["target_seconds"] == 24 * 3600
    assert first["sla_policy_id"] is not None
    messages = client.get(f"{T}/{first['id']}/messages", headers=admin.headers).json()
    assert messages["total"] == 1 and messages["items"][0]["body"] == "Red light on the ONT"


def test_the_queue_filters_and_paginates(client: TestClient, admin: StaffUser,
                                         session: Session, tenant: Tenant) -> None:
    ada = make_customer(session, tenant, first_name="Ada")
    bola = make_customer(session, tenant, first_name="Bola")
    for i in range(3):
        open_one(client, admin, ada.id, subject=f"Slow speed {i}", category="slow")
    urgent = open_one(client, admin, bola.id, subject="Cable cut", priority="urgent",
                      assignee_id=str(admin.user.id), tags=["outage"])
    page = client.get(T, headers=admin.headers, params={"limit": 2}).json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["limit"] == 2
    assert page["items"][0]["number"] == "T000004"  # newest first

    def numbers(**params: object) -> list[str]:
        found = client.get(T, headers=admin.headers, params=params).json()["items"]
        return [t["number"] for t in found]

    assert numbers(customer_id=str(bola.id)) == ["T000004"]
    assert numbers(priority="urgent") == ["T000004"]
    assert numbers(assignee_id=str(admin.user.id)) == ["T000004"]
    assert len(numbers(unassigned=True)) == 3
    assert numbers(tag="outage") == ["T000004"]
    assert numbers(q="cable") == ["T000004"] and numbers(q="t000004") == ["T000004"]
    assert len(numbers(category="slow")) == 3
    assert numbers(status="new", active=True) == numbers(active=True)
    client.post(f"{T}/{urgent['id']}/status", headers=admin.headers,
                json={"status": "resolved"})
    assert "T000004" not in numbers(active=True)
    assert numbers(status=["resolved", "closed"]) == ["T000004"]
    assert numbers(sla="met") == ["T000004"]


def test_status_moves_are_checked(client: TestClient, admin: StaffUser, session: Session,
                                  tenant: Tenant) -> None:
    ticket = open_one(client, admin, make_customer(session, tenant).id)
    url = f"{T}/{ticket['id']}/status"
    assert client.post(url, headers=admin.headers, json={"status": "reopened"}).json() == {
        "error": "illegal_transition",
        "detail": "a new ticket cannot become reopened (it can become: closed, open, "
                  "pending_customer, pending_third_party, resolved)"}
    for step in ("open", "pending_third_party", "resolved", "reopened", "closed"):
        moved = client.post(url, headers=admin.headers, json={"status": step})
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == step
    final = client.post(url, headers=admin.headers, json={"status": "open"})
    assert final.status_code == 409 and "nothing (final)" in final.json()["detail"]
    late = client.post(f"{T}/{ticket['id']}/replies", headers=admin.headers,
                       json={"body": "hello?"})
    assert late.status_code == 409 and "is closed" in late.json()["detail"]
    bad = client.post(url, headers=admin.headers, json={"status": "done"})
    assert bad.status_code == 422 and bad.json()["error"] == "validation_failed"


def test_replies_notes_and_the_timeline(client: TestClient, admin: StaffUser,
                                        session: Session, tenant: Tenant) -> None:
    ticket = open_one(client, admin, make_customer(session, tenant).id, priority="high")
    url = f"{T}/{ticket['id']}"
    note = client.post(f"{url}/notes", headers=admin.headers,
                       json={"body": "Customer sounds upset; check the OLT port."})
    assert note.status_code == 201 and note.json()["kind"] == "note"
    reply = client.post(f"{url}/replies", headers=admin.headers,
                        json={"body": "Please restart the router.", "status": "pending_customer"})
    assert reply.status_code == 201 and reply.json()["author_label"] == "Admin Person"
    shown = client.get(url, headers=admin.headers).json()
    assert shown["status"] == "pending_customer"
    assert shown["first_responded_at"] is not None
    assert shown["first_response"]["state"] == "met"
    assert shown["resolution"]["state"] == "paused"
    assert shown["resolution"]["remaining_seconds"] > 0
    public = client.get(f"{url}/messages", headers=admin.headers,
                        params={"public_only": True}).json()
    assert [m["kind"] for m in public["items"]] == ["reply", "reply"]
    everything = client.get(f"{url}/messages", headers=admin.headers).json()
    assert [m["kind"] for m in everything["items"]] == ["reply", "note", "reply"]
    timeline = client.get(f"{url}/timeline", headers=admin.headers).json()["items"]
    kinds = [(i["type"], i["kind"]) for i in timeline]
    assert kinds[0] == ("message", "reply") and ("event", "created") in kinds
    assert ("event", "sla_paused") in kinds and ("event", "status") in kinds
    assert [i["at"] for i in timeline] == sorted(i["at"] for i in timeline)


def test_assignment_priority_and_clearing_fields(client: TestClient, admin: StaffUser,
                                                 session: Session, settings: Settings,
                                                 tenant: Tenant) -> None:
    agent = make_user(session, settings, tenant, "support")
    team = client.post("/api/v1/support/teams", headers=admin.headers,
                       json={"name": "First line", "email": "l1@tenant-a.example"}).json()
    ticket = open_one(client, admin, make_customer(session, tenant).id)
    url = f"{T}/{ticket['id']}"
    changed = client.patch(url, headers=admin.headers, json={
        "assignee_id": str(agent.user.id), "team_id": team["id"], "priority": "critical",
        "tags": ["vip"]})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["assignee_id"] == str(agent.user.id) and body["team_id"] == team["id"]
    assert body["first_response"]["target_seconds"] == 15 * 60 and body["tags"] == ["vip"]
    cleared = client.patch(url, headers=admin.headers, json={"assignee_id": None})
    assert cleared.json()["assignee_id"] is None and cleared.json()["team_id"] == team["id"]
    timeline = client.get(f"{url}/timeline", headers=admin.headers).json()["items"]
    assert any(i["kind"] == "priority" and "normal -> critical" in i["text"] for i in timeline)
    assert any(i["kind"] == "assigned" and "nobody" in i["text"] for i in timeline)


def test_bad_input_is_a_clear_4xx(client: TestClient, admin: StaffUser, session: Session,
                                  settings: Settings, tenant: Tenant,
                                  other_tenant: Tenant) -> None:
    ours = make_customer(session, tenant)
    theirs = make_customer(session, other_tenant)
    cases = [
        ({"customer_id": str(theirs.id)}, "customer_id: no such customer"),
        ({"customer_id": str(ours.id), "assignee_id": str(uuid.uuid4())},
         "assignee_id: no such staff user"),
        ({"customer_id": str(ours.id), "team_id": str(uuid.uuid4())}, "team_id: no such team"),
        ({"customer_id": str(ours.id), "priority": "whenever"}, "priority"),
        ({"customer_id": str(ours.id), "category": "bad category!"}, "category"),
        ({"customer_id": str(ours.id), "subject": "   "}, "the subject is empty"),
        ({"customer_id": str(ours.id), "tags": ['a"b']}, "tags may not contain"),
        ({"customer_id": str(ours.id), "description": "a\x00b"}, "control characters"),
    ]
    for extra, says in cases:
        body = {"subject": "x", "description": "y", **extra}
        response = client.post(T, headers=admin.headers, json=body)
        assert response.status_code == 422, (extra, response.text)
        assert says in response.json()["detail"], (says, response.json())
    other_sub = make_subscription(session, settings, other_tenant, customer=theirs)
    own_sub = make_subscription(session, settings, tenant)
    for sub_id, says in ((other_sub.id, "subscription_id: no such subscription"),
                         (own_sub.id, "belongs to another customer")):
        response = client.post(T, headers=admin.headers, json={
            "customer_id": str(ours.id), "subject": "x", "description": "y",
            "subscription_id": str(sub_id)})
        assert response.status_code == 422 and says in response.json()["detail"]
    nul = client.get(T, headers=admin.headers, params={"q": "a\x00b"})
    assert nul.status_code == 422 and nul.json()["fields"][0]["field"] == "q"
    assert client.get(f"{T}/{uuid.uuid4()}", headers=admin.headers).status_code == 404
    assert client.get(f"{T}/not-a-uuid", headers=admin.headers).status_code == 422
    blank = client.post(T, headers=admin.headers, json={"customer_id": str(ours.id),
                                                        "subject": "x", "description": "y"})
    empty_reply = client.post(f"{T}/{blank.json()['id']}/replies", headers=admin.headers,
                              json={"body": "   "})
    assert empty_reply.status_code == 422 and "empty" in empty_reply.json()["detail"]


def test_read_only_staff_can_look_but_not_touch(client: TestClient, admin: StaffUser,
                                                session: Session, settings: Settings,
                                                tenant: Tenant) -> None:
    viewer = make_user(session, settings, tenant, "read_only")
    ticket = open_one(client, admin, make_customer(session, tenant).id)
    assert client.get(f"{T}/{ticket['id']}", headers=viewer.headers).status_code == 200
    refused = client.post(f"{T}/{ticket['id']}/notes", headers=viewer.headers,
                          json={"body": "x"})
    assert refused.status_code == 403 and "support:write" in refused.json()["detail"]


def test_a_value_the_database_refuses_is_a_4xx_everywhere(client: TestClient, admin: StaffUser,
                                                         backend: str) -> None:
    # Not every endpoint refuses a NUL itself; PostgreSQL does, and that is bad input too.
    response = client.get("/api/v1/audit-log", headers=admin.headers,
                          params={"entity_type": "tickets", "entity_id": "\x00"})
    if backend == "postgresql":
        assert response.status_code == 422, response.text
        assert "NUL character" in response.json()["detail"]
    else:
        assert response.status_code == 200
