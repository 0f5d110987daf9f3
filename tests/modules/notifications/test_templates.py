"""Templates per event and per tenant: built-in defaults, checked overrides, the sandbox."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications import defaults, service
from dotmac_isp.modules.notifications.models import NotificationTemplate
from dotmac_isp.shared.errors import ValidationFailed
from tests.support.factories import StaffUser, make_user

T = "/api/v1/notifications/templates"
INVOICE = {"tenant": {"name": "Lagos Fibre"}, "customer": {"name": "Ada Obi"},
           "invoice": {"number": "INV-7", "total": "29.99", "currency": "NGN",
                       "issue_date": "2026-11-01", "due_date": "2026-11-15", "url": ""}}


def test_every_event_has_a_default_that_renders_its_sample() -> None:
    keys = set(defaults.EVENTS)
    assert {"billing.invoice_issued", "billing.payment_received", "billing.suspension_warning",
            "support.ticket_created", "support.ticket_replied",
            "support.ticket_resolved"} <= keys
    for spec in defaults.EVENTS.values():
        service.rendering.check(spec.subject, spec.text, spec.html, spec.sample)


def test_events_are_listed_with_their_defaults(client: TestClient, admin: StaffUser) -> None:
    page = client.get("/api/v1/notifications/events", headers=admin.headers,
                      params={"limit": 3}).json()
    assert page["total"] == len(defaults.EVENTS) and len(page["items"]) == 3
    assert [i["key"] for i in page["items"]] == sorted(defaults.EVENTS)[:3]
    assert all("invoice" in i["sample_context"] for i in page["items"]
               if i["key"] == "billing.invoice_issued")


def test_a_tenant_override_is_used_for_that_tenant_only(
        client: TestClient, admin: StaffUser, other_admin: StaffUser, session: Session,
        tenant: Tenant, other_tenant: Tenant) -> None:
    made = client.post(T, headers=admin.headers, json={
        "event_key": "billing.invoice_issued",
        "subject": "{{ tenant.name }}: bill {{ invoice.number }}",
        "body_text": "Dear {{ customer.name }}, please pay {{ invoice.total }}."})
    assert made.status_code == 201, made.text
    again = client.post(T, headers=admin.headers, json={
        "event_key": "billing.invoice_issued", "subject": "x", "body_text": "y"})
    assert again.status_code == 409
    ours = service.send(session, tenant.id, "billing.invoice_issued", "Ada@Example.com",
                        INVOICE)
    theirs = service.send(session, other_tenant.id, "billing.invoice_issued", "b@example.com",
                          INVOICE)
    assert (ours.subject, ours.template_source) == ("Lagos Fibre: bill INV-7", "tenant")
    assert ours.body_text == "Dear Ada Obi, please pay 29.99."
    assert ours.to_address == "ada@example.com"
    assert theirs.subject == "Invoice INV-7 from Lagos Fibre" and theirs.template_source == \
        "default"
    listed = client.get(T, headers=other_admin.headers).json()
    assert listed["total"] == 0
    gone = client.delete(f"{T}/{made.json()['id']}", headers=admin.headers)
    assert gone.status_code == 204
    back = service.send(session, tenant.id, "billing.invoice_issued", "a@example.com", INVOICE)
    assert back.template_source == "default"


@pytest.mark.parametrize(("source", "says"), [
    ("{{ invoice.numbr }}", "numbr"),
    ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ("{% for i in range(99999999) %}x{% endfor %}", "range"),
    ("{{ 'x' * 10000000 }}", "sequences that long"),
    ("{{ invoice.total ** 1000 }}", "exponent"),
    ("{% if %}", "Expected an expression"),
])
def test_bad_templates_are_refused_with_the_reason(client: TestClient, admin: StaffUser,
                                                   source: str, says: str) -> None:
    response = client.post(T, headers=admin.headers, json={
        "event_key": "billing.invoice_issued", "subject": "Invoice", "body_text": source})
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]
    assert response.json()["detail"].startswith("body_text: ")


def test_unknown_events_and_fields(client: TestClient, admin: StaffUser) -> None:
    unknown = client.post(T, headers=admin.headers, json={
        "event_key": "billing.nothing", "subject": "x", "body_text": "y"})
    assert unknown.status_code == 422 and "unknown notification event" in unknown.text
    missing = client.get(f"{T}/{uuid.uuid4()}", headers=admin.headers)
    assert missing.status_code == 404


def test_preview_renders_with_the_sample_and_escapes_html(client: TestClient,
                                                          admin: StaffUser) -> None:
    preview = client.post(f"{T}/preview", headers=admin.headers, json={
        "event_key": "billing.payment_received",
        "body_html": "<p>Thanks {{ customer.name }}</p>",
        "context": {"customer": {"name": "<script>x</script>"}}})
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["subject"] == "Payment received, thank you (29.99 USD)"
    assert "<script>x</script>" in body["body_text"]
    assert body["body_html"] == "<p>Thanks &lt;script&gt;x&lt;/script&gt;</p>"
    broken = client.post(f"{T}/preview", headers=admin.headers, json={
        "event_key": "billing.payment_received", "body_text": "{{ nope.nothing }}"})
    assert broken.status_code == 422 and "does not render" in broken.json()["detail"]


def test_a_broken_stored_template_falls_back_to_the_default(session: Session,
                                                            tenant: Tenant) -> None:
    session.add(NotificationTemplate(tenant_id=tenant.id, event_key="billing.invoice_issued",
                                     subject="{{ invoice.number | nosuchfilter }}",
                                     body_text="x"))
    session.flush()
    delivery = service.send(session, tenant.id, "billing.invoice_issued", "a@example.com",
                            INVOICE)
    assert delivery.subject == "Invoice INV-7 from Lagos Fibre"
    assert delivery.template_source == "default" and "tenant template failed" in delivery.error


def test_send_refuses_unknown_events_and_bad_addresses(session: Session, tenant: Tenant) -> None:
    with pytest.raises(ValidationFailed, match="unknown notification event"):
        service.send(session, tenant.id, "billing.nope", "a@example.com", {})
    with pytest.raises(ValidationFailed, match="not an email address"):
        service.send(session, tenant.id, "billing.invoice_issued", "not-an-address", INVOICE)


def test_only_tenant_writers_change_templates(client: TestClient, session: Session,
                                             settings, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, settings, tenant, "support")
    assert client.get(T, headers=agent.headers).status_code == 200
    denied = client.post(T, headers=agent.headers, json={
        "event_key": "billing.invoice_issued", "subject": "x", "body_text": "y"})
    assert denied.status_code == 403
