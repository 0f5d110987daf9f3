"""Staff hotspot pages and the captive portal over HTTP, on both databases."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot import schemas, service, sites
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.pagination import PageParams
from tests.modules.hotspot.support import make_batch, make_voucher_plan
from tests.support.factories import StaffUser, make_user
from tests.web.form_support import assert_beside
from tests.web.test_admin_pages import csrf_of, sign_in


def test_a_plan_form_shows_each_error_beside_its_field_then_generates_a_batch(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/hotspot")
    assert page.status_code == 200 and "No voucher plans yet." in page.text
    bad = client.post("/admin/hotspot/plans", data={
        "csrf_token": csrf_of(page.text), "name": "Hour", "price": "1,5",
        "time_allowance_seconds": "sixty", "devices": "1"})
    assert_beside(bad, {"price": "Price", "time_allowance_seconds": "Time (minutes)"})
    assert service.list_plans(session, tenant.id, PageParams(limit=50)).items == []
    made = client.post("/admin/hotspot/plans", data={
        "csrf_token": csrf_of(page.text), "name": "Hour", "price": "1.50",
        "time_allowance_seconds": "60", "validity_seconds": "24", "download_kbps": "2000",
        "upload_kbps": "500", "devices": "1"}, follow_redirects=False)
    assert made.status_code == 303, made.text[:500]
    [plan] = service.list_plans(session, tenant.id, PageParams(limit=50)).items
    assert (plan.time_allowance_seconds, plan.validity_seconds) == (3600, 86_400)
    overview = client.get("/admin/hotspot")
    generated = client.post("/admin/hotspot/batches", data={
        "csrf_token": csrf_of(overview.text), "plan_id": str(plan.id), "count": "4",
        "name": "Lobby"}, follow_redirects=False)
    assert generated.status_code == 303
    batch_page = client.get(generated.headers["location"])
    assert "4 vouchers of" in batch_page.text and "Print cards (PDF)" in batch_page.text
    codes = re.findall(r"<code>([A-Z0-9]{10})</code>", batch_page.text)
    assert len(codes) == 4
    listed = client.get("/admin/hotspot/vouchers?state=unused")
    assert all(code in listed.text for code in codes)
    assert client.get(f"{generated.headers['location']}/cards.pdf").content.startswith(b"%PDF")


def test_revoke_from_the_voucher_page_and_read_only_staff_see_no_actions(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, other_admin: StaffUser) -> None:
    batch = make_batch(session, tenant, make_voucher_plan(session, tenant), 1)
    [voucher] = service.batch_vouchers(session, tenant.id, batch.id)
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/hotspot/vouchers/{voucher.id}")
    assert "Not used yet." in page.text and 'data-action="revoke"' in page.text
    client.post(f"/admin/hotspot/vouchers/{voucher.id}/revoke", data={
        "csrf_token": csrf_of(page.text), "reason": "lost card"})
    after = client.get(f"/admin/hotspot/vouchers/{voucher.id}")
    assert 'data-status="revoked"' in after.text and "lost card" in after.text
    reader = make_user(session, settings, tenant, "read_only")
    client.post("/admin/logout", data={"csrf_token": csrf_of(after.text)})
    sign_in(client, reader.user.email, reader.password)
    seen = client.get(f"/admin/hotspot/batches/{batch.id}")
    assert seen.status_code == 200 and "Mark sold" not in seen.text
    client.post("/admin/logout", data={"csrf_token": csrf_of(seen.text)})
    sign_in(client, other_admin.user.email, other_admin.password)
    assert client.get(f"/admin/hotspot/vouchers/{voucher.id}").status_code == 404
    assert client.get(f"/admin/hotspot/batches/{batch.id}/cards.pdf").status_code == 404


def test_the_captive_portal_posts_only_to_the_hotspots_router(
        client: TestClient, session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    site = sites.create_site(session, tenant.id, schemas.SiteCreate(
        name="Lobby", title="Lobby Wi-Fi", terms="Be nice.", primary_color="#aa3300"))
    base = f"/hotspot/{tenant.slug}/{site.id}/login"
    page = client.get(f"{base}?link-login-only=http://10.5.50.1/login&link-orig="
                      f"http://example.org/&mac=AA:BB:CC:00:00:01&error=voucher+used+up")
    assert page.status_code == 200
    assert 'action="http://10.5.50.1/login"' in page.text
    assert "Lobby Wi-Fi" in page.text and "Tenant A Fibre" in page.text
    assert "voucher used up" in page.text and "#aa3300" in page.text
    assert "form-action 'self' http://10.5.50.1" in page.headers["content-security-policy"]
    assert "Buy a voucher" not in page.text  # no online gateway
    # a crafted link sending codes elsewhere is refused
    phished = client.get(f"{base}?link-login-only=https://evil.example/steal")
    assert phished.status_code == 400 and "evil.example" not in phished.text
    assert "form-action 'self';" in phished.headers["content-security-policy"]
    # the default site works without any site configured
    default = client.get(f"/hotspot/{other_tenant.slug}/default/login"
                         "?link-login-only=http://192.168.88.1/login")
    assert default.status_code == 200 and "Tenant B Wireless" in default.text
    # another tenant's site is not reachable under this tenant's address
    assert client.get(f"/hotspot/{other_tenant.slug}/{site.id}/login").status_code == 404
    external = sites.create_site(session, tenant.id, schemas.SiteCreate(
        name="Mall", flow="external", login_url="https://nas.example.net/login"))  # type: ignore[arg-type]
    fixed = client.get(f"/hotspot/{tenant.slug}/{external.id}/login"
                       "?link-login-only=http://10.0.0.1/login")
    assert 'action="https://nas.example.net/login"' in fixed.text
    plans = client.get(f"/hotspot/{tenant.slug}/{site.id}/buy")
    assert plans.status_code == 200
