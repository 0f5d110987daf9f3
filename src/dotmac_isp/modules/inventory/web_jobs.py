"""Equipment on a work order's pages (the staff page and the technician's job page): the
section showing it, and its two forms, install and take back. A refusal shows the same page
again with the reason beside the field; nothing of it is kept."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.field import sections
from dotmac_isp.modules.field.access import scope_of
from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.field.web_detail import detail_page
from dotmac_isp.modules.field.web_myday import job_page
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.inventory import on_site
from dotmac_isp.shared.errors import AppError
from dotmac_isp.web.forms import FormErrors, FormReader, all_or_nothing
from dotmac_isp.web.templating import flash, verify_csrf

router = APIRouter(prefix="/admin/field/work-orders/{order_id}/equipment",
                   include_in_schema=False)
P = Permission
LABELS = {"item_id": "Equipment", "code": "Serial or MAC", "back_item_id": "Equipment",
          "to_location_id": "Back to", "faulty": "Faulty"}
# a service's field -> the form's (None: above the form)
INSTALL_FIELDS = {"item_ids": "item_id", "item_id": "item_id", "code": "code"}
TAKE_BACK_FIELDS = {"item_ids": "back_item_id", "to_location_id": "to_location_id",
                    "faulty": "faulty"}


def hands_of(principal: Principal) -> on_site.Hands:
    return on_site.Hands(principal.user_id, principal.has(P.INVENTORY_WRITE))


@sections.on_work_order_page
def equipment_section(session: Session, principal: Principal, work_order: WorkOrder,
                      view: str) -> sections.Section | None:
    """The equipment of the work order, for those who may read work orders."""
    if not principal.has(P.FIELD_READ):
        return None
    data = on_site.equipment(session, scope_of(principal), work_order.id, hands_of(principal))
    return sections.Section("inventory/_work_order_equipment.html", data)


def _run(request: Request, session: Session, user: User, order_id: uuid.UUID,
         form: dict[str, Any], reader: FormReader, call: Callable[[], object],
         fields: dict[str, str], done: str) -> Response:
    errors: FormErrors = reader.errors
    if not errors:
        try:
            all_or_nothing(session, call)
        except AppError as exc:
            if exc.status_code == 404:
                raise
            field = exc.extra.get("field")
            errors.refusal(exc, fields.get(field) if field else None)
    view = "job" if form.get("view") == "job" else "detail"
    if errors:
        page = job_page if view == "job" else detail_page
        return page(request, session, user, order_id, errors=errors, form=form)
    flash(request, done)
    back = "my-day" if view == "job" else "work-orders"
    return RedirectResponse(f"/admin/field/{back}/{order_id}", status_code=303)


def _uuid(reader: FormReader, name: str) -> uuid.UUID | None:
    value = reader.raw(name)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        reader.fail(name, "choose one from the list")
        return None


@router.post("/install")
async def install(request: Request, order_id: uuid.UUID, session: DbSession,
                  user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    item_id, code = _uuid(reader, "item_id"), reader.raw("code")[:100]
    principal = request.state.principal
    return _run(request, session, user, order_id, form, reader, lambda: on_site.install(
        session, scope_of(principal), order_id, hands_of(principal), item_id=item_id,
        code=code), INSTALL_FIELDS, "Equipment installed.")


@router.post("/take-back")
async def take_back(request: Request, order_id: uuid.UUID, session: DbSession,
                    user: User = page_permission(P.FIELD_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    item_id, target = _uuid(reader, "back_item_id"), _uuid(reader, "to_location_id")
    if item_id is None and "back_item_id" not in reader.failed():
        reader.fail("back_item_id", "choose the equipment to take back")
    if target is None and "to_location_id" not in reader.failed():
        reader.fail("to_location_id", "choose where it goes")
    principal, faulty = request.state.principal, reader.checked("faulty")
    return _run(request, session, user, order_id, form, reader, lambda: on_site.take_back(
        session, scope_of(principal), order_id, hands_of(principal),
        item_id=item_id, to_location_id=target, faulty=faulty),  # type: ignore[arg-type]
        TAKE_BACK_FIELDS, "Equipment taken back" + (", marked faulty." if faulty else "."))
