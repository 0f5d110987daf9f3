"""Leads: the stages move only along the checked moves, lost needs its reason, won and
quoted come from quotes, and the list filters by stage, owner and follow-up due."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales import leads, schemas
from dotmac_isp.modules.sales.models import LeadActivity
from dotmac_isp.shared.errors import InvalidState, ValidationFailed
from dotmac_isp.shared.pagination import PageParams
from tests.modules.sales.factories import make_lead
from tests.support.factories import make_user


def _move(session: Session, tenant: Tenant, lead_id, stage: str, **extra: str):  # type: ignore[no-untyped-def]
    return leads.move_stage(session, tenant.id, lead_id,
                            schemas.StageMove.model_validate({"stage": stage, **extra}))


def test_stage_moves_follow_the_rules(session: Session, tenant: Tenant) -> None:
    lead = make_lead(session, tenant)
    assert lead.number == "L000001" and lead.stage == "new"
    _move(session, tenant, lead.id, "contacted", note="called, wants 100 Mbps")
    _move(session, tenant, lead.id, "qualified")
    with pytest.raises(InvalidState, match="already qualified"):
        _move(session, tenant, lead.id, "qualified")
    with pytest.raises(InvalidState, match="won when its accepted quote is converted"):
        _move(session, tenant, lead.id, "won")
    with pytest.raises(InvalidState, match="quoted when a quote is sent"):
        _move(session, tenant, lead.id, "quoted")
    with pytest.raises(InvalidState, match="a qualified lead cannot become new"):
        _move(session, tenant, lead.id, "new")
    assert leads.get_lead(session, tenant.id, lead.id).stage == "qualified"
    timeline = leads.activities(session, tenant.id, lead.id, PageParams()).items
    assert [(a.kind, a.from_stage, a.to_stage) for a in timeline][:2] == [
        ("stage", "contacted", "qualified"), ("stage", "new", "contacted")]
    assert timeline[1].body == "called, wants 100 Mbps"


def test_lost_needs_a_reason_and_may_be_taken_up_again(session: Session,
                                                       tenant: Tenant) -> None:
    lead = make_lead(session, tenant)
    with pytest.raises(ValidationFailed, match="lost_reason: say why"):
        _move(session, tenant, lead.id, "lost", lost_reason="   ")
    assert leads.get_lead(session, tenant.id, lead.id).stage == "new"
    lost = _move(session, tenant, lead.id, "lost", lost_reason="Went with a competitor")
    assert lost.stage == "lost" and lost.lost_reason == "Went with a competitor"
    with pytest.raises(InvalidState, match="can become: new"):
        _move(session, tenant, lead.id, "contacted")
    again = _move(session, tenant, lead.id, "new", note="called back")
    assert again.stage == "new" and again.lost_reason == ""
    bodies = [a.body for a in session.query(LeadActivity).filter_by(lead_id=lead.id)]
    assert "Lost: Went with a competitor" in bodies


def test_a_lead_needs_a_name_and_a_way_to_reach_them() -> None:
    with pytest.raises(ValueError, match="email or a phone"):
        schemas.LeadCreate.model_validate({"name": "Ada"})
    with pytest.raises(ValueError, match="latitude and longitude"):
        schemas.LeadCreate.model_validate({"name": "Ada", "phone": "0803",
                                           "latitude": "6.5"})


def test_the_list_filters_by_stage_owner_and_follow_up(session: Session, settings: Settings,
                                                        tenant: Tenant,
                                                        other_tenant: Tenant) -> None:
    seller = make_user(session, settings, tenant, "sales")
    due = make_lead(session, tenant, name="Due Today", follow_up_date="2030-01-10",
                    owner_id=str(seller.user.id))
    later = make_lead(session, tenant, name="Due Later", follow_up_date="2030-02-01")
    _move(session, tenant, later.id, "contacted")
    make_lead(session, other_tenant, name="Theirs")

    def names(**filters: object) -> list[str]:
        return sorted(lead.name for lead in leads.list_leads(
            session, tenant.id, PageParams(), **filters).items)

    assert names() == ["Due Later", "Due Today"]
    assert names(stage=["contacted"]) == ["Due Later"]
    assert names(owner_id=seller.user.id) == ["Due Today"]
    assert names(unowned=True) == ["Due Later"]
    assert names(due_by=date(2030, 1, 10)) == ["Due Today"]
    assert leads.follow_up_due(due, date(2030, 1, 10))
    with pytest.raises(ValidationFailed, match="owner_id: no such staff user"):
        leads.update_lead(session, tenant.id, due.id, schemas.LeadUpdate(
            owner_id=make_user(session, settings, other_tenant, "sales").user.id))
