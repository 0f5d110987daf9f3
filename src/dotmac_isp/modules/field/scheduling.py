"""Scheduling: a technician, a time window and the expected duration. A technician's
booked windows never overlap: the technician's user row is locked while the overlap is
checked and the new window written, so of two requests at once exactly one wins."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.field import history, notify, schemas
from dotmac_isp.modules.field.access import Scope, whole_tenant
from dotmac_isp.modules.field.enums import SCHEDULABLE, HistoryKind, WorkOrderStatus
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.field.repository import WorkOrderRepository
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.support import teams
from dotmac_isp.shared import references
from dotmac_isp.shared.errors import Conflict, InvalidState, ValidationFailed
from dotmac_isp.shared.types import utcnow

S = WorkOrderStatus


class ScheduleConflict(Conflict):
    """The technician is already booked at that time."""

    code = "schedule_conflict"


def can_work_orders(user: User) -> bool:
    return user.is_active and Permission.FIELD_WRITE.value in (user.role.permissions or [])


def technician(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = references.referenced(session, partial(identity_service.get_user, session,
                                                  tenant_id),
                                 user_id, "technician_id", "staff user")
    if not user.is_active:
        raise ValidationFailed("technician_id: that staff user is deactivated")
    if not can_work_orders(user):
        raise ValidationFailed("technician_id: that staff user's role cannot work orders "
                               "(it lacks field:write)")
    return user


def who(user: User) -> str:
    return user.full_name or user.email


def _clash_message(session: Session, user: User, clash: WorkOrder) -> str:
    timezone = identity_service.get_tenant(session, user.tenant_id).timezone
    assert clash.window_start is not None and clash.window_end is not None
    start = notify.local(clash.window_start, timezone)
    end = notify.local(clash.window_end, timezone)
    return (f"{who(user)} is already booked for {clash.number} on {start:%Y-%m-%d} from "
            f"{start:%H:%M} to {end:%H:%M}; pick another time or technician")


def schedule(session: Session, scope: Scope, work_order_id: uuid.UUID,
             data: schemas.ScheduleIn, *, settings: Settings | None = None,
             now: datetime | None = None) -> WorkOrder:
    """Give the work order a technician and a window (again, to reschedule it); the customer
    is emailed the appointment."""
    now = now or utcnow()
    repo = WorkOrderRepository(session, scope)
    work_order = repo.get(work_order_id, for_update=True)
    current = WorkOrderStatus(work_order.status)
    if current not in SCHEDULABLE:
        raise InvalidState(f"a {current.value.replace('_', ' ')} work order cannot be "
                           "scheduled (only new and scheduled ones can)")
    user = technician(session, scope.tenant_id, data.technician_id)
    if data.team_id is not None:
        references.referenced(session, partial(teams.get_team, session, scope.tenant_id),
                              data.team_id, "team_id", "team")
    identity_service.lock_user(session, scope.tenant_id, user.id)
    clashes = WorkOrderRepository(session, whole_tenant(scope.tenant_id)).overlapping(
        user.id, data.window_start, data.window_end, exclude=work_order.id)
    if clashes:
        raise ScheduleConflict(_clash_message(session, user, clashes[0]))
    moved = (work_order.window_start, work_order.window_end) != (data.window_start,
                                                                  data.window_end)
    changed = moved or work_order.technician_id != user.id
    work_order.technician_id, work_order.team_id = user.id, data.team_id
    work_order.window_start, work_order.window_end = data.window_start, data.window_end
    if data.duration_minutes is not None:
        work_order.duration_minutes = data.duration_minutes
    rescheduled = current == S.SCHEDULED
    note = data.note or f"{who(user)}, {data.window_start:%Y-%m-%d %H:%M}-" \
                        f"{data.window_end:%H:%M} UTC"
    if not rescheduled:
        work_order.status, work_order.status_changed_at = S.SCHEDULED.value, now
    if changed or not rescheduled:
        history.record(session, work_order,
                       HistoryKind.RESCHEDULED if rescheduled else HistoryKind.SCHEDULED,
                       current.value, S.SCHEDULED.value, note, now)
    session.flush()
    if moved or not rescheduled:
        notify.appointment_booked(session, work_order, settings, rescheduled=rescheduled)
    return work_order
