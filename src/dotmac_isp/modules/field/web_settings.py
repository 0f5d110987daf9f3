"""Settings: the checklist each kind of work order starts with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dotmac_isp.modules.field import checklists, schemas
from dotmac_isp.modules.field.enums import WorkOrderKind
from dotmac_isp.modules.field.web_common import helpers
from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.web.forms import FormErrors, all_or_nothing, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/settings")
P = Permission
OPTIONAL = "(optional)"


def as_text(lines: list[schemas.ChecklistLine]) -> str:
    return "\n".join(f"{line.label} {OPTIONAL}" if not line.required else line.label
                     for line in lines)


def from_text(text: str) -> list[dict[str, Any]]:
    items = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        optional = line.lower().endswith(OPTIONAL)
        label = line[: -len(OPTIONAL)].strip() if optional else line
        items.append({"label": label, "required": not optional})
    return items


def _page(request: Request, session: Session, user: User, *, kind: str = "",
          text: str = "", errors: FormErrors | None = None,
          status_code: int = 200) -> HTMLResponse:
    saved = {k: as_text(v) for k, v in checklists.templates(session, user.tenant_id).items()}
    if kind:
        saved[kind] = text
    return render(request, "field/settings.html", {
        **helpers(session, user), "lists": saved, "errors": errors or [], "failed": kind},
        status_code=status_code)


@router.get("", response_class=HTMLResponse)
def settings_page(request: Request, session: DbSession,
                  user: User = page_permission(P.FIELD_READ)) -> HTMLResponse:
    return _page(request, session, user)


@router.post("/{kind}")
async def save(request: Request, kind: str, session: DbSession,
               user: User = page_permission(P.FIELD_DISPATCH)) -> Response:
    if kind not in {k.value for k in WorkOrderKind}:
        raise NotFound("no such kind of work order")
    form = await verify_csrf(request)
    text = str(form.get("items", ""))
    labels = {"items": f"{kind.replace('_', ' ').capitalize()} checklist"}
    data, errors = validate_form(schemas.ChecklistTemplateIn,
                                 {"kind": kind, "items": from_text(text)}, labels,
                                 {"items.label": "items", "items": "items"})
    if data is None:
        return _page(request, session, user, kind=kind, text=text, errors=errors,
                     status_code=422)
    valid = data
    all_or_nothing(session, lambda: checklists.set_template(session, user.tenant_id, valid))
    flash(request, f"The {kind.replace('_', ' ')} checklist is saved.")
    return RedirectResponse("/admin/field/settings", status_code=303)
