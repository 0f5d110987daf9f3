"""CSV import and export of customers.

Import checks every row first and reports each bad one with its line number; a bad row stores
nothing, good rows go in together in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from dotmac_isp.modules.customers import schemas, service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.customers.repository import CustomerRepository
from dotmac_isp.modules.customers.service import NUMBER_COUNTER, format_number, new_customer
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.shared import csv_import, sequences
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.spreadsheet import restore_cell, safe_row

BASE_COLUMNS = [
    "number", "kind", "status", "first_name", "last_name", "company_name", "email", "phone",
    "tax_id", "tax_exempt", "tax_exempt_reason", "currency", "tags", "billing_line1",
    "billing_line2", "billing_city", "billing_region", "billing_postal_code",
    "billing_country", "notes",
]
CUSTOM_PREFIX = "cf:"
MAX_ROWS = 100_000
TRUE_WORDS = {"1", "true", "yes", "y"}
FALSE_WORDS = {"", "0", "false", "no", "n"}


def _bool(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"tax_exempt must be yes or no, not {value!r}")


def _row_to_create(row: dict[str, str]) -> tuple[str, schemas.CustomerCreate]:
    get = lambda key: restore_cell((row.get(key) or "").strip())  # noqa: E731
    data: dict[str, Any] = {
        "first_name": get("first_name"), "last_name": get("last_name"),
        "company_name": get("company_name"), "phone": get("phone"), "tax_id": get("tax_id"),
        "tax_exempt": _bool(get("tax_exempt")), "tax_exempt_reason": get("tax_exempt_reason"),
        "notes": get("notes"),
        "tags": [t for t in get("tags").split(";") if t.strip()],
        "custom_fields": {k[len(CUSTOM_PREFIX):]: restore_cell(v) for k, v in row.items()
                          if k and k.startswith(CUSTOM_PREFIX) and v not in (None, "")},
    }
    for key in ("kind", "status", "email", "currency"):
        if get(key):
            data[key] = get(key).lower() if key != "currency" else get(key)
    if get("billing_line1"):
        data["addresses"] = [{
            "kind": "billing", "line1": get("billing_line1"), "line2": get("billing_line2"),
            "city": get("billing_city"), "region": get("billing_region"),
            "postal_code": get("billing_postal_code"), "country": get("billing_country"),
        }]
    elif any(get(f"billing_{k}") for k in ("line2", "city", "region", "postal_code")):
        raise ValueError("billing_line1 is required when other billing columns are filled")
    return get("number"), schemas.CustomerCreate.model_validate(data)


def _records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in BASE_COLUMNS and not c.startswith(CUSTOM_PREFIX)]
    if not header:
        raise ValidationFailed("the file is empty; the first line must name the columns")
    if unknown:
        raise ValidationFailed(f"unknown column(s): {', '.join(unknown)}; allowed: "
                               f"{', '.join(BASE_COLUMNS)} and cf:<name> for custom fields")
    if len(set(header)) != len(header):
        raise ValidationFailed("a column name appears twice in the header")
    start = reader.line_num + 1
    for row in reader:
        if None in row:
            yield start, {"__extra__": "x"}
        else:
            yield start, row
        start = reader.line_num + 1


def import_customers(session: Session, tenant_id: uuid.UUID, text: str, *,
                     dry_run: bool = False) -> schemas.ImportResult:
    """Import customers from CSV text (first line: column names)."""
    tenant = identity_service.get_tenant(session, tenant_id)
    repo = CustomerRepository(session, tenant_id)
    good: list[tuple[int, str, schemas.CustomerCreate]] = []
    errors: list[schemas.ImportRowError] = []
    seen_numbers: dict[str, int] = {}
    for line, row in _records(text):
        if len(good) + len(errors) >= MAX_ROWS:
            raise ValidationFailed(f"at most {MAX_ROWS} rows per import")
        if "__extra__" in row:
            errors.append(schemas.ImportRowError(line=line, errors=["more values than columns"]))
            continue
        try:
            number, data = _row_to_create(row)
        except (ValidationError, ValueError) as exc:
            errors.append(schemas.ImportRowError(line=line, errors=csv_import.messages(exc)))
            continue
        if number:
            if number in seen_numbers:
                errors.append(schemas.ImportRowError(line=line, errors=[
                    f"number: {number} is also on line {seen_numbers[number]}"]))
                continue
            seen_numbers[number] = line
        good.append((line, number, data))
    taken = repo.existing_numbers(list(seen_numbers))
    if taken:
        kept = []
        for line, number, data in good:
            if number in taken:
                errors.append(schemas.ImportRowError(line=line, errors=[
                    f"number: customer {number} already exists"]))
            else:
                kept.append((line, number, data))
        good = kept
    errors.sort(key=lambda e: e.line)
    if not dry_run and good:
        _store(session, tenant_id, tenant.currency, good)
    return schemas.ImportResult(created=0 if dry_run else len(good), failed=len(errors),
                                errors=errors, dry_run=dry_run)


def _store(session: Session, tenant_id: uuid.UUID, currency: str,
           rows: list[tuple[int, str, schemas.CustomerCreate]]) -> None:
    auto = sum(1 for _, number, _ in rows if not number)
    next_number = sequences.next_value(session, tenant_id, NUMBER_COUNTER, count=auto) \
        if auto else 0
    customers: list[Customer] = []
    for _, number, data in rows:
        if not number:
            number, next_number = format_number(next_number), next_number + 1
        customers.append(new_customer(data, tenant_id, number, currency))
    session.add_all(customers)
    session.flush()


def stream_export(db: Database, tenant_id: uuid.UUID, **filters: Any) -> Iterator[str]:
    """The export of the matching customers, read through a server-side cursor in its own
    read-only transaction (the request's has ended by the time the body is sent)."""
    with db.unit_of_work(write=False) as session:
        custom = service.custom_field_keys(session, tenant_id, **filters)
        yield from export_rows(service.stream_customers(session, tenant_id, **filters), custom)


def export_rows(customers: Iterable[Customer], custom: list[str]) -> Iterator[str]:
    """CSV lines (header first) in the same columns import reads."""
    header = BASE_COLUMNS + [f"{CUSTOM_PREFIX}{k}" for k in custom]
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    writer.writerow(safe_row(header))
    yield flush()
    for c in customers:
        billing = next((a for a in c.addresses if a.kind == "billing"), None)
        values = [c.number, c.kind, c.status, c.first_name, c.last_name, c.company_name,
                  c.email, c.phone, c.tax_id, "yes" if c.tax_exempt else "no",
                  c.tax_exempt_reason, c.currency, ";".join(c.tags or [])]
        values += ([billing.line1, billing.line2, billing.city, billing.region,
                    billing.postal_code, billing.country] if billing else [""] * 6)
        values.append(c.notes)
        values += [_cell((c.custom_fields or {}).get(k)) for k in custom]
        writer.writerow(safe_row(values))
        yield flush()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
