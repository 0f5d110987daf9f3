"""The public enquiry form on the ISP's site, guarded without third parties:

- a honeypot field people do not see and bots fill in;
- a signed timestamp token served with the form: a post sooner than
  DOTMAC_SALES__ENQUIRY_MIN_SECONDS after the form was served, or later than
  ENQUIRY_MAX_AGE_HOURS, or with a token not signed by us for this tenant, is refused;
- a limit per client address (ENQUIRIES_PER_HOUR, across tenants and processes) kept in the
  database under a conditional update, so parallel posts cannot pass it together.

A refused post stores nothing (not even a count) and gets a plain message. A good one makes
a lead (source web_form, consent recorded) and emails the tenant's sales address."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import leads, notify, schemas
from dotmac_isp.modules.sales.enums import LeadSource
from dotmac_isp.modules.sales.models import EnquiryCounter, Lead
from dotmac_isp.shared.errors import AppError, TooManyRequests
from dotmac_isp.shared.types import utcnow

SALT = "dotmac-isp/sales/enquiry-form/v1"
HONEYPOT = "website"  # the hidden field's name: a plausible one for bots to fill
WINDOW = timedelta(hours=1)


class EnquiryRefused(AppError):
    """The enquiry could not be accepted."""

    status_code = 400
    code = "enquiry_refused"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt=SALT)


def form_token(settings: Settings, tenant: Tenant, *, at: float | None = None) -> str:
    """The token served with the form: the tenant and the moment (milliseconds), signed."""
    moment = time.time() if at is None else at
    return _serializer(settings).dumps({"t": str(tenant.id), "ms": int(moment * 1000)})


def check_token(settings: Settings, tenant: Tenant, token: str, *,
                now: float | None = None) -> None:
    try:
        data: Any = _serializer(settings).loads(token)
        served = int(data["ms"]) / 1000
        ok = data["t"] == str(tenant.id)
    except (BadSignature, KeyError, TypeError, ValueError):
        ok, served = False, 0.0
    if not ok:
        raise EnquiryRefused("The form was not filled in on our page. Please reload the page "
                             "and try again.")
    age = (time.time() if now is None else now) - served
    if age < settings.sales.enquiry_min_seconds:
        raise EnquiryRefused("That was too quick for us. Please wait a moment and send the "
                             "form again.")
    if age > settings.sales.enquiry_max_age_hours * 3600:
        raise EnquiryRefused("The form has expired. Please reload the page and send it again.")


def take_slot(session: Session, client: str, limit: int, now: datetime) -> bool:
    """Count one enquiry for the client address in its current hour; False (and nothing
    changed) when the hour's limit is reached."""
    client = client[:45]
    window_open = now - WINDOW
    row = EnquiryCounter
    counted = session.execute(
        update(row).where(row.client_address == client, row.window_start > window_open,
                          row.count < limit).values(count=row.count + 1)
        .execution_options(synchronize_session=False))
    if counted.rowcount == 1:  # type: ignore[attr-defined]
        return True
    restarted = session.execute(
        update(row).where(row.client_address == client, row.window_start <= window_open)
        .values(window_start=now, count=1).execution_options(synchronize_session=False))
    if restarted.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.scalar(select(row.count).where(row.client_address == client)) is not None:
        return False  # this hour's limit is reached
    try:
        with session.begin_nested():
            session.add(EnquiryCounter(client_address=client, window_start=now, count=1))
    except IntegrityError:  # a parallel first post made the row: count against it
        return take_slot(session, client, limit, now)
    return True


@dataclass
class Enquiry:
    """What the form posts (text as typed)."""

    name: str
    email: str
    phone: str
    address_line1: str
    city: str
    postal_code: str
    message: str
    consent: bool
    honeypot: str
    token: str


def lead_body(form: Enquiry) -> dict[str, Any]:
    """The LeadCreate fields of a post (checked by the caller, errors beside the fields)."""
    return {"name": form.name, "email": form.email or None, "phone": form.phone,
            "address_line1": form.address_line1, "city": form.city,
            "postal_code": form.postal_code, "message": form.message,
            "source": LeadSource.WEB_FORM}


def screen(settings: Settings, tenant: Tenant, form: Enquiry) -> None:
    """The checks that refuse a post outright (spam): honeypot, then the form token."""
    if form.honeypot.strip():
        raise EnquiryRefused("Your enquiry could not be accepted.")
    check_token(settings, tenant, form.token)


def submit(session: Session, settings: Settings, tenant: Tenant, data: schemas.LeadCreate,
           client: str, *, now: datetime | None = None) -> Lead:
    """Store a screened, valid enquiry as a lead and tell the sales address; refused with 429
    past the client address's hourly limit."""
    now = now or utcnow()
    if not take_slot(session, client, settings.sales.enquiries_per_hour, now):
        raise TooManyRequests("We have received several enquiries from your connection in "
                              "the last hour. Please try again later or call us.")
    lead = leads.create_lead(session, tenant.id, data, now=now, consent_at=now,
                             actor_label="the enquiry form")
    notify.enquiry_received(session, settings, lead)
    return lead
