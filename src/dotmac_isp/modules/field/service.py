"""Work orders: create, read, change, move through their statuses; completing one runs the
installation's activation and the registered completion hooks in the same transaction.
Services flush only; the caller's unit of work commits."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.field import checklists, history, hooks, schemas
from dotmac_isp.modules.field.access import Scope, scope_of, whole_tenant
from dotmac_isp.modules.field.enums import (
    FINAL,
    TRANSITIONS,
    HistoryKind,
    WorkOrderKind,
    WorkOrderStatus,
)
from dotmac_isp.modules.field.models import WorkOrder, WorkOrderHistory
from dotmac_isp.modules.field.repository import HistoryRepository, WorkOrderRepository
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.alerts import service as alerts_service
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.services import schemas as services_schemas
from dotmac_isp.modules.services import service as services_service
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.support import service as support_service
from dotmac_isp.shared import references, sequences
from dotmac_isp.shared.errors import InvalidState, ValidationFailed
from dotmac_isp.shared.keyset import KeyOrder
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.types import utcnow

NUMBER_COUNTER = "work_order_number"
S = WorkOrderStatus
ORDER = KeyOrder(WorkOrder.created_at, WorkOrder.id)
# An installation completes the subscription it was for when that is not yet in service.
NOT_YET_IN_SERVICE = frozenset({SubscriptionStatus.PENDING, SubscriptionStatus.PROVISIONING})


class IllegalMove(InvalidState):
    """The work order cannot move to that status from where it is."""

    code = "illegal_transition"


def format_number(value: int) -> str:
    return f"WO{value:06d}"


def get_work_order(session: Session, tenant_id: uuid.UUID | Scope, work_order_id: uuid.UUID,
                   *, for_update: bool = False) -> WorkOrder:
    """The work order (404 when it is not the tenant's, or not the scope's technician's)."""
    scope = tenant_id if isinstance(tenant_id, Scope) else whole_tenant(tenant_id)
    return WorkOrderRepository(session, scope).get(work_order_id, for_update=for_update)


def numbers_of(session: Session, tenant_id: uuid.UUID,
               ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """{id: number} of the tenant's work orders among the ids (one query per 500)."""
    wanted, found = list(set(ids)), dict[uuid.UUID, str]()
    repo = WorkOrderRepository(session, whole_tenant(tenant_id))
    for start in range(0, len(wanted), 500):
        found.update(session.execute(repo.select(WorkOrder.id, WorkOrder.number).where(
            WorkOrder.id.in_(wanted[start:start + 500]))).tuples().all())
    return found


def list_work_orders(session: Session, scope: Scope, params: PageParams,
                     **filters: object) -> Page[WorkOrder]:
    """Newest first, paged by key (has-more and cursors, no count)."""
    repo = WorkOrderRepository(session, scope)
    return repo.list_by_key(params, repo.search(**filters), ORDER)  # type: ignore[arg-type]


def for_customer(session: Session, scope: Scope, customer_id: uuid.UUID,
                 limit: int = 50) -> list[WorkOrder]:
    return list(list_work_orders(session, scope, PageParams(limit=limit),
                                 customer_id=customer_id).items)


def for_ticket(session: Session, scope: Scope, ticket_id: uuid.UUID,
               limit: int = 50) -> list[WorkOrder]:
    return list(list_work_orders(session, scope, PageParams(limit=limit),
                                 ticket_id=ticket_id).items)


def service_address(customer: Customer) -> tuple[str, object, object]:
    """(one line, latitude, longitude) of the customer's service address (else the first)."""
    addresses = sorted(customer.addresses, key=lambda a: a.kind != "service")
    if not addresses:
        return "", None, None
    first = addresses[0]
    return first.one_line(), first.latitude, first.longitude


def _references(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID,
                data: schemas.WorkOrderCreate | schemas.WorkOrderUpdate,
                fields: set[str]) -> None:
    """Body ids must name this tenant's rows (another tenant's id: the same 422)."""
    if "subscription_id" in fields and data.subscription_id is not None:
        sub = references.referenced(session, partial(services_service.get_subscription,
                                                     session, tenant_id),
                                    data.subscription_id, "subscription_id", "subscription")
        if sub.customer_id != customer_id:
            raise ValidationFailed("subscription_id: the subscription belongs to another "
                                   "customer")
    if "ticket_id" in fields and data.ticket_id is not None:
        ticket = references.referenced(session, partial(support_service.get_ticket, session,
                                                        tenant_id),
                                       data.ticket_id, "ticket_id", "ticket")
        if ticket.customer_id != customer_id:
            raise ValidationFailed("ticket_id: the ticket belongs to another customer")
    if "device_id" in fields:
        references.optional(session, partial(devices_service.find_device, session, tenant_id),
                            data.device_id, "device_id", "device")
    if "incident_id" in fields:
        references.optional(session, partial(alerts_service.get_incident, session, tenant_id),
                            data.incident_id, "incident_id", "incident")


def create_work_order(session: Session, tenant_id: uuid.UUID, data: schemas.WorkOrderCreate,
                      *, now: datetime | None = None) -> WorkOrder:
    """A new work order: next number, the customer's service address unless one is given,
    and the kind's checklist copied onto it."""
    now = now or utcnow()
    customer = references.referenced(session, partial(customers_service.get_customer, session,
                                                      tenant_id),
                                     data.customer_id, "customer_id", "customer")
    _references(session, tenant_id, customer.id, data,
                {"subscription_id", "ticket_id", "device_id", "incident_id"})
    address, latitude, longitude = service_address(customer)
    if data.address is not None and data.address.strip():
        address, latitude, longitude = " ".join(data.address.split()), None, None
    if data.latitude is not None:
        latitude, longitude = data.latitude, data.longitude
    number = format_number(sequences.next_value(session, tenant_id, NUMBER_COUNTER))
    work_order = WorkOrderRepository(session, whole_tenant(tenant_id)).add(WorkOrder(
        number=number, kind=data.kind.value, status=S.NEW.value, customer_id=customer.id,
        subscription_id=data.subscription_id, ticket_id=data.ticket_id,
        device_id=data.device_id, incident_id=data.incident_id,
        description=data.description.strip(), address=address[:500], latitude=latitude,
        longitude=longitude, duration_minutes=data.duration_minutes, status_changed_at=now,
        created_at=now, updated_at=now))
    checklists.copy_template(session, work_order)
    history.record(session, work_order, HistoryKind.CREATED, None, S.NEW.value,
                   f"{data.kind.value.replace('_', ' ')} for {customer.number}", now)
    session.flush()
    return work_order


def update_work_order(session: Session, scope: Scope, work_order_id: uuid.UUID,
                      data: schemas.WorkOrderUpdate) -> WorkOrder:
    """Change the fields sent; a finished work order stays as it was."""
    work_order = get_work_order(session, scope, work_order_id, for_update=True)
    if WorkOrderStatus(work_order.status) in FINAL:
        raise InvalidState(f"the work order is {work_order.status}; it can no longer be "
                           "changed")
    sent = set(data.model_fields_set)
    _references(session, scope.tenant_id, work_order.customer_id, data, sent)
    for field in ("subscription_id", "ticket_id", "device_id", "incident_id", "latitude",
                  "longitude"):
        if field in sent:
            setattr(work_order, field, getattr(data, field))
    if "description" in sent and data.description is not None:
        work_order.description = data.description.strip()
    if "address" in sent and data.address is not None:
        work_order.address = " ".join(data.address.split())
    if "duration_minutes" in sent and data.duration_minutes is not None:
        work_order.duration_minutes = data.duration_minutes
    session.flush()
    return work_order


def check_move(current: WorkOrderStatus, target: WorkOrderStatus) -> None:
    if target == current:
        raise IllegalMove(f"the work order is already {current.value.replace('_', ' ')}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or \
            "nothing (it is finished)"
        raise IllegalMove(f"a {current.value} work order cannot become {target.value} "
                          f"(it can become: {allowed})")


def change_status(session: Session, scope: Scope, work_order_id: uuid.UUID,
                  target: WorkOrderStatus, *, note: str = "", now: datetime | None = None,
                  settings: Settings | None = None) -> WorkOrder:
    """Make one legal move; done needs every required checklist item ticked, and completes
    an installation's pending subscription and the registered hooks."""
    now = now or utcnow()
    work_order = get_work_order(session, scope, work_order_id, for_update=True)
    current = WorkOrderStatus(work_order.status)
    check_move(current, target)
    if target == S.SCHEDULED:
        raise IllegalMove("a work order becomes scheduled when it is given a technician and "
                          "a time window: schedule it")
    if target == S.DONE:
        missing = checklists.missing_required(session, work_order)
        if missing:
            raise InvalidState("tick the required checklist items first: "
                               + ", ".join(missing))
    work_order.status, work_order.status_changed_at = target.value, now
    if target == S.DONE:
        work_order.completed_at = now
    history.record(session, work_order, HistoryKind.STATUS, current.value, target.value, note,
                   now)
    session.flush()
    if target == S.DONE:
        _complete(session, work_order)
    return work_order


def _complete(session: Session, work_order: WorkOrder) -> None:
    if work_order.kind == WorkOrderKind.INSTALLATION and work_order.subscription_id:
        sub = services_service.get_subscription(session, work_order.tenant_id,
                                                work_order.subscription_id)
        if sub.status in NOT_YET_IN_SERVICE:
            services_service.request_status(
                session, work_order.tenant_id, sub.id, services_schemas.ServiceStatusUpdate(
                    status=SubscriptionStatus.ACTIVE,
                    reason=f"installed: work order {work_order.number} done"))
    hooks.run_completion(session, work_order)
    session.flush()


def list_history(session: Session, scope: Scope, work_order_id: uuid.UUID,
                 params: PageParams) -> Page[WorkOrderHistory]:
    work_order = get_work_order(session, scope, work_order_id)
    repo = HistoryRepository(session, scope.tenant_id)
    return repo.list(params, repo.for_order(work_order.id))


def next_statuses(work_order: WorkOrder) -> list[str]:
    """The moves a person can make by hand (scheduling is done by scheduling)."""
    return [s.value for s in WorkOrderStatus
            if s in TRANSITIONS[WorkOrderStatus(work_order.status)] and s != S.SCHEDULED]


def work_orders_box(session: Session, principal: Principal, *,
                    customer_id: uuid.UUID | None = None, ticket_id: uuid.UUID | None = None,
                    new_link: str = "") -> dict[str, object]:
    """What a customer's or a ticket's page shows of its work orders (the template
    field/_linked.html); nothing for those who may not read work orders."""
    if not principal.has(Permission.FIELD_READ):
        return {"work_orders": None}
    found = list_work_orders(session, scope_of(principal), PageParams(limit=50),
                             customer_id=customer_id, ticket_id=ticket_id).items
    zone = ZoneInfo(identity_service.get_tenant(session, principal.tenant_id).timezone)

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    return {"work_orders": list(found), "new_link": new_link, "wo_when": when}
