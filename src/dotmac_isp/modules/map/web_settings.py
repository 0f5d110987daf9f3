"""Staff page for the map's settings: the tile server (and its attribution) and the
Nominatim-compatible geocoder with the User-Agent it is asked with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_isp.modules.identity.deps import DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.map import schemas, tenant_settings
from dotmac_isp.web.forms import FormErrors, validate_form
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin/settings/map", include_in_schema=False)
FIELDS = ("tile_url", "tile_attribution", "geocoder_url", "geocoder_user_agent")
LABELS = {"tile_url": "Tile URL", "tile_attribution": "Tile attribution",
          "geocoder_url": "Geocoder search URL", "geocoder_user_agent": "Geocoder User-Agent"}


def _page(request: Request, user: User, form: dict[str, Any],
          errors: FormErrors | None = None) -> HTMLResponse:
    return render(request, "map/settings.html", {
        "current_user": user, "form": form, "labels": LABELS, "errors": errors or []},
        status_code=422 if errors else 200)


@router.get("", response_class=HTMLResponse)
def map_settings_page(request: Request, session: DbSession,
                      user: User = page_permission(Permission.MAP_WRITE)) -> HTMLResponse:
    conf = tenant_settings.map_settings(session, user.tenant_id)
    return _page(request, user, {k: getattr(conf, k) for k in FIELDS})


@router.post("", response_class=HTMLResponse)
async def save_map_settings(request: Request, session: DbSession,
                            user: User = page_permission(Permission.MAP_WRITE)) -> Response:
    form = await verify_csrf(request)
    shown = {k: str(form.get(k, "")).strip() for k in FIELDS}
    valid, errors = validate_form(schemas.MapSettingsIn, shown, LABELS)
    if valid is None:
        return _page(request, user, shown, errors)
    tenant_settings.save_settings(session, user.tenant_id, valid)
    flash(request, "Map settings saved.")
    return RedirectResponse("/admin/settings/map", status_code=303)
