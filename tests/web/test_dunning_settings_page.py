"""The dunning settings page: a stage order that cannot work is refused with a message on
the page; leaving the suspension day empty means never suspend."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.identity.models import Tenant
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in

PAGE = "/admin/billing/dunning"
FORM = {"reminder_days": "3, 7", "final_notice_days": "10", "suspend_after_days": "14",
        "late_fee_kind": "none", "late_fee_amount": "0", "late_fee_after_days": "7",
        "reconnection_fee": "0", "holidays": "", "no_suspend_weekdays": ["5", "6"]}


def test_dunning_page_refuses_a_suspension_before_its_warning_and_saves_never_suspend(
        client: TestClient, admin: StaffUser, session: Session, tenant: Tenant) -> None:
    sign_in(client, admin.user.email, admin.password)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="dunning-form"' in page.text
    token = csrf_of(page.text)
    refused = client.post(PAGE, data={**FORM, "csrf_token": token, "suspend_after_days": "5"})
    assert refused.status_code == 422
    assert ("the final notice (day 10) warns of the suspension, so it must come before it "
            "(day 5)") in visible(refused.text)
    assert 'value="5"' in refused.text  # what was typed is kept for correcting
    assert setup.billing_settings(session, tenant.id).dunning["suspend_after_days"] == 14
    bad_number = client.post(PAGE, data={**FORM, "csrf_token": token,
                                         "final_notice_days": "ten"})
    assert bad_number.status_code == 422 and "final_notice_days" in visible(bad_number.text)
    saved = client.post(PAGE, data={**FORM, "csrf_token": token, "suspend_after_days": ""},
                        follow_redirects=True)
    assert saved.status_code == 200 and "Dunning settings saved." in visible(saved.text)
    session.expire_all()
    stored = setup.billing_settings(session, tenant.id).dunning
    assert (stored["suspend_after_days"], stored["reminder_days"],
            stored["no_suspend_weekdays"]) == (None, [3, 7], [5, 6])
