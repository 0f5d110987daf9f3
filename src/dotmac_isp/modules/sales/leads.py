"""Leads: create, read, change, move through the stages, notes and the timeline. Services
flush only; the caller's unit of work commits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.sales import schemas, timeline
from dotmac_isp.modules.sales.enums import (
    BOARD_STAGES,
    STAGE_MOVES,
    ActivityKind,
    LeadSource,
    LeadStage,
)
from dotmac_isp.modules.sales.models import Lead, LeadActivity
from dotmac_isp.modules.sales.repository import ActivityRepository, LeadRepository
from dotmac_isp.shared import references, sequences
from dotmac_isp.shared.errors import InvalidState, ValidationFailed
from dotmac_isp.shared.keyset import KeyOrder
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

NUMBER_COUNTER = "lead_number"
ORDER = KeyOrder(Lead.created_at, Lead.id)
S = LeadStage
TEXT_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code")


class IllegalMove(InvalidState):
    """The lead cannot move to that stage from where it is."""

    code = "illegal_transition"


def format_number(value: int) -> str:
    return f"L{value:06d}"


def get_lead(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> Lead:
    return LeadRepository(session, tenant_id).get(lead_id)


def lock_lead(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> Lead:
    return LeadRepository(session, tenant_id).lock(lead_id)


def list_leads(session: Session, tenant_id: uuid.UUID, params: PageParams,
               **filters: Any) -> Page[Lead]:
    """Newest first, paged by key (has-more and cursors, no count)."""
    repo = LeadRepository(session, tenant_id)
    return repo.list_by_key(params, repo.search(**filters), ORDER)


def board(session: Session, tenant_id: uuid.UUID, *, per_stage: int = 50,
          owner_id: uuid.UUID | None = None) -> dict[str, list[Lead]]:
    """The newest leads of each stage (one query per column; a board has six)."""
    repo = LeadRepository(session, tenant_id)
    columns: dict[str, list[Lead]] = {}
    for stage in BOARD_STAGES:
        stmt = repo.search(stage=[stage.value], owner_id=owner_id) \
            .order_by(Lead.stage_changed_at.desc(), Lead.id).limit(per_stage)
        columns[stage.value] = list(session.scalars(stmt))
    return columns


def _check_owner(session: Session, tenant_id: uuid.UUID, owner_id: uuid.UUID | None) -> None:
    references.optional(session, partial(identity_service.get_user, session, tenant_id),
                        owner_id, "owner_id", "staff user")


def create_lead(session: Session, tenant_id: uuid.UUID, data: schemas.LeadCreate, *,
                now: datetime | None = None, consent_at: datetime | None = None,
                actor_label: str | None = None) -> Lead:
    """A new lead at stage new with the next number."""
    now = now or utcnow()
    _check_owner(session, tenant_id, data.owner_id)
    number = format_number(sequences.next_value(session, tenant_id, NUMBER_COUNTER))
    lead = LeadRepository(session, tenant_id).add(Lead(
        number=number, name=data.name, email=(data.email or "").lower(),
        phone=data.phone.strip(), **{f: getattr(data, f).strip() for f in TEXT_FIELDS},
        country=data.country, latitude=data.latitude, longitude=data.longitude,
        source=data.source.value, stage=S.NEW.value, stage_changed_at=now,
        owner_id=data.owner_id, follow_up_date=data.follow_up_date,
        message=data.message.strip(), consent_at=consent_at, created_at=now, updated_at=now))
    how = {LeadSource.WEB_FORM: "from the enquiry form", LeadSource.IMPORT: "imported",
           LeadSource.STAFF: "entered by staff"}[data.source]
    timeline.record(session, lead, ActivityKind.CREATED, f"Lead {number} {how}",
                    to_stage=S.NEW.value, actor_label=actor_label, now=now)
    session.flush()
    return lead


def update_lead(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID,
                data: schemas.LeadUpdate) -> Lead:
    """Change the fields sent; a won lead's details went to its customer and stay."""
    lead = lock_lead(session, tenant_id, lead_id)
    if lead.stage == S.WON:
        raise InvalidState("the lead is won; change the customer instead")
    sent = data.model_dump(exclude_unset=True)
    if "owner_id" in sent:
        _check_owner(session, tenant_id, data.owner_id)
    for key, value in sent.items():
        if key in ("name", "phone", *TEXT_FIELDS) and value is None:
            continue
        if key == "email":
            value = (value or "").lower()
        elif key == "country":
            value = (value or "").upper()
        elif key == "name":
            value = " ".join(value.split())
            if not value:
                raise ValidationFailed("name: give the prospect's name",
                                       extra={"field": "name"})
        elif isinstance(value, str):
            value = value.strip()
        setattr(lead, key, value)
    if not lead.email and not lead.phone:
        raise ValidationFailed("give an email or a phone number to reach the prospect")
    session.flush()
    return lead


