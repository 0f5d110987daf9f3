"""Plan and add-on pages: create with speeds, cap and RADIUS attributes; every bad field shown
at once by its label; edits change commercial fields only; archiving stops sales while the
plan stays on its subscriptions; another tenant's plans are out of reach."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import catalogue, schemas, service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan, PlanAddon
from dotmac_isp.shared.errors import InvalidState
from dotmac_isp.shared.pagination import PageParams
from tests.support.customers import make_customer, make_plan, make_subscription
from tests.support.factories import StaffUser, make_user
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in

GOOD = {"name": "Fibre 300", "kind": "internet", "billing_cycle": "monthly", "price": "39.90",
        "setup_fee": "", "download_kbps": "300000", "upload_kbps": "100000",
        "data_cap_mb": "500000", "fup_download_kbps": "10000", "fup_upload_kbps": "5000",
        "radius_attributes": "Mikrotik-Address-List = fibre\nSession-Timeout = 86400",
        "interim_interval_seconds": "600"}


def _plans(session: Session, tenant: Tenant) -> list[Plan]:
    session.expire_all()
    return catalogue.list_plans(session, tenant.id, PageParams(limit=50), archived=None).items


def test_new_plan_shows_every_error_at_once_then_creates(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    page = client.get("/admin/plans/new")
    assert page.status_code == 200 and 'data-testid="plan-form"' in page.text
    token = csrf_of(page.text)
    bad = client.post("/admin/plans/new", data={
        **GOOD, "csrf_token": token, "price": "39,90", "download_kbps": "fast",
        "burst_time_seconds": "0", "radius_attributes": "no equals sign", "name": ""})
    assert bad.status_code == 422
    text = visible(bad.text)
    for expected in ("Price: '39,90' is not an amount", "Download (kbit/s): 'fast' is not",
                     "RADIUS attributes: line 1 is not Name = value", "Name: ",
                     "Burst time (seconds): "):
        assert expected in text, expected
    assert 'value="fast"' in bad.text  # kept for correcting
    assert _plans(session, tenant) == []
    ok = client.post("/admin/plans/new", data={**GOOD, "csrf_token": token},
                     follow_redirects=True)
    assert ok.status_code == 200 and "Plan Fibre 300 created." in visible(ok.text)
    (plan,) = _plans(session, tenant)
    assert (plan.price, plan.download_kbps, plan.data_cap_mb, plan.interim_interval_seconds,
            plan.radius_attributes) == (Decimal("39.90"), 300000, 500000, 600,
                                        {"Mikrotik-Address-List": "fibre",
                                         "Session-Timeout": 86400})
    again = client.post("/admin/plans/new", data={**GOOD, "csrf_token": token})
    assert again.status_code == 422 and "already exists" in visible(again.text)
    whole = client.post("/admin/plans/new", data={**GOOD, "csrf_token": token, "name": "X",
                                                  "fup_download_kbps": "400000"})
    assert whole.status_code == 422
    assert "Download after the cap (kbit/s) (speed after the cap) must be below" in \
        visible(whole.text)


def test_edit_changes_commercial_fields_and_archive_stops_sales(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    plan = catalogue.create_plan(session, tenant.id, schemas.PlanCreate(
        name="Basic", price=Decimal("20"), download_kbps=10000, upload_kbps=2000))
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/plans/{plan.id}/edit")
    assert page.status_code == 200 and 'data-testid="plan-fixed"' in page.text
    token = csrf_of(page.text)
    bad = client.post(f"/admin/plans/{plan.id}/edit", data={
        "csrf_token": token, "name": "", "price": "-1", "min_contract_months": "x"})
    assert bad.status_code == 422
    text = visible(bad.text)
    assert "Name: required" in text and "Price: " in text and \
        "Minimum contract (months): 'x' is not a whole number" in text
    session.expire_all()
    assert catalogue.get_plan(session, tenant.id, plan.id).name == "Basic"
    ok = client.post(f"/admin/plans/{plan.id}/edit", data={
        "csrf_token": token, "name": "Basic 2026", "price": "21.50", "setup_fee": "0",
        "min_contract_months": "12", "interim_interval_seconds": "300"},
        follow_redirects=False)
    assert ok.status_code == 303
    session.expire_all()
    saved = catalogue.get_plan(session, tenant.id, plan.id)
    assert (saved.name, saved.price, saved.min_contract_months, saved.download_kbps) == \
        ("Basic 2026", Decimal("21.50"), 12, 10000)
    archived = client.post(f"/admin/plans/{plan.id}/archive",
                           data={"csrf_token": token, "archive": "1"}, follow_redirects=False)
    assert archived.status_code == 303
    session.expire_all()
    assert catalogue.list_plans(session, tenant.id, PageParams(limit=10)).items == []


def test_addons_create_edit_archive(client: TestClient, admin: StaffUser,
                                    session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/addons").text)
    bad = client.post("/admin/addons", data={"csrf_token": token, "name": "", "price": "abc"})
    assert bad.status_code == 422
    assert "Name: required" in visible(bad.text) and "Price: 'abc' is not" in visible(bad.text)
    ok = client.post("/admin/addons", data={"csrf_token": token, "name": "Static IP",
                                            "price": "5.00", "recurring": "1",
                                            "plan_kinds": ["internet"]},
                     follow_redirects=False)
    assert ok.status_code == 303
    (addon,) = catalogue.list_addons(session, tenant.id, PageParams(limit=10)).items
    assert (addon.price, addon.recurring, addon.plan_kinds) == (Decimal("5.00"), True,
                                                                ["internet"])
    edit = client.post(f"/admin/addons/{addon.id}/edit",
                       data={"csrf_token": token, "name": "Static IPv4", "price": "6"},
                       follow_redirects=False)
    assert edit.status_code == 303
    client.post(f"/admin/addons/{addon.id}/archive", data={"csrf_token": token, "archive": "1"})
    session.expire_all()
    row = session.get(PlanAddon, addon.id)
    assert row is not None and (row.name, row.price, row.is_archived) == (
        "Static IPv4", Decimal("6"), True)


def test_other_tenants_plans_and_read_only_staff(
        client: TestClient, admin: StaffUser, other_admin: StaffUser, session: Session,
        settings: Settings, tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = catalogue.create_plan(session, other_tenant.id, schemas.PlanCreate(
        name="Theirs", price=Decimal("9"), download_kbps=1000, upload_kbps=1000))
    their_addon = catalogue.create_addon(session, other_tenant.id, schemas.AddonCreate(
        name="Their add-on", price=Decimal("1")))
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/plans").text)
    assert client.get(f"/admin/plans/{theirs.id}/edit").status_code == 404
    changed = client.post(f"/admin/plans/{theirs.id}/edit", data={
        "csrf_token": token, "name": "Mine now", "price": "1"})
    assert changed.status_code == 404
    assert client.get(f"/admin/addons/{their_addon.id}/edit").status_code == 404
    assert "Their add-on" not in client.get("/admin/addons").text
    session.expire_all()
    assert catalogue.get_plan(session, other_tenant.id, theirs.id).name == "Theirs"
    client.post("/admin/logout", data={"csrf_token": token})
    viewer = make_user(session, settings, tenant, "read_only")
    client.cookies.clear()
    sign_in(client, viewer.user.email, viewer.password)
    assert client.get("/admin/plans/new").status_code == 403
    token = csrf_of(client.get("/admin/addons").text)
    refused = client.post("/admin/addons", data={"csrf_token": token, "name": "Sneaky",
                                                 "price": "1"})
    assert refused.status_code == 403
    assert catalogue.list_addons(session, tenant.id, PageParams(limit=10)).items == []


def test_archived_plan_stays_on_its_subscriptions_but_is_not_sold(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    plan = make_plan(session, tenant, name="Legacy 50")
    customer = make_customer(session, tenant)
    sub = make_subscription(session, settings, tenant, customer=customer, plan=plan,
                            status=SubscriptionStatus.ACTIVE)
    sign_in(client, admin.user.email, admin.password)
    token = csrf_of(client.get("/admin/plans").text)
    assert client.post(f"/admin/plans/{plan.id}/archive", data={
        "csrf_token": token, "archive": "1"}, follow_redirects=False).status_code == 303
    session.expire_all()
    kept = service.get_subscription(session, tenant.id, sub.id)
    assert (kept.plan_id, kept.status) == (plan.id, "active")
    with pytest.raises(InvalidState, match="archived"):
        service.create_subscription(session, settings, tenant.id, schemas.SubscriptionCreate(
            customer_id=customer.id, plan_id=plan.id))
