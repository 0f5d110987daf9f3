"""Staff pages to create and edit sites and devices. SNMP secrets are write-only: the form
says whether one is set, never what it is; leaving the field empty keeps it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, page_permission
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.network.devices import schemas, service
from dotmac_isp.modules.network.devices.enums import (
    DeviceStatus,
    DeviceType,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpVersion,
)
from dotmac_isp.modules.network.devices.models import Device, Site
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.forms import FormReader, all_or_nothing
from dotmac_isp.web.templating import flash, render, verify_csrf

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Permission
SITE_LABELS = {"name": "Name", "description": "Description", "address": "Address",
               "latitude": "Latitude", "longitude": "Longitude"}
LABELS = {
    "name": "Name", "device_type": "Type", "vendor": "Vendor", "model": "Model",
    "serial_number": "Serial number", "firmware_version": "Firmware",
    "management_ip": "Management IP", "site_id": "Site", "status": "Status", "notes": "Notes",
    "monitoring_enabled": "Monitor with SNMP", "snmp_version": "SNMP version",
    "snmp_port": "SNMP port", "snmp_community": "SNMP community",
    "snmp_username": "SNMPv3 user", "snmp_auth_protocol": "SNMPv3 auth protocol",
    "snmp_auth_key": "SNMPv3 auth key", "snmp_priv_protocol": "SNMPv3 privacy protocol",
    "snmp_priv_key": "SNMPv3 privacy key", "poll_interval_seconds": "Poll every (seconds)",
    "latitude": "Latitude", "longitude": "Longitude",
}
SECRETS = ("snmp_community", "snmp_auth_key", "snmp_priv_key")
TEXTS = ("name", "device_type", "vendor", "model", "serial_number", "firmware_version",
         "status", "notes", "snmp_version", "snmp_username", "snmp_auth_protocol",
         "snmp_priv_protocol")


def _site_page(request: Request, session: DbSession, user: User, name: str,
               **extra: Any) -> HTMLResponse:
    sites = service.list_sites(session, user.tenant_id, PageParams(limit=200)).items
    context = {"current_user": user, "sites": sites, "labels": SITE_LABELS, "errors": [],
               "form": {}, "site": None, **extra}
    return render(request, name, context, status_code=422 if context["errors"] else 200)


def _site_data(reader: FormReader) -> dict[str, Any]:
    data: dict[str, Any] = {"name": reader.text("name", required=True),
                            "description": reader.raw("description"),
                            "address": reader.raw("address")}
    for key in ("latitude", "longitude"):
        data[key] = reader.amount(key)
    return data


@router.get("/sites", response_class=HTMLResponse)
def site_list(request: Request, session: DbSession,
              user: User = page_permission(P.NETWORK_READ)) -> HTMLResponse:
    return _site_page(request, session, user, "devices/sites.html")


@router.post("/sites", response_class=HTMLResponse)
async def create_site(request: Request, session: DbSession,
                      user: User = page_permission(P.NETWORK_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, SITE_LABELS)
    site = _save_site(session, user, reader, None)
    if site is None:
        return _site_page(request, session, user, "devices/sites.html", form=form,
                          errors=reader.errors)
    flash(request, f"Site {site.name} added.")
    return RedirectResponse("/admin/sites", status_code=303)


def _save_site(session: DbSession, user: User, reader: FormReader,
               site: Site | None) -> Site | None:
    data = _site_data(reader)
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        checked = schemas.SiteCreate.model_validate({k: v for k, v in data.items()
                                                     if v is not None})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k, v in SITE_LABELS.items() if v in bad})
        return None
    if reader.errors:
        return None
    try:
        if site is None:
            return service.create_site(session, user.tenant_id, checked)
        update = schemas.SiteUpdate.model_validate(checked.model_dump())
        return all_or_nothing(session, lambda: service.update_site(
            session, user.tenant_id, site.id, update), site)
    except AppError as exc:
        reader.fail("name", exc.detail)
        return None


@router.get("/sites/{site_id}/edit", response_class=HTMLResponse)
def edit_site(request: Request, site_id: uuid.UUID, session: DbSession,
              user: User = page_permission(P.NETWORK_WRITE)) -> HTMLResponse:
    site = service.get_site(session, user.tenant_id, site_id)
    form = {k: getattr(site, k) for k in SITE_LABELS}
    return _site_page(request, session, user, "devices/site_form.html", site=site, form=form)


@router.post("/sites/{site_id}/edit", response_class=HTMLResponse)
async def save_site(request: Request, site_id: uuid.UUID, session: DbSession,
                    user: User = page_permission(P.NETWORK_WRITE)) -> Response:
    form = await verify_csrf(request)
    site = service.get_site(session, user.tenant_id, site_id)
    reader = FormReader(form, SITE_LABELS)
    if _save_site(session, user, reader, site) is None:
        return _site_page(request, session, user, "devices/site_form.html", site=site,
                          form=form, errors=reader.errors)
    flash(request, f"Site {site.name} saved.")
    return RedirectResponse("/admin/sites", status_code=303)


def _device_page(request: Request, session: DbSession, user: User, device: Device | None,
                 form: dict[str, Any], errors: list[str] | None = None) -> HTMLResponse:
    sites = service.list_sites(session, user.tenant_id, PageParams(limit=500)).items
    return render(request, "devices/device_form.html", {
        "current_user": user, "device": device, "form": form, "errors": errors or [],
        "labels": LABELS, "sites": sites, "types": [t.value for t in DeviceType],
        "statuses": [s.value for s in DeviceStatus], "versions": [v.value for v in SnmpVersion],
        "auth_protocols": [a.value for a in SnmpAuthProtocol],
        "priv_protocols": [p.value for p in SnmpPrivProtocol],
        "secret_set": {name: bool(device is not None and getattr(device, f"{name}_enc"))
                       for name in SECRETS}}, status_code=422 if errors else 200)


def _device_data(reader: FormReader, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {k: reader.raw(k) for k in TEXTS}
    data["management_ip"] = reader.raw("management_ip") or None
    site = reader.raw("site_id")
    data["site_id"] = site or None
    data["monitoring_enabled"] = reader.checked("monitoring_enabled")
    data["snmp_port"] = reader.whole("snmp_port")
    data["poll_interval_seconds"] = reader.whole("poll_interval_seconds")
    for key in ("latitude", "longitude"):  # empty: at the site's coordinates
        data[key] = reader.amount(key)
    data["snmp_username"] = data["snmp_username"] or None
    for key in ("vendor", "model", "serial_number", "firmware_version", "notes"):
        data[key] = data[key] or ("" if not creating else None)
    for secret in SECRETS:  # empty keeps the stored secret
        value = reader.raw(secret)
        if value:
            data[secret] = value
        elif reader.checked(f"clear_{secret}"):
            data[secret] = None
    return {k: v for k, v in data.items()
            if v is not None or k in ("management_ip", "site_id", "snmp_username", *SECRETS)
            or (k in ("latitude", "longitude") and not creating)}


@router.get("/devices/new", response_class=HTMLResponse)
def new_device(request: Request, session: DbSession,
               user: User = page_permission(P.NETWORK_WRITE)) -> HTMLResponse:
    return _device_page(request, session, user, None, {
        "device_type": "router", "status": "active", "snmp_version": "v2c", "snmp_port": 161,
        "poll_interval_seconds": 300, "monitoring_enabled": True})


@router.post("/devices/new", response_class=HTMLResponse)
async def create_device(request: Request, session: DbSession, settings: AppSettings,
                        user: User = page_permission(P.NETWORK_WRITE)) -> Response:
    form = await verify_csrf(request)
    reader = FormReader(form, LABELS)
    data = _device_data(reader, creating=True)
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        device_in = schemas.DeviceCreate.model_validate(
            {k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k, v in LABELS.items() if v in bad})
        device_in = None
    if device_in is not None and not reader.errors:
        try:
            device = service.create_device(session, settings, user.tenant_id, device_in)
        except AppError as exc:
            reader.errors.append(reader.relabel(exc.detail))
        else:
            flash(request, f"Device {device.name} added.")
            return RedirectResponse(f"/admin/devices/{device.id}", status_code=303)
    return _device_page(request, session, user, None, _shown(form), reader.errors)


def _shown(form: dict[str, Any]) -> dict[str, Any]:
    """What was typed, for correcting, without the secrets."""
    return {k: v for k, v in form.items() if k not in SECRETS and k != "csrf_token"} | {
        "monitoring_enabled": bool(form.get("monitoring_enabled"))}


@router.get("/devices/{device_id}/edit", response_class=HTMLResponse)
def edit_device(request: Request, device_id: uuid.UUID, session: DbSession,
                user: User = page_permission(P.NETWORK_WRITE)) -> HTMLResponse:
    device = service.get_device(session, user.tenant_id, device_id)
    form = {k: getattr(device, k) for k in (*TEXTS, "management_ip", "site_id",
                                            "monitoring_enabled", "snmp_port",
                                            "poll_interval_seconds", "latitude", "longitude")}
    return _device_page(request, session, user, device, form)


@router.post("/devices/{device_id}/edit", response_class=HTMLResponse)
async def save_device(request: Request, device_id: uuid.UUID, session: DbSession,
                      settings: AppSettings,
                      user: User = page_permission(P.NETWORK_WRITE)) -> Response:
    form = await verify_csrf(request)
    device = service.get_device(session, user.tenant_id, device_id)
    reader = FormReader(form, LABELS)
    data = _device_data(reader, creating=False)
    bad = {e.split(":")[0] for e in reader.errors}
    try:
        changes = schemas.DeviceUpdate.model_validate(data)
    except ValidationError as exc:
        reader.add_validation(exc, skip={k for k, v in LABELS.items() if v in bad})
        changes = None
    if changes is not None and not reader.errors:
        try:
            all_or_nothing(session, lambda: service.update_device(
                session, settings, user.tenant_id, device.id, changes), device)
        except AppError as exc:
            reader.errors.append(reader.relabel(exc.detail))
        else:
            flash(request, f"Device {device.name} saved.")
            return RedirectResponse(f"/admin/devices/{device.id}", status_code=303)
    return _device_page(request, session, user, device, _shown(form), reader.errors)
