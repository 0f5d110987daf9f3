"""Customer queries, all through the tenant-scoping chokepoint."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, Text, and_, or_, select

from dotmac_isp.modules.customers.models import Address, Contact, Customer, PortalAccount
from dotmac_isp.shared.tenancy import TenantRepository

DIRECT = "none"  # the reseller filter's value for the tenant's own customers
_NON_DIGITS = re.compile(r"\D+")
_PHONE_LIKE = re.compile(r"^\+?[\d()\-.]*\d{4}[\d()\-.]*$")


def build_search_text(customer: Customer, addresses: list[Address]) -> str:
    phone_digits = _NON_DIGITS.sub("", customer.phone or "")
    parts = [customer.number, customer.first_name, customer.last_name, customer.company_name,
             customer.email, customer.phone, phone_digits, customer.tax_id,
             *(a.one_line() for a in addresses)]
    return " | ".join(p for p in parts if p).lower()


class CustomerRepository(TenantRepository[Customer]):
    model = Customer
    not_found_message = "customer not found"

    def search(self, query: str | None = None, *, status: str | None = None,
               kind: str | None = None, tag: str | None = None,
               also_ids: Sequence[uuid.UUID] = (),
               reseller: uuid.UUID | str | None = None) -> Select[Any]:
        """Customers whose search text holds every term (a LIKE '%term%' that a trigram
        index serves on PostgreSQL), or whose id is in also_ids (found another way)."""
        stmt = self.select().order_by(Customer.number)
        if query:
            terms = []
            for term in query.lower().split()[:5]:
                like = f"%{term}%"
                if _PHONE_LIKE.match(term):
                    like = f"%{_NON_DIGITS.sub('', term)}%"  # '+234-803-555' as typed or not
                terms.append(Customer.search_text.like(like))
            matched = and_(*terms)
            stmt = stmt.where(or_(matched, Customer.id.in_(also_ids)) if also_ids else matched)
        if status:
            stmt = stmt.where(Customer.status == status)
        if kind:
            stmt = stmt.where(Customer.kind == kind)
        if reseller == DIRECT:
            stmt = stmt.where(Customer.reseller_id.is_(None))
        elif isinstance(reseller, uuid.UUID):
            stmt = stmt.where(Customer.reseller_id == reseller)
        if tag:
            # JSON containment differs by database; tags are short, so match the JSON text.
            stmt = stmt.where(Customer.tags.cast(Text()).like(f'%"{tag.lower()}"%'))
        return stmt

    def by_number(self, number: str) -> Customer | None:
        return self.session.scalars(self.select().where(Customer.number == number)).one_or_none()

    def existing_numbers(self, numbers: list[str]) -> set[str]:
        if not numbers:
            return set()
        found: set[str] = set()
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            found.update(self.session.scalars(
                self.select(Customer.number).where(Customer.number.in_(chunk))))
        return found


class AddressRepository(TenantRepository[Address]):
    model = Address
    not_found_message = "address not found"


class ContactRepository(TenantRepository[Contact]):
    model = Contact
    not_found_message = "contact not found"


class PortalAccountRepository(TenantRepository[PortalAccount]):
    model = PortalAccount
    not_found_message = "portal account not found"

    def for_customer(self, customer_id: Any) -> PortalAccount | None:
        return self.session.scalars(
            self.select().where(PortalAccount.customer_id == customer_id)).one_or_none()

    def by_login(self, login: str) -> PortalAccount | None:
        return self.session.scalars(
            self.select().where(PortalAccount.login == login.strip().lower())).one_or_none()

    def by_reset_hash(self, token_hash: str) -> PortalAccount | None:
        return self.session.scalars(
            select(PortalAccount).where(PortalAccount.reset_token_hash == token_hash,
                                        PortalAccount.tenant_id == self.tenant_id)
        ).one_or_none()
