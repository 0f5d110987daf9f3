"""Customer accounts: create, change, lifecycle, addresses and contacts. Services flush only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Session, raiseload, selectinload

from dotmac_isp.modules.customers import schemas
from dotmac_isp.modules.customers.enums import CUSTOMER_TRANSITIONS, CustomerStatus
from dotmac_isp.modules.customers.models import Address, Contact, Customer, display_name_of
from dotmac_isp.modules.customers.repository import (
    AddressRepository,
    ContactRepository,
    CustomerRepository,
    build_search_text,
)
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.resellers import lookup as reseller_lookup
from dotmac_isp.shared import sequences
from dotmac_isp.shared.errors import Conflict, InvalidState
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

NUMBER_COUNTER = "customer_number"


def format_number(value: int) -> str:
    return f"C{value:06d}"


def refresh_search_text(customer: Customer) -> None:
    customer.search_text = build_search_text(customer, list(customer.addresses))


def new_customer(data: schemas.CustomerCreate, tenant_id: uuid.UUID, number: str,
                 currency: str) -> Customer:
    """Build (not add) a customer with its addresses and contacts."""
    customer = Customer(
        tenant_id=tenant_id, number=number, kind=data.kind.value, status=data.status.value,
        reseller_id=data.reseller_id,
        first_name=data.first_name.strip(), last_name=data.last_name.strip(),
        company_name=data.company_name.strip(), email=(data.email or "").lower(),
        phone=data.phone.strip(), tax_id=data.tax_id.strip(), tax_exempt=data.tax_exempt,
        tax_exempt_reason=data.tax_exempt_reason.strip(), currency=data.currency or currency,
        tags=data.tags, custom_fields=data.custom_fields, notes=data.notes,
        status_changed_at=utcnow(),
    )
    customer.addresses = [Address(tenant_id=tenant_id, **a.model_dump(mode="python"))
                          for a in data.addresses]
    customer.contacts = [Contact(tenant_id=tenant_id, role=c.role.value, name=c.name,
                                 email=(c.email or "").lower(), phone=c.phone)
                         for c in data.contacts]
    refresh_search_text(customer)
    return customer


def create_customer(session: Session, tenant_id: uuid.UUID,
                    data: schemas.CustomerCreate) -> Customer:
    """Create a customer with the next readable number of the tenant (a reseller's staff
    create it for their reseller)."""
    tenant = identity_service.get_tenant(session, tenant_id)
    if data.reseller_id is not None:
        reseller_lookup.check_assignable(session, tenant_id, data.reseller_id)
    number = format_number(sequences.next_value(session, tenant_id, NUMBER_COUNTER))
    customer = new_customer(data, tenant_id, number, tenant.currency)
    return CustomerRepository(session, tenant_id).add(customer)


def get_customer(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                 *, for_update: bool = False) -> Customer:
    return CustomerRepository(session, tenant_id).get(customer_id, for_update=for_update)


def list_customers(session: Session, tenant_id: uuid.UUID, params: PageParams, *,
                   query: str | None = None, status: str | None = None,
                   kind: str | None = None, tag: str | None = None,
                   also_ids: Sequence[uuid.UUID] = (),
                   reseller: uuid.UUID | str | None = None) -> Page[Customer]:
    repo = CustomerRepository(session, tenant_id)
    return repo.list(params, repo.search(query, status=status, kind=kind, tag=tag,
                                         also_ids=also_ids, reseller=reseller))


def count_of_reseller(session: Session, tenant_id: uuid.UUID, reseller_id: uuid.UUID) -> int:
    repo = CustomerRepository(session, tenant_id)
    return session.scalar(repo.select(func.count()).where(Customer.reseller_id == reseller_id)
                          ) or 0


EXPORT_CHUNK = 500


def stream_customers(session: Session, tenant_id: uuid.UUID, *, query: str | None = None,
                     status: str | None = None, kind: str | None = None,
                     also_ids: Sequence[uuid.UUID] = ()) -> Iterator[Customer]:
    """Every matching customer with addresses, fetched in chunks from a server-side cursor."""
    repo = CustomerRepository(session, tenant_id)
    stmt = (repo.search(query, status=status, kind=kind, also_ids=also_ids)
            .options(selectinload(Customer.addresses), raiseload(Customer.contacts))
            .execution_options(yield_per=EXPORT_CHUNK))
    yield from session.scalars(stmt)


def custom_field_keys(session: Session, tenant_id: uuid.UUID, *, query: str | None = None,
                      status: str | None = None, kind: str | None = None,
                      also_ids: Sequence[uuid.UUID] = ()) -> list[str]:
    """The custom field names the matching customers use (the export's extra columns)."""
    repo = CustomerRepository(session, tenant_id)
    stmt = repo.search(query, status=status, kind=kind, also_ids=also_ids)
    fields = stmt.with_only_columns(Customer.custom_fields).execution_options(
        yield_per=EXPORT_CHUNK)
    return sorted({k for row in session.scalars(fields) for k in (row or {})})


def update_customer(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                    data: schemas.CustomerUpdate) -> Customer:
    customer = get_customer(session, tenant_id, customer_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("reseller_id") is not None:
        reseller_lookup.check_assignable(session, tenant_id, changes["reseller_id"])
    for key, value in changes.items():
        if value is None and key not in ("email", "reseller_id"):
            continue
        if key == "email":
            value = (value or "").lower()
        setattr(customer, key, value.strip() if isinstance(value, str) and key != "notes"
                else value)
    if customer.kind == "business" and not customer.company_name:
        raise InvalidState("a business customer needs a company_name")
    if customer.tax_exempt and not customer.tax_exempt_reason:
        raise InvalidState("a tax-exempt customer needs a tax_exempt_reason")
    refresh_search_text(customer)
    session.flush()
    return customer


def change_status(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                  target: CustomerStatus, reason: str = "") -> Customer:
    """Move a customer through lead -> active <-> suspended -> closed (closed may reopen)."""
    customer = get_customer(session, tenant_id, customer_id, for_update=True)
    current = CustomerStatus(customer.status)
    if target == current:
        raise Conflict(f"customer is already {current.value}")
    if target not in CUSTOMER_TRANSITIONS[current]:
        raise Conflict(f"a {current.value} customer cannot become {target.value}")
    customer.status = target.value
    customer.status_changed_at = utcnow()
    if reason:
        stamp = utcnow().strftime("%Y-%m-%d %H:%M")
        note = f"[{stamp}] status {current.value} -> {target.value}: {reason}"
        customer.notes = f"{customer.notes}\n{note}".strip()
    session.flush()
    return customer


def delete_customer(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Only leads are deleted; customers who ever bought something are closed instead."""
    customer = get_customer(session, tenant_id, customer_id)
    if customer.status != CustomerStatus.LEAD:
        raise Conflict("only leads can be deleted; close the customer instead")
    CustomerRepository(session, tenant_id).delete(customer)


def add_address(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                data: schemas.AddressIn) -> Address:
    customer = get_customer(session, tenant_id, customer_id)
    address = Address(customer_id=customer.id, **data.model_dump(mode="python"))
    AddressRepository(session, tenant_id).add(address)
    session.refresh(customer, ["addresses"])
    refresh_search_text(customer)
    session.flush()
    return address


def get_address(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                address_id: uuid.UUID) -> Address:
    address = AddressRepository(session, tenant_id).get(address_id)
    if address.customer_id != customer_id:
        raise AddressRepository.not_found()
    return address


def update_address(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                   address_id: uuid.UUID, data: schemas.AddressIn) -> Address:
    address = get_address(session, tenant_id, customer_id, address_id)
    for key, value in data.model_dump(mode="python").items():
        setattr(address, key, value)
    session.flush()
    customer = get_customer(session, tenant_id, customer_id)
    refresh_search_text(customer)
    session.flush()
    return address


def delete_address(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                   address_id: uuid.UUID) -> None:
    address = get_address(session, tenant_id, customer_id, address_id)
    AddressRepository(session, tenant_id).delete(address)
    customer = get_customer(session, tenant_id, customer_id)
    session.refresh(customer, ["addresses"])
    refresh_search_text(customer)
    session.flush()


def add_contact(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                data: schemas.ContactIn) -> Contact:
    customer = get_customer(session, tenant_id, customer_id)
    contact = Contact(customer_id=customer.id, role=data.role.value, name=data.name,
                      email=(data.email or "").lower(), phone=data.phone)
    return ContactRepository(session, tenant_id).add(contact)


def get_contact(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                contact_id: uuid.UUID) -> Contact:
    contact = ContactRepository(session, tenant_id).get(contact_id)
    if contact.customer_id != customer_id:
        raise ContactRepository.not_found()
    return contact


def update_contact(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                   contact_id: uuid.UUID, data: schemas.ContactIn) -> Contact:
    contact = get_contact(session, tenant_id, customer_id, contact_id)
    contact.role, contact.name = data.role.value, data.name
    contact.email, contact.phone = (data.email or "").lower(), data.phone
    session.flush()
    return contact


def delete_contact(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                   contact_id: uuid.UUID) -> None:
    contact = get_contact(session, tenant_id, customer_id, contact_id)
    ContactRepository(session, tenant_id).delete(contact)


def customers_by_id(session: Session, tenant_id: uuid.UUID,
                    ids: list[uuid.UUID]) -> dict[uuid.UUID, Customer]:
    """Many customers in one query (for batch jobs)."""
    repo = CustomerRepository(session, tenant_id)
    found: dict[uuid.UUID, Customer] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        found.update({c.id: c for c in session.scalars(repo.select().where(
            Customer.id.in_(chunk)))})
    return found


def billing_facts(session: Session, tenant_id: uuid.UUID,
                  ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, bool]]:
    """(currency, tax exempt) of many customers, without loading their addresses."""
    repo = CustomerRepository(session, tenant_id)
    found: dict[uuid.UUID, tuple[str, bool]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        found.update({row.id: (row.currency, row.tax_exempt) for row in session.execute(
            repo.select(Customer.id, Customer.currency, Customer.tax_exempt)
            .where(Customer.id.in_(chunk)))})
    return found


def with_email(session: Session, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these customers have an email address (one query per thousand)."""
    repo = CustomerRepository(session, tenant_id)
    found: set[uuid.UUID] = set()
    for start in range(0, len(ids), 1000):
        found.update(session.scalars(repo.select(Customer.id).where(
            Customer.id.in_(ids[start:start + 1000]), Customer.email != "")))
    return found


@dataclass(frozen=True)
class MailFacts:
    email: str
    name: str
    number: str


def mail_facts(session: Session, tenant_id: uuid.UUID,
               ids: list[uuid.UUID]) -> dict[uuid.UUID, MailFacts]:
    """Address, display name and number of those of these customers who have an email
    (one query per thousand)."""
    repo = CustomerRepository(session, tenant_id)
    found: dict[uuid.UUID, MailFacts] = {}
    for start in range(0, len(ids), 1000):
        for row in session.execute(repo.select(
                Customer.id, Customer.kind, Customer.first_name, Customer.last_name,
                Customer.company_name, Customer.email, Customer.number)
                .where(Customer.id.in_(ids[start:start + 1000]), Customer.email != "")):
            found[row.id] = MailFacts(row.email, display_name_of(
                row.kind, row.first_name, row.last_name, row.company_name, row.email,
                row.number), row.number)
    return found


def customers_by_number(session: Session, tenant_id: uuid.UUID,
                        numbers: list[str]) -> dict[str, Customer]:
    """Many customers by their readable number (C000123), in one query per thousand."""
    repo = CustomerRepository(session, tenant_id)
    found: dict[str, Customer] = {}
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        found.update({c.number: c for c in session.scalars(repo.select().where(
            Customer.number.in_(chunk)))})
    return found


def customers_by_email(session: Session, tenant_id: uuid.UUID,
                       emails: list[str]) -> dict[str, list[Customer]]:
    """Customers by email (lowercased), one query per thousand; an email may be shared."""
    repo = CustomerRepository(session, tenant_id)
    found: dict[str, list[Customer]] = {}
    wanted = sorted({e.lower() for e in emails})
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        for c in session.scalars(repo.select().where(func.lower(Customer.email).in_(chunk))
                                 .order_by(Customer.number)):
            found.setdefault(c.email.lower(), []).append(c)
    return found


def activate_leads(customers: list[Customer], reason: str) -> None:
    """Leads among these (loaded) customers become active; the caller's flush stores it."""
    now = utcnow()
    for customer in customers:
        if customer.status == CustomerStatus.LEAD:
            customer.status = CustomerStatus.ACTIVE.value
            customer.status_changed_at = now
            note = f"[{now:%Y-%m-%d %H:%M}] status lead -> active: {reason}"
            customer.notes = f"{customer.notes}\n{note}".strip()


def find_by_number_or_email(session: Session, tenant_id: uuid.UUID,
                            keys: list[str]) -> dict[str, Customer | str]:
    """For imports naming customers by number or email: each key -> its customer, or a
    message why it names none (or several). A few queries, whatever the number of keys."""
    numbers = [k for k in keys if "@" not in k]
    emails = [k for k in keys if "@" in k]
    found: dict[str, Customer | str] = {}
    by_number = customers_by_number(session, tenant_id, numbers)
    for key in numbers:
        found[key] = by_number.get(key) or f"customer: no customer with number {key}"
    by_email = customers_by_email(session, tenant_id, emails)
    for key in emails:
        matches = by_email.get(key.lower(), [])
        found[key] = matches[0] if len(matches) == 1 else (
            f"customer: no customer with email {key}" if not matches else
            f"customer: {len(matches)} customers have email {key}; use the customer number")
    return found
