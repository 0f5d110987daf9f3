"""The public enquiry form: a filled honeypot, a post sooner than the minimum, a form token
that is old, forged or another tenant's, and a client address past its hourly limit are all
refused with a plain message and store nothing; a good post makes a web-form lead with the
consent recorded and emails the tenant's sales address (a real SMTP server on loopback)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.config import MailSettings, SalesSettings, Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import enquiry, schemas, tenant_settings
from dotmac_isp.modules.sales.models import EnquiryCounter, Lead
from tests.conftest import RollbackDatabase
from tests.support.smtp import Inbox, smtp_server


@pytest.fixture
def public(settings: Settings, db: RollbackDatabase) -> Iterator[tuple[TestClient, Inbox,
                                                                        Settings]]:
    with smtp_server() as (inbox, port):
        conf = settings.model_copy(update={
            "mail": MailSettings(smtp_host="127.0.0.1", smtp_port=port),
            "sales": SalesSettings(enquiry_min_seconds=3, enquiries_per_hour=2)})
        with TestClient(create_app(conf, db, configure_logs=False),  # type: ignore[arg-type]
                        raise_server_exceptions=False) as client:
            yield client, inbox, conf


def _leads(session: Session, tenant: Tenant) -> int:
    return session.scalar(select(func.count()).select_from(Lead).where(
        Lead.tenant_id == tenant.id)) or 0


def _counters(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EnquiryCounter)) or 0


GOOD = {"name": "Kemi Bello", "email": "kemi@example.com", "phone": "+234 803 555 0142",
        "address_line1": "14 Admiralty Way", "city": "Lagos", "postal_code": "",
        "message": "Is fibre available on our street?", "consent": "1", "website": ""}


def test_spam_is_refused_and_stores_nothing(public: tuple[TestClient, Inbox, Settings],
                                            session: Session, tenant: Tenant,
                                            other_tenant: Tenant) -> None:
    client, inbox, conf = public
    url = f"/enquiry/{tenant.slug}"
    page = client.get(url)
    assert page.status_code == 200 and 'name="website"' in page.text
    fresh = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert fresh is not None
    aged = enquiry.form_token(conf, tenant, at=time.time() - 10)
    cases = {
        "honeypot": ({**GOOD, "website": "http://spam.example", "form_token": aged}, 400,
                     "could not be accepted"),
        "too fast": ({**GOOD, "form_token": fresh.group(1)}, 400, "too quick"),
        "too old": ({**GOOD, "form_token": enquiry.form_token(
            conf, tenant, at=time.time() - 25 * 3600)}, 400, "expired"),
        "forged": ({**GOOD, "form_token": aged[:-3] + "xyz"}, 400, "not filled in on our page"),
        "other tenant's": ({**GOOD, "form_token": enquiry.form_token(
            conf, other_tenant, at=time.time() - 10)}, 400, "not filled in on our page"),
        "no token": (GOOD, 400, "not filled in on our page"),
    }
    for name, (form, status, words) in cases.items():
        answer = client.post(url, data=form)
        assert answer.status_code == status, name
        assert words in answer.text, name
        assert 'data-testid="public-message"' in answer.text
    assert _leads(session, tenant) == 0 and _counters(session) == 0
    assert inbox.messages == []


def test_a_good_enquiry_makes_a_lead_and_mails_sales_and_the_limit_holds(
        public: tuple[TestClient, Inbox, Settings], session: Session,
        tenant: Tenant) -> None:
    client, inbox, conf = public
    tenant_settings.save_settings(session, tenant.id, schemas.SalesSettingsIn(
        sales_email="sales@tenant-a.example"))
    url = f"/enquiry/{tenant.slug}"
    token = enquiry.form_token(conf, tenant, at=time.time() - 10)
    missing = client.post(url, data={**GOOD, "consent": "", "email": "nope",
                                     "form_token": token})
    assert missing.status_code == 422
    assert 'data-error-for="consent"' in missing.text and 'data-error-for="email"' in missing.text
    assert 'value="Kemi Bello"' in missing.text
    assert _leads(session, tenant) == 0 and _counters(session) == 0

    sent = client.post(url, data={**GOOD, "form_token": token})
    assert sent.status_code == 200 and "Thank you" in sent.text
    lead = session.scalars(select(Lead).where(Lead.tenant_id == tenant.id)).one()
    assert (lead.source, lead.stage, lead.email) == ("web_form", "new", "kemi@example.com")
    assert lead.consent_at is not None and lead.message.startswith("Is fibre")
    mail = inbox.wait_for(1)[0]
    assert mail["To"] == "sales@tenant-a.example"
    assert f"New enquiry {lead.number} from Kemi Bello" in mail["Subject"]

    second = client.post(url, data={**GOOD, "email": "b@example.com", "form_token": token})
    assert second.status_code == 200
    third = client.post(url, data={**GOOD, "email": "c@example.com", "form_token": token})
    assert third.status_code == 429 and "try again later" in third.text
    assert _leads(session, tenant) == 2
    assert client.get("/enquiry/no-such-isp").status_code == 404
