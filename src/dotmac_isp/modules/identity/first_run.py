"""First-run setup: the ISP (tenant), its billing defaults and its first administrator, in the
caller's one transaction, and only while the database has no tenant."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.billing import setup as billing_setup
from dotmac_isp.modules.identity import auth, schemas, service, setup_state
from dotmac_isp.modules.identity.models import Tenant, User
from dotmac_isp.shared.errors import Conflict, ValidationFailed
from dotmac_isp.shared.money import CurrencyCode

# Any constant: two setup requests at once take this lock in turn on PostgreSQL (SQLite
# writers already queue at BEGIN IMMEDIATE), so the second one sees the first one's tenant.
SETUP_LOCK = 711_000_001
_currency = TypeAdapter(CurrencyCode)
_email = TypeAdapter(EmailStr)


class SetupInvalid(ValidationFailed):
    """The setup form has problems; each names its field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class AlreadySetUp(Conflict):
    """This installation is already set up; sign in instead."""

    code = "already_set_up"


@dataclass(frozen=True)
class SetupForm:
    isp_name: str
    currency: str
    timezone: str
    tax_rate: str
    email: str
    full_name: str
    password: str
    password_confirm: str


def slug_for(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:63].strip("-")
    return slug or "isp"


def problems(form: SetupForm, settings: Settings) -> list[str]:
    """Every problem with the form at once, each naming its field."""
    found: list[str] = []
    if not form.isp_name.strip():
        found.append("ISP name: enter the name of your company")
    elif len(form.isp_name) > 200:
        found.append("ISP name: at most 200 characters")
    try:
        _currency.validate_python(form.currency.strip().upper())
    except ValidationError:
        found.append("Currency: use a three-letter ISO code such as USD, EUR or NGN")
    try:
        ZoneInfo(form.timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        found.append("Time zone: use a name such as Africa/Lagos or Europe/Berlin")
    rate = tax_rate(form.tax_rate)
    if rate is None or not Decimal("0") <= rate < Decimal("100"):
        found.append("Tax rate: a percentage from 0 to 99.99, e.g. 7.5 (0 or empty for none)")
    try:
        _email.validate_python(form.email.strip())
    except ValidationError:
        found.append("Email: enter the administrator's email address")
    if form.password != form.password_confirm:
        found.append("Password: the two passwords differ")
    else:
        try:
            auth.check_password_policy(form.password, settings, email=form.email.strip())
        except ValidationFailed as exc:
            found.append(f"Password: {exc.detail}")
    return found


def tax_rate(raw: str) -> Decimal | None:
    """The percentage typed, or None if it is not a plain decimal number."""
    cleaned = raw.strip().removesuffix("%").strip() or "0"
    if not re.fullmatch(r"\d{1,2}(\.\d{1,4})?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def run_setup(session: Session, settings: Settings, form: SetupForm) -> tuple[Tenant, User]:
    """Create the ISP, its tax rate and its first administrator; refused once any tenant
    exists. The caller's transaction holds all of it: a failure leaves nothing behind."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK})
    if not setup_state.is_empty(session):
        raise AlreadySetUp("this installation is already set up; sign in instead")
    found = problems(form, settings)
    if found:
        raise SetupInvalid(found)
    tenant = service.create_tenant(session, name=form.isp_name.strip(),
                                   slug=slug_for(form.isp_name),
                                   currency=form.currency.strip().upper(),
                                   timezone=form.timezone.strip())
    role = service.role_by_name(session, tenant.id, "admin")
    user = service.create_user(session, settings, tenant.id, schemas.UserCreate(
        email=form.email.strip(), full_name=form.full_name.strip(), password=form.password,
        role_id=role.id))
    rate = tax_rate(form.tax_rate) or Decimal("0")
    if rate > 0:
        created = billing_setup.create_tax_rate(session, tenant.id, "Tax", rate)
        billing_setup.update_settings(session, tenant.id,
                                      {"default_tax_rate_ids": [str(created.id)]})
    return tenant, user
