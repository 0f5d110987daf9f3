"""Configuration backup JSON API: versions, their text, diffs, and backup now."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from dotmac_isp.modules.identity.deps import AppSettings, DbSession, require
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.modules.network.devices.backups import service
from dotmac_isp.modules.network.devices.backups.models import ConfigBackup
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.sdks.ssh_backup import ConfigBackupError
from dotmac_isp.shared.pagination import Page, PageParams, page_params
from dotmac_isp.shared.types import utcnow
from dotmac_isp.shared.web_errors import error_response

router = APIRouter(tags=["config-backups"])
Paging = Annotated[PageParams, Depends(page_params)]
READ, WRITE = require(Permission.NETWORK_READ), require(Permission.NETWORK_WRITE)


class BackupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    device_id: uuid.UUID
    version: int
    sha256: str
    size_bytes: int
    lines_added: int
    lines_removed: int
    collected_at: datetime
    last_confirmed_at: datetime


class BackupContentOut(BackupOut):
    content: str


class BackupRunOut(BaseModel):
    changed: bool
    backup: BackupOut


class DiffOut(BaseModel):
    backup_id: uuid.UUID
    version: int
    against_id: uuid.UUID | None
    against_version: int | None
    diff: str


@router.get("/devices/{device_id}/config-backups", response_model=Page[BackupOut])
def list_backups(device_id: uuid.UUID, session: DbSession, paging: Paging,
                 principal: Principal = READ) -> Page[ConfigBackup]:
    """The device's configuration versions, newest first (text omitted)."""
    return service.list_backups(session, principal.tenant_id, device_id, paging)


@router.post("/devices/{device_id}/config-backups", response_model=BackupRunOut,
             responses={502: {"description": "the device could not be reached over SSH"}})
def run_backup(device_id: uuid.UUID, session: DbSession, settings: AppSettings,
               principal: Principal = WRITE) -> BackupRunOut | JSONResponse:
    """Fetch the configuration now over SSH; a new version is stored only if it changed."""
    outcome = service.backup_now(session, settings, principal.tenant_id, device_id, utcnow(),
                                 get_devices_settings().backup_timeout_seconds)
    if outcome.backup is None:
        # The failure is recorded on the device (and committed); the caller sees why.
        return error_response(ConfigBackupError(outcome.error))
    return BackupRunOut(changed=outcome.changed,
                        backup=BackupOut.model_validate(outcome.backup))


@router.get("/config-backups/{backup_id}", response_model=BackupContentOut)
def get_backup(backup_id: uuid.UUID, session: DbSession,
               principal: Principal = READ) -> ConfigBackup:
    return service.get_backup(session, principal.tenant_id, backup_id)


@router.get("/config-backups/{backup_id}/diff", response_model=DiffOut)
def backup_diff(backup_id: uuid.UUID, session: DbSession,
                against: uuid.UUID | None = Query(None, description="default: previous version"),
                principal: Principal = READ) -> DiffOut:
    """Unified diff from an earlier version (by default the previous one) to this one."""
    base, backup, text = service.diff(session, principal.tenant_id, backup_id, against)
    return DiffOut(backup_id=backup.id, version=backup.version,
                   against_id=base.id if base else None,
                   against_version=base.version if base else None, diff=text)
