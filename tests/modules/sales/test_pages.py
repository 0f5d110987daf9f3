"""Staff sales pages: a new lead with errors beside the fields, the board moving a card
with HTMX, lost refused without a reason beside its field, a quote built on its page, the
public quote page accepting with errors beside the fields first; another tenant's lead and
quote pages and every form on them answer 404 and change nothing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import leads, quotes
from tests.modules.sales.factories import make_lead, make_quote, sent_quote
from tests.support.customers import make_plan
from tests.support.factories import StaffUser, make_user
from tests.web.test_admin_pages import csrf_of, sign_in

A = "/admin/sales"


def _post(client: TestClient, url: str, page: str, data: dict[str, str], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_of(client.get(page).text), **data},
                       headers=headers, follow_redirects=False)


def test_new_lead_board_and_moves(client: TestClient, admin: StaffUser, session: Session,
                                  tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    bad = _post(client, f"{A}/leads/new", f"{A}/leads/new",
                {"name": "Ada Obi", "email": "not-mail", "latitude": "6.5"})
    assert bad.status_code == 422
    assert 'data-error-for="email"' in bad.text and 'value="Ada Obi"' in bad.text
    made = _post(client, f"{A}/leads/new", f"{A}/leads/new", {
        "name": "Ada Obi", "email": "ada@example.com", "address_line1": "1 Marina",
        "city": "Lagos", "follow_up_date": "2020-01-01"})
    assert made.status_code == 303
    page = client.get(made.headers["location"]).text
    assert "L000001 Ada Obi" in page and 'data-due="1"' in page
    assert "no geocoder is configured" in page
    listing = client.get(f"{A}/leads", params={"due": "1"}).text
    assert 'data-lead="L000001"' in listing
    assert 'data-lead="L000001"' not in client.get(f"{A}/leads", params={"stage": "won"}).text

    lead_id = made.headers["location"].rsplit("/", 1)[1]
    board = client.get(f"{A}/board").text
    assert re.search(r'data-column="new".*data-card="L000001"', board, re.S)
    moved = _post(client, f"{A}/leads/{lead_id}/move", f"{A}/board",
                  {"stage": "contacted", "back": "board"}, **{"HX-Request": "true"})
    assert moved.status_code == 200 and 'id="board"' in moved.text
    assert re.search(r'data-column="contacted".*data-card="L000001"', moved.text, re.S)
    lost = _post(client, f"{A}/leads/{lead_id}/move", f"{A}/leads/{lead_id}",
                 {"stage": "lost", "lost_reason": ""})
    assert lost.status_code == 422
    assert re.search(r'data-error-for="lost_reason"[^>]*>Lost reason: say why', lost.text)
    note = _post(client, f"{A}/leads/{lead_id}/notes", f"{A}/leads/{lead_id}",
                 {"body": "Called; wants a site survey"})
    assert note.status_code == 303
    assert "Called; wants a site survey" in client.get(f"{A}/leads/{lead_id}").text


def test_quote_page_and_public_acceptance(client: TestClient, admin: StaffUser,
                                          session: Session, settings: Settings,
                                          tenant: Tenant) -> None:
    plan = make_plan(session, tenant, name="Fibre 100")
    lead = make_lead(session, tenant)
    sign_in(client, admin.user.email, admin.password)
    started = _post(client, f"{A}/leads/{lead.id}/quotes", f"{A}/leads/{lead.id}",
                    {"plan_id": str(plan.id)})
    assert started.status_code == 303
    url = started.headers["location"]
    bad = _post(client, f"{url}/lines", url, {"kind": "equipment", "description": "Router",
                                               "quantity": "1"})
    assert bad.status_code == 422 and 'data-error-for="unit_price"' in bad.text
    added = _post(client, f"{url}/lines", url, {"kind": "equipment", "description": "Router",
                                                 "quantity": "2", "unit_price": "24.99"})
    assert added.status_code == 303
    assert _post(client, f"{url}/send", url, {}).status_code == 303
    quote = quotes.get_quote(session, tenant.id, quotes.quotes_of_lead(
        session, tenant.id, lead.id)[0].id)
    assert quote.status == "sent"
    _q, token = sent_quote(session, settings, tenant, lead=make_lead(session, tenant))
    client.cookies.clear()  # the prospect is not signed in
    public = client.get(f"/quote/{token}")
    assert public.status_code == 200 and 'data-testid="accept-form"' in public.text
    unsigned = client.post(f"/quote/{token}/accept", data={"name": " "},
                           follow_redirects=False)
    assert unsigned.status_code == 422
    assert 'data-error-for="name"' in unsigned.text and 'data-error-for="terms"' in unsigned.text
    signed = client.post(f"/quote/{token}/accept", data={"name": "Kemi Bello", "terms": "1"},
                         follow_redirects=False)
    assert signed.status_code == 303
    assert "Accepted by Kemi Bello" in client.get(f"/quote/{token}").text
    again = client.post(f"/quote/{token}/accept", data={"name": "Kemi Bello", "terms": "1"})
    assert again.status_code == 422 and "accepted already" in again.text
    assert client.get("/quote/not-a-token").status_code == 404


def test_another_tenants_pages_are_not_found(client: TestClient, session: Session,
                                             settings: Settings, tenant: Tenant,
                                             other_tenant: Tenant) -> None:
    theirs = make_lead(session, other_tenant, name="Their Prospect")
    their_quote = make_quote(session, other_tenant, lead=theirs)
    line = quotes.lines_of(session, other_tenant.id, their_quote.id)[0]
    seller = make_user(session, settings, tenant, "sales")
    sign_in(client, seller.user.email, seller.password)
    mine = f"{A}/leads"
    for url in (f"{A}/leads/{theirs.id}", f"{A}/quotes/{their_quote.id}",
                f"{A}/quotes/{their_quote.id}/pdf"):
        assert client.get(url).status_code == 404, url
    forms = {f"{A}/leads/{theirs.id}": {"name": "Hijacked", "phone": "1"},
             f"{A}/leads/{theirs.id}/move": {"stage": "lost", "lost_reason": "B"},
             f"{A}/leads/{theirs.id}/notes": {"body": "B"},
             f"{A}/leads/{theirs.id}/locate": {}, f"{A}/leads/{theirs.id}/convert": {},
             f"{A}/leads/{theirs.id}/quotes": {},
             f"{A}/quotes/{their_quote.id}": {"notes": "B"},
             f"{A}/quotes/{their_quote.id}/lines": {"kind": "other", "description": "B",
                                                    "unit_price": "1"},
             f"{A}/quotes/{their_quote.id}/lines/{line.id}/remove": {},
             f"{A}/quotes/{their_quote.id}/send": {}}
    for url, data in forms.items():
        assert _post(client, url, mine, data).status_code == 404, url
    assert "Their Prospect" not in client.get(mine).text
    assert "Their Prospect" not in client.get(f"{A}/board").text
    session.expire_all()
    again = leads.get_lead(session, other_tenant.id, theirs.id)
    assert (again.name, again.stage) == ("Their Prospect", "new")
    assert quotes.get_quote(session, other_tenant.id, their_quote.id).status == "draft"
    assert len(quotes.lines_of(session, other_tenant.id, their_quote.id)) == 1
