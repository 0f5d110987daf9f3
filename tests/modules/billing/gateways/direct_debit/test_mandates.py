"""Direct debit mandates set up on GoCardless's hosted page (a stand-in on loopback: the
real service cannot be reached from here), from the portal or from a link staff send, with
the customer's consent kept: who, when and how. Only the bank's name and the account's last
digits are kept and shown."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dotmac_isp.modules.billing.gateways import autopay
from tests.modules.billing.gateways.direct_debit.world import DUE_DAY, Debits
from tests.support.factories import StaffUser
from tests.web.billing_support import visible
from tests.web.test_admin_pages import csrf_of


def test_a_mandate_set_up_in_the_portal_keeps_consent_and_the_last_digits_only(
        debits: Debits) -> None:
    bills = debits.client.get(f"/portal/{debits.tenant.slug}/billing").text
    assert f"/portal/{debits.tenant.slug}/pay/direct-debit" in bills
    mandate = debits.set_up_mandate()
    (request,) = debits.gc.billing_requests.values()
    assert request["mandate_request"]["metadata"]["dotmac_mandate"] == str(mandate.id)
    (flow,) = debits.gc.flows.values()
    assert flow["prefilled_customer"]["email"] == "payer@home.example"
    assert mandate.status == "pending_submission" and mandate.mandate_id.startswith("MD")
    assert (mandate.bank_name, mandate.account_ending) == ("BARCLAYS BANK PLC", "11")
    assert mandate.autopay and mandate.consent_at is not None
    assert mandate.consent_by == "customer (portal login payer@home.example)"
    assert mandate.consent_method == "portal: ticked the direct debit agreement"

    # the webhooks of the same setup change nothing; the bank's acceptance is kept
    fulfilled = debits.gc.events_of("billing_requests", "fulfilled")[0]
    created = debits.gc.events_of("mandates", "created")[0]
    answer = debits.deliver(fulfilled, created)
    assert answer.status_code == 200, answer.text
    active = debits.gc.mandate_becomes(mandate.mandate_id, "active")
    assert debits.deliver(active).json()["events"] == {
        active["id"]: f"mandate {mandate.mandate_id} active"}
    assert debits.mandate().status == "active"
    page = visible(debits.client.get(f"/portal/{debits.tenant.slug}/pay/direct-debit").text)
    assert "BARCLAYS BANK PLC ending in 11" in page and "status: active" in page


def test_the_customer_must_tick_the_agreement(debits: Debits) -> None:
    base = f"/portal/{debits.tenant.slug}/pay/direct-debit"
    page = debits.client.get(base)
    refused = debits.client.post(base, data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422
    assert "tick the box to agree to direct debit" in visible(refused.text)
    assert debits.gc.billing_requests == {}


def test_a_cancelled_mandate_stops_autopay(debits: Debits) -> None:
    mandate = debits.set_up_mandate()
    debits.invoice("40.00", on=DUE_DAY)  # not due yet
    cancelled = debits.gc.mandate_becomes(mandate.mandate_id, "cancelled", "bank_account_closed",
                                          "The customer closed their bank account.")
    assert debits.deliver(cancelled).status_code == 200
    mandate = debits.mandate()
    assert mandate.status == "cancelled"
    assert mandate.status_reason == ("The customer closed their bank account. "
                                     "(bank_account_closed)")
    debits.invoice("40.00")
    assert autopay.due_invoices(debits.session, debits.tenant.id, DUE_DAY) == []
    assert debits.run_autopay() == "nothing due"
    assert debits.gc.payments == {}
    page = visible(debits.client.get(f"/portal/{debits.tenant.slug}/pay/direct-debit").text)
    assert "Your direct debit is cancelled: The customer closed their bank account." in page


def test_staff_record_how_the_customer_agreed_and_send_the_link(debits: Debits,
                                                                 staff: TestClient,
                                                                 admin: StaffUser) -> None:
    url = f"/admin/customers/{debits.customer.id}/direct-debit"
    detail = staff.get(f"/admin/customers/{debits.customer.id}")
    assert url in detail.text
    page = staff.get(url)
    assert page.status_code == 200 and "No direct debit yet" in visible(page.text)
    refused = staff.post(url, data={"csrf_token": csrf_of(page.text), "consent_note": "x"})
    assert refused.status_code == 422
    text = visible(refused.text)
    assert "How the customer agreed: choose how the customer agreed" in text
    assert 'data-error-for="consent"' in refused.text
    assert debits.gc.billing_requests == {}

    made = staff.post(url, data={"csrf_token": csrf_of(page.text), "consent_method": "phone",
                                 "consent_note": "call of 14 April", "consent": "yes"})
    assert made.status_code == 200, made.text
    link = made.text.split('data-testid="mandate-link">')[1].split("<")[0]
    mandate = debits.mandate()
    assert mandate.consent_by == f"staff {admin.user.email}"
    assert mandate.consent_method == "by phone: call of 14 April"

    # the customer opens the link (not signed in) and lands on a page that needs no login
    landing = debits.complete_hosted_page(link)
    assert landing == f"/portal/{debits.tenant.slug}/pay/direct-debit/done"
    with TestClient(debits.app) as stranger:
        assert "being set up" in visible(stranger.get(landing).text)
    # the mandate arrives by webhook
    fulfilled = debits.gc.events_of("billing_requests", "fulfilled")[0]
    assert debits.deliver(fulfilled).status_code == 200
    shown = visible(staff.get(url).text)
    assert "at BARCLAYS BANK PLC ending in 11" in shown and "pending submission" in shown
    assert f"staff {admin.user.email}, by phone: call of 14 April" in shown
    assert debits.mandate().status == "pending_submission"


def test_the_api_shows_the_tenants_mandates_and_hides_other_tenants(
        debits: Debits, admin: StaffUser, other_admin: StaffUser) -> None:
    mandate = debits.set_up_mandate()
    listed = debits.client.get("/api/v1/mandates", headers=admin.headers).json()["items"]
    assert [(m["id"], m["bank_name"], m["account_ending"]) for m in listed] == [
        (str(mandate.id), "BARCLAYS BANK PLC", "11")]
    assert listed[0]["consent_by"] == "customer (portal login payer@home.example)"
    elsewhere = debits.client.get("/api/v1/mandates", headers=other_admin.headers).json()
    assert elsewhere["items"] == []
    assert debits.client.get(f"/api/v1/mandates/{mandate.id}",
                             headers=other_admin.headers).status_code == 404
