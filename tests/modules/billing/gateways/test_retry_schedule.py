"""A tenant's own autopay retry schedule: typed on the payments settings page as days after
the due date ("0,1"), each mistake shown beside the field and nothing saved; empty falls back
to the installation's DOTMAC_PAYMENTS__AUTOPAY_RETRY_DAYS; the autopay job follows it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from dotmac_isp.modules.billing.gateways import autopay, retry_schedule
from dotmac_isp.modules.identity.models import AuditLog
from dotmac_isp.shared.errors import ValidationFailed
from tests.conftest import RollbackDatabase
from tests.modules.billing.gateways.test_autopay_retries import REASON, _run, _text
from tests.modules.billing.gateways.test_autopay_retries import _declining as declining
from tests.modules.billing.gateways.world import Shop
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of, sign_in

PAGE = "/admin/settings/payments"
LABEL = "Autopay attempts (days after the due date)"


@pytest.mark.parametrize(("typed", "message"), [
    ("0,3,x", "'x' is not a whole number of days"),
    ("0;3", "'0;3' is not a whole number of days"),
    ("0,,3", "days separated by commas"),
    ("0,-1", "0 or more"),
    ("-2", "0 or more"),
    ("3,1", "each day must be later than the one before"),
    ("0,3,3", "each day must be later than the one before"),
    ("0,1,2,3,4,5,6,7,8,9,10", "at most 10 attempts"),
    ("0,400", "at most 365 days"),
    ("1.5", "'1.5' is not a whole number of days"),
])
def test_a_schedule_that_is_not_ascending_whole_days_is_refused(typed: str,
                                                                message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        retry_schedule.parse_retry_days(typed)
    assert message in refused.value.detail
    assert refused.value.extra == {"field": "autopay_retry_days"}


@pytest.mark.parametrize(("typed", "days"), [
    ("0,3,7", [0, 3, 7]), (" 1 , 2 ", [1, 2]), ("5", [5]), ("", None), ("  ", None),
    ("0,1,2,3,4,5,6,7,8,9", list(range(10))),
])
def test_a_schedule_is_read_as_days(typed: str, days: list[int] | None) -> None:
    assert retry_schedule.parse_retry_days(typed) == days


@pytest.fixture
def staff(shop: Shop, admin: StaffUser) -> Iterator[TestClient]:
    with TestClient(shop.app, raise_server_exceptions=False) as client:
        assert sign_in(client, admin.user.email, admin.password).status_code == 303
        yield client


def _save(staff: TestClient, typed: str) -> tuple[int, str]:
    page = staff.get(PAGE)
    assert page.status_code == 200
    answer = staff.post(f"{PAGE}/autopay", data={"csrf_token": csrf_of(page.text),
                                                 "autopay_retry_days": typed})
    return answer.status_code, answer.text


def test_the_settings_page_keeps_the_schedule_and_shows_mistakes_beside_it(
        shop: Shop, staff: TestClient) -> None:
    page = staff.get(PAGE).text
    assert 'id="autopay_retry_days"' in page and "installation's schedule (0,3,7)" in page

    status, html = _save(staff, "0,5,3")
    assert status == 422
    beside = html.split('id="autopay_retry_days"', 1)[1].split("</form>", 1)[0]
    assert 'data-error-for="autopay_retry_days"' in beside
    assert (f"{LABEL}: each day must be later than the one before, such as 0,3,7"
            in visible(beside))
    assert 'value="0,5,3"' in html  # as typed, to correct
    assert retry_schedule.tenant_retry_days(shop.session, shop.tenant.id) is None

    status, html = _save(staff, "0, 1")
    assert status == 200
    assert "Autopay tries due invoices on days 0 and 1 after the due date." in visible(html)
    assert 'value="0,1"' in html
    assert retry_schedule.tenant_retry_days(shop.session, shop.tenant.id) == [0, 1]
    audited = shop.session.query(AuditLog).filter(
        AuditLog.tenant_id == shop.tenant.id, AuditLog.entity_type == "billing_settings",
    ).order_by(AuditLog.created_at.desc()).first()
    assert audited is not None and audited.after == {"autopay_retry_days": [0, 1]}

    status, html = _save(staff, "")
    assert status == 200 and "(the installation's schedule)" in visible(html)
    assert retry_schedule.tenant_retry_days(shop.session, shop.tenant.id) is None


def test_the_job_follows_the_tenants_schedule(shop: Shop, db: RollbackDatabase) -> None:
    retry_schedule.set_retry_days(shop.session, shop.tenant.id, "0,1")
    invoice = declining(shop)
    due = invoice.due_date
    assert due is not None
    outcomes = {offset: _run(db, shop, due + timedelta(days=offset)) for offset in range(9)}
    # the installation's 0,3,7 would have tried on days 3 and 7 instead of day 1
    assert {k: v for k, v in outcomes.items() if v != "nothing due"} == {
        0: "1 declined", 1: "1 declined"}
    mails = shop.inbox.wait_for(2)
    assert "We will try again on " + str(due + timedelta(days=1)) in _text(mails[0])
    assert "We will not try this card again for this invoice" in _text(mails[1])
    attempts = autopay.charges_of(shop.session, shop.tenant.id, shop.customer.id)
    assert [a.reason for a in attempts] == [REASON[1] + f" ({REASON[0]})"] * 2


def test_without_its_own_schedule_the_installations_is_followed(
        shop: Shop, db: RollbackDatabase) -> None:
    shop.settings.payments.autopay_retry_days = [2]
    invoice = declining(shop)
    due = invoice.due_date
    assert due is not None
    outcomes = {offset: _run(db, shop, due + timedelta(days=offset)) for offset in range(5)}
    assert {k: v for k, v in outcomes.items() if v != "nothing due"} == {2: "1 declined"}
