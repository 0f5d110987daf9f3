"""The staff customer list: filters, whitelisted sorts, CSV rows, and tagging many at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, case, func, literal_column
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import schemas, search, service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.repository import CustomerRepository

# The name a person looks a customer up by; the same expression (with the constant inline)
# is indexed, so the sort by name reads the index page by page.
SORT_NAME = func.lower(case((Customer.kind == literal_column("'business'"), Customer.company_name),
                            else_=Customer.last_name), type_=String)
SORTS: dict[str, Any] = {
    "number": Customer.number,
    "name": SORT_NAME,
    "email": Customer.email,
    "status": Customer.status,
    "created": Customer.created_at,
}
TIE = Customer.id
CSV_HEADER = ["number", "name", "kind", "email", "phone", "status", "tags", "created_at"]


def customer_query(session: Session, tenant_id: uuid.UUID, *, query: str | None,
                   status: str | None, tag: str | None) -> Select[Any]:
    """The customers the list shows: searched by everything a customer is known by."""
    repo = CustomerRepository(session, tenant_id)
    return repo.search(query, status=status, tag=tag,
                       also_ids=search.related_customer_ids(session, tenant_id, query))


def csv_cells(customer: Customer) -> list[object]:
    return [customer.number, customer.display_name, customer.kind, customer.email,
            customer.phone, customer.status, ";".join(customer.tags or []),
            customer.created_at.isoformat()]


def customers_among(session: Session, tenant_id: uuid.UUID,
                    ids: Sequence[uuid.UUID]) -> list[Customer]:
    """The tenant's customers among the ids (another tenant's ids are simply not found)."""
    if not ids:
        return []
    repo = CustomerRepository(session, tenant_id)
    return list(session.scalars(repo.select().where(Customer.id.in_(ids))
                                .order_by(Customer.number)))


def tag_customers(session: Session, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID],
                  tag: str) -> list[Customer]:
    """Add the tag to each of the tenant's customers among the ids, one update each (so each
    leaves its audit row); a customer that has it already is left alone."""
    changed = []
    for customer in customers_among(session, tenant_id, ids):
        clean = tag.strip().lower()
        if clean in (customer.tags or []):
            continue
        update = schemas.CustomerUpdate(tags=[*(customer.tags or []), clean])
        changed.append(service.update_customer(session, tenant_id, customer.id, update))
    return changed
