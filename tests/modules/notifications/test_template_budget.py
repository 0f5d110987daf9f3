"""Tenant templates render on a budget: loops, calls and built text are counted and capped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.notifications import rendering, service
from dotmac_isp.modules.notifications.models import NotificationTemplate
from tests.support.factories import StaffUser

T = "/api/v1/notifications/templates"
LOOP = "{% for i in 'x' * 10000 %}"
THREE_LOOPS = LOOP * 3 + "{% endfor %}" * 3
BIG = "{% set a = 'x' * 10000 %}{% set a = a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a ~ a %}"
INVOICE = {"tenant": {"name": "Lagos Fibre"}, "customer": {"name": "Ada Obi"},
           "invoice": {"number": "INV-7", "total": "29.99", "currency": "NGN",
                       "issue_date": "2026-11-01", "due_date": "2026-11-15", "url": ""}}

OVER_BUDGET = [
    (THREE_LOOPS, "steps"),
    (LOOP * 2 + "{{ i }}" + "{% endfor %}" * 2, "steps"),
    ("{% macro m(n) %}{{ m(n) }}{{ m(n) }}{% endmacro %}{{ m(1) }}", "recursion"),
    (BIG + "{% set a = a ~ a ~ a %}{{ a|length }}", "longer than 200000"),
    (BIG + "{% set a = a + a + a %}{{ a|length }}", "longer than 200000"),
    (BIG + "{{ a|replace('x', a)|length }}", "longer than 200000"),
    ("{{ 'x'.center(999999999) }}", "longer than 200000"),
    ("{{ 'x'|center(999999999) }}", "longer than 200000"),
    ("{{ '%0999999999d' % 1 }}", "format widths"),
    ("{{ '{:>999999999}'.format(1) }}", "format widths"),
    (BIG + "{% set l = [a, a, a, a] %}{{ l ~ '' }}", "longer than 200000"),
    ("{{ ((10 ** 64) ** 64) ** 64 }}", "4096 bits"),
    (BIG + "{% set b %}" + LOOP + "{{ a }}{% endfor %}{% endset %}{{ b|length }}",
     "builds more than"),
    ("{% set b %}" + LOOP + "y" * 5000 + "{% endfor %}{% endset %}{{ b|length }}",
     "builds more than"),
    ("{% for x in [1] recursive %}{{ loop(x) }}{% endfor %}", "recursive loops"),
    ("{{ [1]|batch(999999999, 'x')|list }}", "batch"),
    ("{{ invoice.number.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    ("{{ [1].append(2) }}", "unsafe"),
]


@pytest.mark.parametrize(("source", "says"), OVER_BUDGET)
def test_preview_stops_a_template_past_its_budget(client: TestClient, admin: StaffUser,
                                                  source: str, says: str) -> None:
    response = client.post(f"{T}/preview", headers=admin.headers, json={
        "event_key": "billing.invoice_issued", "body_text": source})
    assert response.status_code == 422, response.text
    assert "does not render" in response.json()["detail"]
    assert says in response.json()["detail"]


def test_saving_an_over_budget_template_is_refused(client: TestClient,
                                                  admin: StaffUser) -> None:
    made = client.post(T, headers=admin.headers, json={
        "event_key": "billing.invoice_issued", "subject": "Invoice", "body_text": THREE_LOOPS})
    assert made.status_code == 422 and "steps" in made.json()["detail"]
    ok = client.post(T, headers=admin.headers, json={
        "event_key": "billing.invoice_issued", "subject": "Invoice",
        "body_text": "{% for c in customer.name %}{{ c }}{% endfor %}"})
    assert ok.status_code == 201, ok.text
    changed = client.patch(f"{T}/{ok.json()['id']}", headers=admin.headers,
                           json={"body_html": "<p>" + THREE_LOOPS + "</p>"})
    assert changed.status_code == 422 and "steps" in changed.json()["detail"]
    kept = client.get(f"{T}/{ok.json()['id']}", headers=admin.headers).json()
    assert kept["body_html"] is None


def test_sending_an_over_budget_stored_template_sends_the_default(session: Session,
                                                                 tenant: Tenant) -> None:
    session.add(NotificationTemplate(tenant_id=tenant.id, event_key="billing.invoice_issued",
                                     subject="Invoice", body_text=THREE_LOOPS))
    session.flush()
    delivery = service.send(session, tenant.id, "billing.invoice_issued", "a@example.com",
                            INVOICE)
    assert delivery.template_source == "default"
    assert delivery.subject == "Invoice INV-7 from Lagos Fibre"
    assert "steps" in delivery.error


def test_ordinary_templates_still_render() -> None:
    rendered = rendering.render(
        "{{ invoice.number ~ '!' }}",
        "{% for c in customer.name.split(' ') %}{{ loop.index }}={{ c|upper }} {% endfor %}"
        "{{ '%05.1f'|format(3.14159) }} {{ '{:,}'.format(1234567) }} "
        "{{ ['a', 'b']|join(', ') }} {{ 'x' * 3 }} {{ 2 ** 10 }}",
        "<b>{{ customer.name }}</b>", INVOICE)
    assert rendered.subject == "INV-7!"
    assert rendered.text == "1=ADA 2=OBI 003.1 1,234,567 a, b xxx 1024"
    assert rendered.html == "<b>Ada Obi</b>"
