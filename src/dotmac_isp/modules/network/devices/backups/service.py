"""Configuration backup: fetch over SSH, keep a new version only when the text changed
(by SHA-256), and show unified diffs between versions. Services flush; callers commit."""

from __future__ import annotations

import difflib
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.devices import credentials, events
from dotmac_isp.modules.network.devices.backups.models import ConfigBackup
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.repository import DeviceRepository
from dotmac_isp.sdks import ssh_backup
from dotmac_isp.sdks.ssh_backup import ConfigBackupError, SshTarget
from dotmac_isp.shared.errors import NotFound, ValidationFailed
from dotmac_isp.shared.events import publish
from dotmac_isp.shared.pagination import Page, PageParams
from dotmac_isp.shared.tenancy import TenantRepository


class BackupRepository(TenantRepository[ConfigBackup]):
    model = ConfigBackup
    not_found_message = "configuration backup not found"

    def latest(self, device_id: uuid.UUID) -> ConfigBackup | None:
        return self.session.scalars(self.select().where(ConfigBackup.device_id == device_id)
                                    .order_by(ConfigBackup.version.desc()).limit(1)).first()


@dataclass
class BackupOutcome:
    device_id: uuid.UUID
    backup: ConfigBackup | None = None
    changed: bool = False
    error: str | None = None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ssh_target(settings: Settings, device: Device, timeout: float) -> SshTarget:
    kind = device.netmiko_device_type or ""
    command = device.backup_command or ssh_backup.default_command(kind) or ""
    if not device.management_ip or not device.ssh_username or not kind or not command:
        raise ValidationFailed("configuration backup needs management_ip, ssh_username, "
                               "netmiko_device_type and a backup command")
    return SshTarget(host=device.management_ip, port=device.ssh_port,
                     username=device.ssh_username, device_type=kind, command=command,
                     password=credentials.unseal(settings, device.ssh_password_enc),
                     private_key=credentials.unseal(settings, device.ssh_private_key_enc),
                     timeout=timeout)


def _line_changes(old: str, new: str) -> tuple[int, int]:
    added = removed = 0
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def store_config(session: Session, device: Device, text: str,
                 now: datetime) -> tuple[ConfigBackup, bool]:
    """Keep the text as a new version if it differs from the latest; returns (version, new?)."""
    repo = BackupRepository(session, device.tenant_id)
    digest = sha256_text(text)
    latest = repo.latest(device.id)
    if latest is not None and latest.sha256 == digest:
        latest.last_confirmed_at = now
        session.flush()
        return latest, False
    added, removed = _line_changes(latest.content if latest else "", text)
    backup = repo.add(ConfigBackup(
        device_id=device.id, version=(latest.version + 1) if latest else 1, sha256=digest,
        content=text, size_bytes=len(text.encode()), lines_added=added, lines_removed=removed,
        collected_at=now, last_confirmed_at=now))
    if latest is not None:
        publish(session, events.DeviceConfigChanged(
            tenant_id=device.tenant_id, occurred_at=now, device_id=device.id,
            device_name=device.name, backup_id=backup.id, version=backup.version,
            lines_added=added, lines_removed=removed))
    return backup, True


def record_outcome(session: Session, device: Device, now: datetime, *, text: str | None,
                   error: str | None) -> BackupOutcome:
    """Store a fetch's result (or its failure) on the device and in the version history."""
    device.last_backup_at = now
    device.next_backup_at = now + timedelta(hours=device.backup_interval_hours)
    outcome = BackupOutcome(device.id, error=error)
    if text is not None:
        outcome.backup, outcome.changed = store_config(session, device, text, now)
        device.last_backup_error = None
    else:
        device.last_backup_error = (error or "backup failed")[:500]
    session.flush()
    return outcome


def fetch(target: SshTarget) -> tuple[str | None, str | None]:
    """(config text, None) or (None, error message): never raises for a device's failure."""
    try:
        return ssh_backup.fetch_config(target), None
    except ConfigBackupError as exc:
        return None, exc.detail


def backup_now(session: Session, settings: Settings, tenant_id: uuid.UUID,
               device_id: uuid.UUID, now: datetime, timeout: float) -> BackupOutcome:
    """Fetch one device's configuration at once and store it if it changed."""
    device = DeviceRepository(session, tenant_id).get(device_id)
    text, error = fetch(ssh_target(settings, device, timeout))
    return record_outcome(session, device, now, text=text, error=error)


def due_devices(session: Session, now: datetime, limit: int) -> list[Device]:
    """Devices of every tenant whose scheduled backup is due (the backup job's work list)."""
    stmt = (select(Device).where(Device.backup_enabled.is_(True),
                                 Device.status.in_(("active", "maintenance")),
                                 (Device.next_backup_at.is_(None))
                                 | (Device.next_backup_at <= now))
            .order_by(Device.next_backup_at.is_not(None), Device.next_backup_at).limit(limit))
    return list(session.scalars(stmt))


def list_backups(session: Session, tenant_id: uuid.UUID, device_id: uuid.UUID,
                 params: PageParams) -> Page[ConfigBackup]:
    DeviceRepository(session, tenant_id).get(device_id)
    repo = BackupRepository(session, tenant_id)
    return repo.list(params, repo.select().where(ConfigBackup.device_id == device_id)
                     .order_by(ConfigBackup.version.desc()))


def get_backup(session: Session, tenant_id: uuid.UUID, backup_id: uuid.UUID) -> ConfigBackup:
    return BackupRepository(session, tenant_id).get(backup_id)


def previous_version(session: Session, backup: ConfigBackup) -> ConfigBackup | None:
    repo = BackupRepository(session, backup.tenant_id)
    return session.scalars(repo.select().where(
        ConfigBackup.device_id == backup.device_id, ConfigBackup.version < backup.version)
        .order_by(ConfigBackup.version.desc()).limit(1)).first()


def diff(session: Session, tenant_id: uuid.UUID, backup_id: uuid.UUID,
         against_id: uuid.UUID | None = None) -> tuple[ConfigBackup | None, ConfigBackup, str]:
    """Unified diff from an older version (default: the previous one) to this version."""
    backup = get_backup(session, tenant_id, backup_id)
    if against_id is not None:
        base = BackupRepository(session, tenant_id).find(against_id)
        if base is None or base.device_id != backup.device_id:
            raise NotFound("the version to compare against is not a backup of this device")
    else:
        base = previous_version(session, backup)
    old_name = f"version {base.version}" if base else "(nothing)"
    lines = difflib.unified_diff(
        (base.content if base else "").splitlines(keepends=True),
        backup.content.splitlines(keepends=True), fromfile=old_name,
        tofile=f"version {backup.version}")
    return base, backup, "".join(lines)
