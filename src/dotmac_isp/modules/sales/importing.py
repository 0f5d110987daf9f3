"""Leads from a CSV (a trade-show list, another system's export). Every line is checked and
reported: bad lines store nothing, good ones go in together in the caller's transaction; a
line whose email an existing lead already has is a duplicate, so importing the same file
twice creates nothing the second time."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.sales import leads, schemas
from dotmac_isp.modules.sales.enums import LeadSource
from dotmac_isp.modules.sales.models import Lead
from dotmac_isp.modules.sales.repository import LeadRepository
from dotmac_isp.shared.csv_import import (
    ImportReport,
    LineReport,
    LineStatus,
    build_report,
    complete_records,
    messages,
    parse_date,
)
from dotmac_isp.shared.pagination import PageParams

COLUMNS = ["name", "email", "phone", "address_line1", "address_line2", "city", "region",
           "postal_code", "country", "latitude", "longitude", "owner_email", "follow_up_date",
           "message"]
REQUIRED = ["name"]


def _owners(session: Session, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    users = identity_service.list_users(session, tenant_id, PageParams(limit=200)).items
    return {u.email.lower(): u.id for u in users}


def _existing_emails(session: Session, tenant_id: uuid.UUID, emails: list[str]) -> set[str]:
    repo = LeadRepository(session, tenant_id)
    found: set[str] = set()
    wanted = sorted({e for e in emails if e})
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        found |= set(session.scalars(repo.select(func.lower(Lead.email))
                                     .where(func.lower(Lead.email).in_(chunk))))
    return found


def _body(row: dict[str, str], owners: dict[str, uuid.UUID]) -> schemas.LeadCreate:
    data: dict[str, Any] = {k: row.get(k, "") for k in COLUMNS
                            if k not in ("owner_email", "follow_up_date", "latitude",
                                         "longitude", "email")}
    data["email"] = row.get("email") or None
    data["source"] = LeadSource.IMPORT
    problems = []
    for key in ("latitude", "longitude"):
        if row.get(key):
            data[key] = row[key]
    if row.get("follow_up_date"):
        try:
            data["follow_up_date"] = parse_date(row["follow_up_date"], "follow_up_date")
        except ValueError as exc:
            problems.append(str(exc))
    owner = (row.get("owner_email") or "").lower()
    if owner:
        if owner in owners:
            data["owner_id"] = owners[owner]
        else:
            problems.append(f"owner_email: no staff user {owner}")
    try:
        body = schemas.LeadCreate.model_validate(data)
    except ValidationError as exc:
        raise ValueError("\n".join(problems + messages(exc))) from None
    if problems:
        raise ValueError("\n".join(problems))
    return body


def import_leads(session: Session, tenant_id: uuid.UUID, text: str, *,
                 dry_run: bool = False) -> ImportReport:
    reports: list[LineReport] = []
    rows = list(complete_records(text, COLUMNS, REQUIRED, reports))
    owners = _owners(session, tenant_id)
    known = _existing_emails(session, tenant_id,
                             [(r.get("email") or "").lower() for _n, r in rows])
    good: list[schemas.LeadCreate] = []
    seen: set[str] = set()
    for line, row in rows:
        email = (row.get("email") or "").lower()
        key = email or row.get("name", "")
        if email and (email in known or email in seen):
            reports.append(LineReport(line=line, status=LineStatus.DUPLICATE, key=key,
                                      messages=[f"a lead with email {email} exists already"]))
            continue
        try:
            body = _body(row, owners)
        except ValueError as exc:
            reports.append(LineReport(line=line, status=LineStatus.ERROR, key=key,
                                      messages=str(exc).split("\n")))
            continue
        seen.add(email)
        good.append(body)
        reports.append(LineReport(line=line, status=LineStatus.OK, key=key))
    if not dry_run:
        for body in good:
            leads.create_lead(session, tenant_id, body)
    return build_report(reports, dry_run=dry_run)