def check_move(current: LeadStage, target: LeadStage) -> None:
    if target == current:
        raise IllegalMove(f"the lead is already {current.value}")
    if target == S.WON:
        raise IllegalMove("a lead is won when its accepted quote is converted")
    if target == S.QUOTED:
        raise IllegalMove("a lead becomes quoted when a quote is sent to it")
    if target not in STAGE_MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in STAGE_MOVES[current])) or \
            "nothing (it is won)"
        raise IllegalMove(f"a {current.value} lead cannot become {target.value} "
                          f"(it can become: {allowed})")


def move_stage(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID,
               data: schemas.StageMove, *, now: datetime | None = None) -> Lead:
    """One legal move made by hand; lost needs the reason."""
    lead = lock_lead(session, tenant_id, lead_id)
    target = data.stage
    check_move(LeadStage(lead.stage), target)
    reason = " ".join(data.lost_reason.split())
    if target == S.LOST and not reason:
        raise ValidationFailed("lost_reason: say why the lead was lost",
                               extra={"field": "lost_reason"})
    body = f"Lost: {reason}" if target == S.LOST else data.note.strip()
    if target == S.LOST and data.note.strip():
        body += f"\n{data.note.strip()}"
    set_stage(session, lead, target, body, now=now)
    lead.lost_reason = reason if target == S.LOST else ""
    session.flush()
    return lead


def set_stage(session: Session, lead: Lead, target: LeadStage, body: str = "", *,
              now: datetime | None = None, actor_label: str | None = None) -> None:
    """Move the (locked) lead and note it on the timeline; the checks are the caller's."""
    now = now or utcnow()
    current = lead.stage
    if current == target.value:
        return
    lead.stage, lead.stage_changed_at = target.value, now
    timeline.record(session, lead, ActivityKind.STAGE, body, from_stage=current,
                    to_stage=target.value, now=now, actor_label=actor_label)


def add_note(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID,
             data: schemas.NoteIn) -> LeadActivity:
    lead = get_lead(session, tenant_id, lead_id)
    row = timeline.record(session, lead, ActivityKind.NOTE, data.body.strip())
    session.flush()
    return row


def activities(session: Session, tenant_id: uuid.UUID, lead_id: uuid.UUID,
               params: PageParams) -> Page[LeadActivity]:
    """The lead's timeline, newest first."""
    lead = get_lead(session, tenant_id, lead_id)
    repo = ActivityRepository(session, tenant_id)
    return repo.list(params, repo.for_lead(lead.id))


def next_stages(lead: Lead) -> list[str]:
    """The moves a person can make by hand from where the lead is."""
    return [s.value for s in LeadStage if s in STAGE_MOVES[LeadStage(lead.stage)]]


def follow_up_due(lead: Lead, today: date) -> bool:
    return lead.follow_up_date is not None and lead.follow_up_date <= today \
        and lead.stage not in (S.WON, S.LOST)
