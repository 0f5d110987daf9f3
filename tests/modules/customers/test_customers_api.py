"""Customer accounts through the API: numbers, validation, search, lifecycle, children."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.factories import StaffUser

BASE = "/api/v1/customers"


def create(client: TestClient, admin: StaffUser, **body: object) -> dict:  # type: ignore[type-arg]
    payload = {"first_name": "Chidi", "last_name": "Okafor", **body}
    response = client.post(BASE, headers=admin.headers, json=payload)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_numbers_are_readable_and_sequential_per_tenant(client: TestClient, admin: StaffUser,
                                                        other_admin: StaffUser) -> None:
    first = create(client, admin)
    second = create(client, admin)
    other = create(client, other_admin)
    assert (first["number"], second["number"]) == ("C000001", "C000002")
    assert other["number"] == "C000001"
    assert first["status"] == "lead" and first["currency"] == "USD"


def test_full_customer_with_addresses_contacts_tags_and_custom_fields(
        client: TestClient, admin: StaffUser) -> None:
    body = create(client, admin, kind="business", company_name="Acme Logistics Ltd",
                  email="Accounts@Acme.example", phone="+234 (803) 555-0199",
                  tax_id="NG-123456", tags=["VIP", "fibre", "vip"],
                  custom_fields={"account_manager": "Tolu", "sla_hours": 4},
                  addresses=[{"kind": "billing", "line1": "1 Broad St", "city": "Lagos",
                              "country": "ng"},
                             {"kind": "service", "line1": "Plot 7 Industrial Ave",
                              "city": "Ikeja", "latitude": "6.601838", "longitude": "3.351486"}],
                  contacts=[{"role": "billing", "name": "Funmi", "email": "funmi@acme.example"}])
    assert body["display_name"] == "Acme Logistics Ltd"
    assert body["email"] == "accounts@acme.example"
    assert body["tags"] == ["fibre", "vip"]
    assert body["custom_fields"] == {"account_manager": "Tolu", "sla_hours": 4}
    assert [a["kind"] for a in body["addresses"]] == ["billing", "service"]
    assert body["addresses"][0]["country"] == "NG"
    assert body["addresses"][1]["latitude"] == "6.601838"
    assert body["contacts"][0]["name"] == "Funmi"


@pytest.mark.parametrize(("body", "message"), [
    ({"kind": "business", "first_name": "No", "last_name": "Company"}, "company_name"),
    ({"first_name": "", "last_name": ""}, "first_name/last_name or a company_name"),
    ({"tax_exempt": True}, "tax_exempt_reason"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"status": "closed"}, "cannot start closed"),
    ({"addresses": [{"line1": ""}]}, "line1"),
    ({"addresses": [{"line1": "x", "latitude": "91"}]}, "latitude"),
    ({"custom_fields": {"nested": {"a": 1}}}, "nested"),
])
def test_bad_input_gets_a_clear_422_and_stores_nothing(client: TestClient, admin: StaffUser,
                                                       body: dict, message: str) -> None:  # type: ignore[type-arg]
    payload = {"first_name": "Bad", "last_name": "Input", **body}
    response = client.post(BASE, headers=admin.headers, json=payload)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert client.get(BASE, headers=admin.headers).json()["total"] == 0


def test_search_by_name_number_email_phone_and_address(client: TestClient,
                                                       admin: StaffUser) -> None:
    ada = create(client, admin, first_name="Ada", last_name="Lovelace",
                 email="ada@example.com", phone="+234 803 555 0101",
                 addresses=[{"line1": "12 Marina Road", "city": "Lagos"}])
    create(client, admin, first_name="Grace", last_name="Hopper", email="grace@example.com",
           phone="+1 555 0199", addresses=[{"line1": "5 Navy Yard", "city": "Arlington"}])

    def found(q: str) -> list[str]:
        items = client.get(BASE, headers=admin.headers, params={"q": q}).json()["items"]
        return [c["id"] for c in items]

    for query in ("lovelace", "ADA LOVE", ada["number"], "ada@example", "8035550101",
                  "+234-803-555-0101", "marina", "lagos"):
        assert found(query) == [ada["id"]], query
    assert found("nobody-here") == []


def test_filters_and_pagination(client: TestClient, admin: StaffUser) -> None:
    for i in range(5):
        create(client, admin, first_name=f"P{i}", tags=["fibre"] if i % 2 else ["wireless"])
    create(client, admin, kind="business", company_name="Biz Co")
    assert client.get(BASE, headers=admin.headers,
                      params={"kind": "business"}).json()["total"] == 1
    assert client.get(BASE, headers=admin.headers, params={"tag": "fibre"}).json()["total"] == 2
    page = client.get(BASE, headers=admin.headers, params={"limit": 4, "offset": 4}).json()
    assert page["total"] == 6 and len(page["items"]) == 2
    assert client.get(BASE, headers=admin.headers,
                      params={"status": "bogus"}).status_code == 422


@pytest.mark.parametrize(("path", "allowed"), [
    (["active"], True), (["closed"], True), (["suspended"], False),
    (["active", "suspended"], True), (["active", "closed"], True),
    (["active", "suspended", "active"], True), (["active", "suspended", "closed"], True),
    (["active", "lead"], False), (["closed", "active"], True), (["closed", "suspended"], False),
    (["active", "active"], False),
])
def test_status_transitions(client: TestClient, admin: StaffUser, path: list[str],
                            allowed: bool) -> None:
    customer = create(client, admin)
    url = f"{BASE}/{customer['id']}/status"
    *steps, last = path
    for step in steps:
        assert client.post(url, headers=admin.headers, json={"status": step}).status_code == 200
    response = client.post(url, headers=admin.headers, json={"status": last, "reason": "test"})
    if allowed:
        assert response.status_code == 200 and response.json()["status"] == last
    else:
        assert response.status_code == 409
        assert "cannot become" in response.json()["detail"] or "already" in \
            response.json()["detail"]


def test_update_and_delete_rules(client: TestClient, admin: StaffUser) -> None:
    customer = create(client, admin)
    url = f"{BASE}/{customer['id']}"
    updated = client.patch(url, headers=admin.headers,
                           json={"last_name": "Okafor-Eze", "tags": ["b", "a"]})
    assert updated.status_code == 200
    assert updated.json()["last_name"] == "Okafor-Eze" and updated.json()["tags"] == ["a", "b"]
    assert client.get(BASE, headers=admin.headers,
                      params={"q": "okafor-eze"}).json()["total"] == 1
    bad = client.patch(url, headers=admin.headers, json={"kind": "business"})
    assert bad.status_code == 422 and "company_name" in bad.json()["detail"]
    client.post(f"{url}/status", headers=admin.headers, json={"status": "active"})
    refused = client.delete(url, headers=admin.headers)
    assert refused.status_code == 409 and "close the customer" in refused.json()["detail"]
    lead = create(client, admin)
    assert client.delete(f"{BASE}/{lead['id']}", headers=admin.headers).status_code == 204
    assert client.get(f"{BASE}/{lead['id']}", headers=admin.headers).status_code == 404


def test_addresses_and_contacts(client: TestClient, admin: StaffUser) -> None:
    customer = create(client, admin)
    other = create(client, admin)
    url = f"{BASE}/{customer['id']}"
    address = client.post(f"{url}/addresses", headers=admin.headers,
                          json={"kind": "service", "line1": "3 Allen Avenue", "city": "Ikeja"})
    assert address.status_code == 201
    aid = address.json()["id"]
    assert client.get(BASE, headers=admin.headers, params={"q": "allen"}).json()["total"] == 1
    moved = client.put(f"{url}/addresses/{aid}", headers=admin.headers,
                       json={"line1": "9 Awolowo Road", "city": "Ikoyi"})
    assert moved.status_code == 200
    assert client.get(BASE, headers=admin.headers, params={"q": "allen"}).json()["total"] == 0
    # another customer's path cannot reach this address
    assert client.delete(f"{BASE}/{other['id']}/addresses/{aid}",
                         headers=admin.headers).status_code == 404
    assert client.delete(f"{url}/addresses/{aid}", headers=admin.headers).status_code == 204
    contact = client.post(f"{url}/contacts", headers=admin.headers,
                          json={"role": "technical", "name": "Emeka", "phone": "0803"})
    assert contact.status_code == 201
    cid = contact.json()["id"]
    changed = client.put(f"{url}/contacts/{cid}", headers=admin.headers,
                         json={"role": "billing", "name": "Emeka O."})
    assert changed.json()["role"] == "billing"
    detail = client.get(url, headers=admin.headers).json()
    assert [c["name"] for c in detail["contacts"]] == ["Emeka O."]
    assert client.delete(f"{url}/contacts/{cid}", headers=admin.headers).status_code == 204


def test_customer_changes_are_audited(client: TestClient, admin: StaffUser) -> None:
    customer = create(client, admin)
    client.patch(f"{BASE}/{customer['id']}", headers=admin.headers, json={"first_name": "Obi"})
    log = client.get("/api/v1/audit-log", headers=admin.headers,
                     params={"entity_type": "customers", "entity_id": customer["id"]}).json()
    assert [e["action"] for e in log["items"]] == ["update", "create"]
    assert log["items"][0]["before"] == {"first_name": "Chidi"}
    assert "search_text" not in log["items"][1]["after"]
