"""The hotspot API as staff and their tools use it, on both databases."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot.models import Voucher
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.types import utcnow
from tests.support.factories import StaffUser, make_user

PLAN = {"name": "Day pass", "price": "2.50", "time_allowance_seconds": 3600,
        "data_allowance_bytes": 2_000_000_000, "validity_seconds": 86400,
        "download_kbps": 4000, "upload_kbps": 1000, "devices": 2}


def _plan(client: TestClient, admin: StaffUser, **overrides: object) -> dict[str, object]:
    response = client.post("/api/v1/hotspot/plans", json={**PLAN, **overrides},
                           headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _batch(client: TestClient, admin: StaffUser, plan_id: object, count: int) -> dict[str, str]:
    response = client.post("/api/v1/hotspot/batches", json={
        "plan_id": plan_id, "count": count, "name": "Cafe"}, headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_plan_is_priced_in_the_tenants_currency_and_bad_ones_are_refused(
        client: TestClient, admin: StaffUser) -> None:
    plan = _plan(client, admin)
    assert (plan["price"], plan["currency"], plan["devices"]) == ("2.50", "USD", 2)
    endless = client.post("/api/v1/hotspot/plans", json={
        "name": "Forever", "price": "1.00"}, headers=admin.headers)
    assert endless.status_code == 422
    assert "would never run out" in endless.text
    float_price = client.post("/api/v1/hotspot/plans", json={**PLAN, "name": "F",
                                                              "price": 2.5},
                              headers=admin.headers)
    assert float_price.status_code == 422
    again = client.post("/api/v1/hotspot/plans", json=PLAN, headers=admin.headers)
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    half_speed = client.patch(f"/api/v1/hotspot/plans/{plan['id']}",
                              json={"upload_kbps": None}, headers=admin.headers)
    assert half_speed.status_code == 422 and "download_kbps" in half_speed.text


def test_vouchers_list_by_state_page_by_key_and_sell_and_revoke(
        client: TestClient, admin: StaffUser, session: Session) -> None:
    plan = _plan(client, admin)
    batch = _batch(client, admin, plan["id"], 5)
    page = client.get("/api/v1/hotspot/vouchers?limit=2", headers=admin.headers).json()
    assert len(page["items"]) == 2 and page["total"] is None and page["has_more"]
    seen = {v["id"] for v in page["items"]}
    while page["next_cursor"]:
        page = client.get(f"/api/v1/hotspot/vouchers?limit=2&cursor={page['next_cursor']}",
                          headers=admin.headers).json()
        seen |= {v["id"] for v in page["items"]}
    assert len(seen) == 5
    every = client.get(f"/api/v1/hotspot/vouchers?batch_id={batch['id']}",
                       headers=admin.headers).json()["items"]
    first, second, third = every[0], every[1], every[2]
    # one ran out of validity (the job has not marked it yet), one is revoked
    session.execute(update(Voucher).where(Voucher.id == uuid.UUID(first["id"])).values(
        state="active", activated_at=utcnow() - timedelta(days=2),
        expires_at=utcnow() - timedelta(days=1)))
    revoked = client.post(f"/api/v1/hotspot/vouchers/{second['id']}/revoke",
                          json={"reason": "lost"}, headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    twice = client.post(f"/api/v1/hotspot/vouchers/{second['id']}/revoke", json={},
                        headers=admin.headers)
    assert twice.status_code == 409
    states = {s: [v["id"] for v in client.get(f"/api/v1/hotspot/vouchers?state={s}",
                                              headers=admin.headers).json()["items"]]
              for s in ("expired", "revoked", "unused", "active")}
    assert states["expired"] == [first["id"]] and states["revoked"] == [second["id"]]
    assert len(states["unused"]) == 3 and states["active"] == []
    assert client.get(f"/api/v1/hotspot/vouchers/{first['id']}",
                      headers=admin.headers).json()["state"] == "expired"
    sold = client.post(f"/api/v1/hotspot/vouchers/{third['id']}/sell",
                       json={"sold_to": "Front desk"}, headers=admin.headers)
    assert sold.status_code == 200 and sold.json()["sold_to"] == "Front desk"
    other = client.post(f"/api/v1/hotspot/vouchers/{third['id']}/sell",
                        json={"sold_to": "Someone else"}, headers=admin.headers)
    assert other.status_code == 409 and "Front desk" in other.json()["detail"]
    client.post(f"/api/v1/hotspot/batches/{batch['id']}/sell", json={"sold_to": "Kiosk 4"},
                headers=admin.headers)
    by_buyer = client.get("/api/v1/hotspot/vouchers?sold_to=kiosk",
                          headers=admin.headers).json()["items"]
    # the revoked one and the one sold already keep what they had
    assert len(by_buyer) == 3
    bad = client.get("/api/v1/hotspot/vouchers?state=lost", headers=admin.headers)
    assert bad.status_code == 422


def test_batch_csv_and_cards_pdf_carry_every_code(client: TestClient,
                                                  admin: StaffUser) -> None:
    plan = _plan(client, admin)
    batch = _batch(client, admin, plan["id"], 12)
    codes = [v["code"] for v in client.get(
        f"/api/v1/hotspot/vouchers?batch_id={batch['id']}", headers=admin.headers
    ).json()["items"]]
    csv = client.get(f"/api/v1/hotspot/batches/{batch['id']}/vouchers.csv",
                     headers=admin.headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "code,plan,price,state,sold_to,activated_at,expires_at"
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(codes)
    assert all(",Day pass,2.50 USD,unused," in line for line in lines[1:])
    pdf = client.get(f"/api/v1/hotspot/batches/{batch['id']}/cards.pdf",
                     headers=admin.headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert all(code in text for code in codes)
    assert "Day pass" in text and "2.50 USD" in text and "Tenant A Fibre" in text


def test_read_only_staff_read_but_cannot_make_vouchers(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    plan = _plan(client, admin)
    reader = make_user(session, settings, tenant, "read_only")
    assert client.get("/api/v1/hotspot/plans", headers=reader.headers).status_code == 200
    refused = client.post("/api/v1/hotspot/batches", json={"plan_id": plan["id"], "count": 1},
                          headers=reader.headers)
    assert refused.status_code == 403 and "hotspot:write" in refused.text


def pdf_text(content: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cards.pdf"
        path.write_bytes(content)
        try:
            done = subprocess.run(["pdftotext", "-layout", str(path), "-"],
                                  capture_output=True, text=True, check=True, timeout=60)
        except FileNotFoundError:
            pytest.skip("pdftotext is not installed (Debian package poppler-utils)")
        return done.stdout
