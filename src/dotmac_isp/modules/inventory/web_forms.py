"""The movement forms: receive, transfer, issue, install, return and write off. Items are
named by serial, subscriptions by RADIUS username; every problem is shown beside its field
and a refused movement commits nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.inventory import catalogue, movements, queries, schemas
from dotmac_isp.modules.inventory.models import Movement
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.errors import AppError, NotFound
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormReader, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter()
P = Permission
LABELS = {
    "location_id": "Location", "from_location_id": "From location",
    "to_location_id": "To location", "item_model_id": "Model", "units": "Units",
    "serials": "Serials", "quantity": "Quantity", "subscription": "Subscription",
    "work_order_id": "Work order", "technician_id": "Technician", "faulty": "Faulty",
    "note": "Note",
}
# kind -> (title, fields in page order)
FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "receive": ("Receive stock", ("location_id", "item_model_id", "units", "quantity",
                                  "work_order_id", "note")),
    "transfer": ("Transfer", ("from_location_id", "to_location_id", "serials",
                              "item_model_id", "quantity", "note")),
    "issue": ("Issue", ("from_location_id", "serials", "item_model_id", "quantity",
                        "work_order_id", "technician_id", "note")),
    "install": ("Install at a subscription", ("serials", "from_location_id", "subscription",
                                              "work_order_id", "note")),
    "return": ("Return", ("serials", "subscription", "to_location_id", "faulty",
                          "work_order_id", "note")),
    "write-off": ("Write off", ("serials", "from_location_id", "item_model_id", "quantity",
                               "note")),
}
DO: dict[str, Callable[..., list[Movement]]] = {
    "receive": movements.receive, "transfer": movements.transfer, "issue": movements.issue,
    "install": movements.install, "return": movements.return_goods,
    "write-off": movements.write_off}
BODIES: dict[str, type[Any]] = {
    "receive": schemas.ReceiveIn, "transfer": schemas.TransferIn, "issue": schemas.IssueIn,
    "install": schemas.InstallIn, "return": schemas.ReturnIn, "write-off": schemas.WriteOffIn}
# where a body's field is shown on the page
FIELD_OF = {"item_ids": "serials", "subscription_id": "subscription",
            "from_subscription_id": "subscription", "from_work_order_id": "work_order_id"}


def parse_uuid(reader: FormReader, name: str, *, required: bool = False) -> uuid.UUID | None:
    value = reader.text(name, required=required)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        reader.fail(name, f"{value!r} is not an id such as 0b5e7a43-2d1c-4f6e-9a8b-7c6d5e4f3a21")
        return None


def _serials(session: Session, user: User, reader: FormReader) -> list[uuid.UUID]:
    lines = [line.split()[0] for line in reader.raw("serials").splitlines() if line.split()]
    found = queries.items_by_serial(session, user.tenant_id, lines)
    ids: list[uuid.UUID] = []
    for serial in lines:
        items = found.get(serial, [])
        if len(items) != 1:
            reader.fail("serials", f"{serial}: no such item" if not items else
                        f"{serial} is the serial of {len(items)} items of different models")
        elif items[0].id not in ids:
            ids.append(items[0].id)
    return ids


def _units(reader: FormReader) -> list[dict[str, str]]:
    units = []
    for line in reader.raw("units").splitlines():
        parts = line.split()
        if parts:
            units.append({"serial": parts[0], **({"mac": parts[1]} if len(parts) > 1 else {})})
    return units


def _body(session: Session, user: User, kind: str, reader: FormReader) -> dict[str, Any]:
    fields = FORMS[kind][1]
    data: dict[str, Any] = {"note": reader.raw("note")}
    for name in ("location_id", "from_location_id", "to_location_id", "item_model_id",
                 "work_order_id", "technician_id"):
        if name in fields:
            data[name] = parse_uuid(reader, name)
    if "quantity" in fields:
        data["quantity"] = reader.whole("quantity")
    if "units" in fields:
        data["units"] = _units(reader)
    if "serials" in fields:
        data["item_ids"] = _serials(session, user, reader)
    if "faulty" in fields:
        data["faulty"] = reader.checked("faulty")
    if "subscription" in fields and reader.raw("subscription"):
        sub = services.subscription_by_username(session, user.tenant_id,
                                                reader.raw("subscription"))
        if sub is None:
            reader.fail("subscription", f"no subscription with username "
                                        f"{reader.raw('subscription')!r}")
        else:
            data["subscription_id" if kind == "install" else "from_subscription_id"] = sub.id
    if kind == "install" and not data.get("from_location_id") and data.get("work_order_id"):
        data["from_work_order_id"] = data["work_order_id"]  # what was issued to the job
    return {k: v for k, v in data.items() if v is not None}


def _page(request: Request, session: Session, user: User, kind: str,
          form: dict[str, Any] | None = None, errors: Any = ()) -> HTMLResponse:
    tenant_id = user.tenant_id
    context = {
        "current_user": user, "kind": kind, "title": FORMS[kind][0], "fields": FORMS[kind][1],
        "labels": LABELS, "form": form or dict(request.query_params), "errors": errors,
        "locations": catalogue.list_locations(session, tenant_id, PageParams(limit=200)).items,
        "models": catalogue.list_item_models(session, tenant_id, PageParams(limit=200)).items,
        "staff": identity_service.list_users(session, tenant_id, PageParams(limit=200)).items}
    return render(request, "inventory/move.html", context, status_code=422 if errors else 200)


@router.get("/move/{kind}", response_class=HTMLResponse)
def move_form(request: Request, kind: str, session: DbSession,
              user: User = page_permission(P.INVENTORY_WRITE)) -> HTMLResponse:
    if kind not in FORMS:
        raise NotFound("no such movement")
    return _page(request, session, user, kind)


@router.post("/move/{kind}", response_class=HTMLResponse)
async def move(request: Request, kind: str, session: DbSession,
               user: User = page_permission(P.INVENTORY_WRITE)) -> Response:
    if kind not in FORMS:
        raise NotFound("no such movement")
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    data = _body(session, user, kind, reader)
    body = None
    try:
        body = BODIES[kind].model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            field = FIELD_OF.get(loc[0], loc[0]) if loc else None
            if field not in reader.failed():
                message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
                if loc:
                    reader.errors.add(field if field in LABELS else None,
                                      message[:1].lower() + message[1:])
                else:
                    reader.errors.add(None, reader.relabel(message))
    if body is not None and not reader.errors:
        try:
            done = all_or_nothing(session, lambda: DO[kind](session, user.tenant_id, body))
        except AppError as exc:
            field = exc.extra.get("field")
            reader.errors.refusal(exc, FIELD_OF.get(field, field) if field else None)
        else:
            flash(request, f"{FORMS[kind][0]}: {len(done)} movement(s) recorded.")
            first = done[0]
            target = (f"/admin/inventory/items/{first.item_id}" if first.item_id and
                      len(done) == 1 else "/admin/inventory")
            return RedirectResponse(target, status_code=303)
    return _page(request, session, user, kind, form=form, errors=reader.errors)
