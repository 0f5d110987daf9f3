"""What a customer may change about themselves in the portal: contact details, the billing
address, which emails they get, and their portal password.

Each check names the field it is about, so the page shows the message beside that field; a
form with any error changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel, EmailStr, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import schemas, service
from dotmac_isp.modules.customers.enums import AddressKind
from dotmac_isp.modules.customers.models import Address, Customer, PortalAccount
from dotmac_isp.modules.identity import auth, security
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.types import utcnow

ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")
NOTIFICATIONS = {"notify_invoices": "Invoices by email",
                 "notify_receipts": "Payment receipts by email",
                 "notify_outages": "Outage and maintenance notices"}


class FieldErrors(ValidationFailed):
    """Some fields of the form are not valid."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(fields.values()), extra={"fields": fields})
        self.fields = fields


class ContactForm(BaseModel):
    email: EmailStr
    phone: str = Field("", max_length=40, pattern=r"^[0-9+()\-. ]*$")
    line1: str = Field("", max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


_MESSAGES = {
    "email": "enter an email address such as name@example.com",
    "phone": "use digits, spaces and + ( ) - . only, at most 40 characters",
    "country": "use the two-letter country code, such as NG or GB",
}


def _field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = str(err["loc"][0]) if err.get("loc") else "form"
        message = _MESSAGES.get(name) or str(err.get("msg", "not valid"))
        fields.setdefault(name, message.removeprefix("Value error, "))
    return fields


def contact_values(customer: Customer) -> dict[str, str]:
    """The form's starting values: the billing address, or else where the service is."""
    address = billing_address(customer) or next(iter(customer.addresses), None)
    values = {"email": customer.email, "phone": customer.phone}
    for name in ADDRESS_FIELDS:
        values[name] = getattr(address, name) if address is not None else ""
    return values


def billing_address(customer: Customer) -> Address | None:
    return next((a for a in customer.addresses if a.kind == AddressKind.BILLING.value), None)


def update_contact(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                   form: dict[str, str]) -> Customer:
    """Store the customer's email, phone and billing address; FieldErrors and nothing stored
    when any field is not valid."""
    try:
        data = ContactForm.model_validate(form)
    except ValidationError as exc:
        raise FieldErrors(_field_errors(exc)) from None
    customer = service.get_customer(session, tenant_id, customer_id)
    address = {name: getattr(data, name) for name in ADDRESS_FIELDS}
    address["country"] = address["country"].upper()
    if any(address.values()) and not address["line1"]:
        raise FieldErrors({"line1": "give the street and number, or leave the address empty"})
    service.update_customer(session, tenant_id, customer.id, schemas.CustomerUpdate(
        email=data.email, phone=data.phone))
    current = contact_values(customer)
    if address["line1"] and any(current[k] != v for k, v in address.items()):
        billing = billing_address(customer)
        body = schemas.AddressIn(kind=AddressKind.BILLING, label=billing.label if billing
                                 else "", **address)
        if billing is None:
            service.add_address(session, tenant_id, customer.id, body)
        else:
            service.update_address(session, tenant_id, customer.id, billing.id, body)
    return customer


def set_notifications(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                      chosen: set[str]) -> Customer:
    """Store which emails the customer wants; a name not offered is ignored."""
    customer = service.get_customer(session, tenant_id, customer_id)
    for name in NOTIFICATIONS:
        setattr(customer, name, name in chosen)
    session.flush()
    return customer


@dataclass(frozen=True)
class PasswordChange:
    current: str
    new: str
    confirm: str


def change_password(session: Session, settings: Settings, account: PortalAccount,
                    change: PasswordChange) -> PortalAccount:
    """The customer's new portal password, only with their current one; the same strength
    rule as everywhere else. Other signed-in sessions of the account stop working."""
    if not security.verify_password(account.password_hash, change.current):
        raise FieldErrors({"current_password": "this is not your current password"})
    try:
        auth.check_password_policy(change.new, settings, email=account.login)
    except ValidationFailed as exc:
        raise FieldErrors({"new_password": exc.detail}) from None
    if change.new != change.confirm:
        raise FieldErrors({"confirm_password": "the two new passwords are not the same"})
    if change.new == change.current:
        raise FieldErrors({"new_password": "choose a password you are not using now"})
    account.password_hash = security.hash_password(change.new)
    account.password_changed_at = utcnow()
    account.reset_token_hash = account.reset_expires_at = None
    session.flush()
    return account
