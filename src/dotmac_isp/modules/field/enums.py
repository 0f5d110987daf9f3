"""Work order kinds, statuses and their legal moves."""

from __future__ import annotations

from enum import StrEnum


class WorkOrderKind(StrEnum):
    INSTALLATION = "installation"
    REPAIR = "repair"
    RELOCATION = "relocation"
    REMOVAL = "removal"
    SITE_SURVEY = "site_survey"
    MAINTENANCE = "maintenance"


class WorkOrderStatus(StrEnum):
    NEW = "new"
    SCHEDULED = "scheduled"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = WorkOrderStatus
TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    S.NEW: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.EN_ROUTE, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.CANCELLED}),
    S.ON_SITE: frozenset({S.DONE, S.FAILED, S.CANCELLED}),
    S.DONE: frozenset(),  # final: more work is a new work order
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL = frozenset({S.DONE, S.FAILED, S.CANCELLED})
OPEN = frozenset(set(WorkOrderStatus) - FINAL)
# A technician's time is taken by work orders in these statuses (for the overlap check).
BOOKED = frozenset({S.SCHEDULED, S.EN_ROUTE, S.ON_SITE})
# Scheduling (first time or again) is possible before the technician sets off.
SCHEDULABLE = frozenset({S.NEW, S.SCHEDULED})


class HistoryKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    SIGNATURE = "signature"
