"""Teams tickets are routed to."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.support.models import Team
from dotmac_isp.modules.support.repository import TeamRepository
from dotmac_isp.modules.support.sla_schemas import TeamIn
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams


def list_teams(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[Team]:
    repo = TeamRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(Team.name))


def get_team(session: Session, tenant_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    return TeamRepository(session, tenant_id).get(team_id)


def _check_name(session: Session, tenant_id: uuid.UUID, name: str,
                own: uuid.UUID | None) -> None:
    found = session.scalar(select(Team.id).where(Team.tenant_id == tenant_id, Team.name == name))
    if found is not None and found != own:
        raise Conflict(f"a team named {name!r} exists")


def create_team(session: Session, tenant_id: uuid.UUID, data: TeamIn) -> Team:
    _check_name(session, tenant_id, data.name, None)
    return TeamRepository(session, tenant_id).add(Team(
        name=data.name, email=(data.email or "").lower(), description=data.description))


def update_team(session: Session, tenant_id: uuid.UUID, team_id: uuid.UUID,
                data: TeamIn) -> Team:
    team = get_team(session, tenant_id, team_id)
    _check_name(session, tenant_id, data.name, team.id)
    team.name, team.email = data.name, (data.email or "").lower()
    team.description = data.description
    session.flush()
    return team


def delete_team(session: Session, tenant_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """Tickets of the team keep their assignee and lose the team."""
    repo = TeamRepository(session, tenant_id)
    repo.delete(repo.get(team_id))
