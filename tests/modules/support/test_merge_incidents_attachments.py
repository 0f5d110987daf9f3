"""Merging duplicates, outage links and incident resolution, attachments and their limits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.support import conversation, incidents
from dotmac_isp.modules.support.settings import SupportSettings
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.shared.types import utcnow
from tests.modules.support.factories import make_incident, open_ticket
from tests.modules.support.test_tickets_api import T, open_one
from tests.support.customers import make_customer
from tests.support.factories import StaffUser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def store(app: FastAPI, tmp_path: Path) -> Iterator[SupportSettings]:
    conf = SupportSettings(attachments_dir=str(tmp_path / "files"), max_attachment_bytes=4096)
    app.state.support_settings = conf
    yield conf


def test_merging_moves_the_conversation_and_closes_the_duplicate(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    ada = make_customer(session, tenant)
    keep = open_one(client, admin, ada.id, tags=["fibre"])
    dup = open_one(client, admin, ada.id, tags=["repeat"], description="Still down!")
    client.post(f"{T}/{dup['id']}/notes", headers=admin.headers, json={"body": "same issue"})
    merged = client.post(f"{T}/{dup['id']}/merge", headers=admin.headers,
                         json={"into_ticket_id": keep["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == keep["id"] and merged.json()["tags"] == ["fibre", "repeat"]
    bodies = [m["body"] for m in client.get(f"{T}/{keep['id']}/messages",
                                            headers=admin.headers).json()["items"]]
    assert bodies == ["Red light on the ONT", "Still down!", "same issue"]
    closed = client.get(f"{T}/{dup['id']}", headers=admin.headers).json()
    assert closed["status"] == "closed" and closed["merged_into_id"] == keep["id"]
    assert closed["first_response"]["state"] == "none"
    pointer = client.get(f"{T}/{dup['id']}/messages", headers=admin.headers).json()["items"]
    assert "merged into ticket T000001" in pointer[0]["body"]
    again = client.post(f"{T}/{dup['id']}/merge", headers=admin.headers,
                        json={"into_ticket_id": keep["id"]})
    assert again.status_code == 409
    itself = client.post(f"{T}/{keep['id']}/merge", headers=admin.headers,
                         json={"into_ticket_id": keep["id"]})
    assert itself.status_code == 422 and "into itself" in itself.json()["detail"]
    stranger = open_one(client, admin, make_customer(session, tenant).id)
    other = client.post(f"{T}/{stranger['id']}/merge", headers=admin.headers,
                        json={"into_ticket_id": keep["id"]})
    assert other.status_code == 422 and "same customer" in other.json()["detail"]
    missing = client.post(f"{T}/{stranger['id']}/merge", headers=admin.headers,
                          json={"into_ticket_id": str(uuid.uuid4())})
    assert missing.status_code == 422
    assert missing.json()["detail"] == "into_ticket_id: no such ticket"


def test_outage_tickets_are_linked_listed_and_resolved_together(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    outage = make_incident(session, settings, tenant)
    tickets = [open_one(client, admin, make_customer(session, tenant).id) for _ in range(3)]
    unrelated = open_one(client, admin, make_customer(session, tenant).id)
    for t in tickets:
        linked = client.put(f"{T}/{t['id']}/incident", headers=admin.headers,
                            json={"incident_id": str(outage)})
        assert linked.json()["incident_id"] == str(outage)
    client.post(f"{T}/{tickets[2]['id']}/status", headers=admin.headers,
                json={"status": "resolved"})
    listed = client.get(T, headers=admin.headers, params={"incident_id": str(outage)}).json()
    assert listed["total"] == 3
    done = client.post("/api/v1/support/incident-tickets/resolve", headers=admin.headers,
                       json={"incident_id": str(outage),
                             "reply": "The fibre cut at Ikeja was repaired at 14:05."})
    assert done.status_code == 200, done.text
    body = done.json()
    assert sorted(t["number"] for t in body["resolved"]) == sorted(
        t["number"] for t in tickets[:2])
    assert body["already_done"] == 1
    for t in tickets[:2]:
        shown = client.get(f"{T}/{t['id']}", headers=admin.headers).json()
        assert shown["status"] == "resolved"
        last = client.get(f"{T}/{t['id']}/messages", headers=admin.headers).json()["items"][-1]
        assert last["body"] == "The fibre cut at Ikeja was repaired at 14:05."
        assert last["kind"] == "reply"
    assert client.get(f"{T}/{unrelated['id']}", headers=admin.headers).json()["status"] == "new"
    unlinked = client.delete(f"{T}/{tickets[0]['id']}/incident", headers=admin.headers)
    assert unlinked.status_code == 200 and unlinked.json()["incident_id"] is None
    twice = client.delete(f"{T}/{tickets[0]['id']}/incident", headers=admin.headers)
    assert twice.status_code == 409


def test_other_modules_resolve_incident_tickets_through_the_service(
        session: Session, settings: Settings, tenant: Tenant, admin: StaffUser) -> None:
    outage = make_incident(session, settings, tenant)
    ticket = open_ticket(session, tenant, utcnow(), incident_id=outage)
    resolved = incidents.resolve_incident_tickets(session, tenant.id, outage, "Power is back.")
    assert [t.id for t in resolved] == [ticket.id] and ticket.status == "resolved"
    assert incidents.resolve_incident_tickets(session, tenant.id, outage, "again") == []
    messages = conversation.list_messages(session, tenant.id, ticket.id, PageParams()).items
    assert messages[-1].author_label == "system"


def test_attachments_are_stored_served_and_limited(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant,
        store: SupportSettings) -> None:
    ticket = open_one(client, admin, make_customer(session, tenant).id)
    url = f"{T}/{ticket['id']}/attachments"
    made = client.post(url, headers=admin.headers,
                       files={"file": ("../../router photo.png", PNG, "image/png")})
    assert made.status_code == 201, made.text
    info = made.json()
    assert info["filename"] == "router photo.png" and info["size_bytes"] == len(PNG)
    assert info["content_type"] == "image/png" and info["message_id"] is None
    stored = list(Path(store.attachments_dir).rglob("*"))
    assert any(p.is_file() and p.read_bytes() == PNG for p in stored)
    got = client.get(f"/api/v1/support/attachments/{info['id']}/content",
                     headers=admin.headers)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith('attachment; filename="router photo.png"')
    assert client.get(url, headers=admin.headers).json()["total"] == 1
    refusals = [
        (("tool.exe", b"MZ\x90\x00", "application/octet-stream"), 422, ".exe files are not"),
        (("fake.png", b"MZ\x90\x00 not a png", "image/png"), 422, "not really a .png"),
        (("big.txt", b"a" * 5000, "text/plain"), 413, "the limit is 4096 bytes"),
        (("empty.txt", b"", "text/plain"), 422, "is empty"),
        (("binary.txt", b"\xff\xfe\x00", "text/plain"), 422, "not UTF-8"),
        (("noext", b"hello", "text/plain"), 422, "not accepted"),
    ]
    for file, status, says in refusals:
        response = client.post(url, headers=admin.headers, files={"file": file})
        assert response.status_code == status, (file[0], response.text)
        assert says in response.json()["detail"], (file[0], response.json())
    as_json = client.post(url, headers=admin.headers, json={"file": "x"})
    assert as_json.status_code == 422 and "multipart/form-data" in as_json.json()["detail"]
    no_file = client.post(url, headers=admin.headers, data={"message_id": "x"},
                          files={"other": ("a.txt", b"x", "text/plain")})
    assert no_file.status_code == 422
    wrong_message = client.post(url, headers=admin.headers, data={"message_id": str(uuid.uuid4())},
                                files={"file": ("a.txt", b"hello", "text/plain")})
    assert wrong_message.status_code == 422 and "no such message" in wrong_message.text
    deleted = client.delete(f"/api/v1/support/attachments/{info['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    assert not any(p.is_file() and p.read_bytes() == PNG
                   for p in Path(store.attachments_dir).rglob("*"))
    assert client.get(f"/api/v1/support/attachments/{info['id']}",
                      headers=admin.headers).status_code == 404
