"""Terminating from the page: the confirmation shows the credit before it is confirmed, for
the date typed (the first day not used, in the ISP's time zone), and it is the credit the
termination then gives."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services.enums import SubscriptionStatus as S
from tests.modules.billing.helpers import money, world
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import sign_in


def test_terminate_confirmation_shows_the_credit_the_termination_gives(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant) -> None:
    tenant.timezone = "America/New_York"  # midnight of the 10th there is 04:00 UTC
    w = world(session, settings, tenant)  # 30.00 monthly, billing day 1, prepaid
    sub = w.subscribe(date(2026, 4, 1))  # April billed: 30.00
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/subscriptions/{sub.id}/confirm",
                      params={"action": "terminate", "effective_date": "2026-04-10"})
    assert page.status_code == 200
    shown = visible(page.text)
    assert "terminating on the 10th credits the 10th onwards" in shown
    # 10 - 30 April unused: 21 of 30 days -> 30 x 21/30
    assert "Credit for unused service from 10 Apr 2026: 21.00 USD" in shown
    assert "Confirm: Terminate as of 10 Apr 2026" in shown
    assert w.credit_notes() == []  # a preview writes nothing
    w.move(sub, S.TERMINATED, date(2026, 4, 10))
    assert w.credit_notes() == [money("21.00")]
    after = client.get(f"/admin/subscriptions/{sub.id}/confirm",
                       params={"action": "terminate", "effective_date": "2026-05-02"})
    assert "No credit: nothing billed from 02 May 2026 on." in visible(after.text)
