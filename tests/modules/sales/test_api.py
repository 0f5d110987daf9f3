"""The sales API: a lead's coverage from the map's areas (or why there is none), placing it
with the geocoder, the CSV import with an error per line, quotes built and sent, and the
conversion refused until a quote is accepted."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.map import schemas as map_schemas
from dotmac_isp.modules.map import tenant_settings as map_settings
from tests.modules.map.helpers import make_area, polygon, square
from tests.modules.sales.factories import make_lead, set_vat
from tests.support.customers import make_plan
from tests.support.factories import StaffUser
from tests.support.nominatim_stand_in import nominatim_stand_in

S = "/api/v1/sales"


def test_coverage_at_the_lead_and_the_geocoder(client: TestClient, admin: StaffUser,
                                               session: Session, tenant: Tenant) -> None:
    fibre = make_plan(session, tenant, name="Fibre 100")
    make_area(session, tenant, polygon(square(3.40, 6.40, 0.2)), name="Lekki fibre",
              plan_ids=[fibre.id])
    inside = make_lead(session, tenant, latitude="6.450000", longitude="3.470000")
    answer = client.get(f"{S}/leads/{inside.id}/coverage", headers=admin.headers).json()
    assert answer["located"] and answer["coverage"]["covered"]
    assert [p["name"] for p in answer["coverage"]["plans"]] == ["Fibre 100"]
    assert answer["message"] == "served by Lekki fibre POP"
    outside = make_lead(session, tenant, latitude="9.000000", longitude="7.000000")
    far = client.get(f"{S}/leads/{outside.id}/coverage", headers=admin.headers).json()
    assert far["located"] and not far["coverage"]["covered"]

    nowhere = make_lead(session, tenant, address_line1="14 Admiralty Way", city="Lagos")
    said = client.get(f"{S}/leads/{nowhere.id}/coverage", headers=admin.headers).json()
    assert not said["located"] and "no geocoder is configured" in said["message"]
    refused = client.post(f"{S}/leads/{nowhere.id}/locate", headers=admin.headers)
    assert refused.status_code == 422 and "no geocoder" in refused.json()["detail"]
    with nominatim_stand_in({"14 Admiralty Way": ("6.4478", "3.4723")}) as geocoder:
        map_settings.save_settings(session, tenant.id, map_schemas.MapSettingsIn(
            geocoder_url=geocoder.url, geocoder_user_agent="dotmac-test"))
        placed = client.post(f"{S}/leads/{nowhere.id}/locate", headers=admin.headers)
        assert placed.status_code == 200, placed.text
        assert placed.json()["latitude"] == "6.447800"
        assert geocoder.requests[0][0] == "14 Admiralty Way, Lagos, NG"
    now = client.get(f"{S}/leads/{nowhere.id}/coverage", headers=admin.headers).json()
    assert now["coverage"]["covered"]


def test_csv_import_reports_each_line(client: TestClient, admin: StaffUser,
                                      session: Session, tenant: Tenant) -> None:
    csv = ("name,email,phone,address_line1,city,follow_up_date,owner_email\n"
           "Ada Obi,ada@example.com,0803 555 0101,1 Marina,Lagos,2030-01-05,\n"
           ",nobody@example.com,,,,,\n"
           "Tunde,not-an-email,,,,,\n"
           "Kemi,kemi@example.com,,,,05/01/2030,\n"
           "Bola,bola@example.com,,,,,ghost@example.com\n")
    dry = client.post(f"{S}/leads/import?dry_run=true", headers={
        **admin.headers, "Content-Type": "text/csv"}, content=csv).json()
    assert (dry["ok"], dry["failed"], dry["created"]) == (1, 4, 0)
    by_line = {r["line"]: r for r in dry["lines"]}
    assert "name" in by_line[3]["messages"][0]
    assert any("email" in m for m in by_line[4]["messages"])
    assert "follow_up_date" in by_line[5]["messages"][0]
    assert "no staff user ghost@example.com" in by_line[6]["messages"][0]
    assert client.get(f"{S}/leads", headers=admin.headers).json()["items"] == []
    stored = client.post(f"{S}/leads/import", headers={
        **admin.headers, "Content-Type": "text/csv"}, content=csv).json()
    assert stored["created"] == 1
    again = client.post(f"{S}/leads/import", headers={
        **admin.headers, "Content-Type": "text/csv"}, content=csv).json()
    assert (again["created"], again["duplicates"]) == (0, 1)
    listed = client.get(f"{S}/leads", headers=admin.headers).json()["items"]
    assert [(x["name"], x["source"], x["follow_up_date"]) for x in listed] == [
        ("Ada Obi", "import", "2030-01-05")]


def test_quote_through_the_api(client: TestClient, admin: StaffUser, session: Session,
                               tenant: Tenant) -> None:
    set_vat(session, tenant, "7.5")
    plan = make_plan(session, tenant, price=Decimal("29.99"))
    lead = make_lead(session, tenant)
    made = client.post(f"{S}/quotes", headers=admin.headers, json={
        "lead_id": str(lead.id), "lines": [{"kind": "plan", "plan_id": str(plan.id)}]})
    assert made.status_code == 201, made.text
    quote = made.json()
    assert (quote["number"], quote["monthly_total"]) == ("Q000001", "32.24")
    bad = client.post(f"{S}/quotes/{quote['id']}/lines", headers=admin.headers,
                      json={"kind": "equipment", "description": "Router"})
    assert bad.status_code == 422 and "unit_price" in bad.text
    added = client.post(f"{S}/quotes/{quote['id']}/lines", headers=admin.headers, json={
        "kind": "equipment", "description": "Router", "unit_price": "24.99",
        "quantity": 2}).json()
    assert (added["one_off_subtotal"], added["one_off_tax"], added["one_off_total"]) == (
        "49.98", "3.75", "53.73")
    premature = client.post(f"{S}/leads/{lead.id}/convert", headers=admin.headers)
    assert premature.status_code == 422 and "no accepted quote" in premature.text
    sent = client.post(f"{S}/quotes/{quote['id']}/send", headers=admin.headers)
    assert sent.status_code == 200, sent.text
    assert "/quote/" in sent.json()["link"] and sent.json()["quote"]["status"] == "sent"
    pdf = client.get(f"{S}/quotes/{quote['id']}/pdf", headers=admin.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    lead_now = client.get(f"{S}/leads/{lead.id}", headers=admin.headers).json()
    assert lead_now["stage"] == "quoted"
    moved = client.post(f"{S}/leads/{lead.id}/stage", headers=admin.headers,
                        json={"stage": "lost"})
    assert moved.status_code == 422 and "lost_reason" in moved.json()["detail"]
