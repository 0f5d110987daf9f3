"""The scheduled configuration backup job."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.modules.network.devices.backups import service
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.sdks.core.exceptions import ConfigurationError
from dotmac_isp.sdks.ssh_backup import SshTarget
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.types import utcnow


@job("devices.backup_configs", every=timedelta(minutes=5))
def backup_configs(ctx: JobContext) -> str:
    """Fetch the configuration of every device whose backup is due; keep changed ones."""
    conf = get_devices_settings()
    now = utcnow()
    targets: dict[object, SshTarget] = {}
    failures: dict[object, str] = {}
    with ctx.database.unit_of_work(write=False) as session:
        for device in service.due_devices(session, now, int(ctx.params.get("limit", 500))):
            try:
                targets[device.id] = service.ssh_target(ctx.settings, device,
                                                        conf.backup_timeout_seconds)
            except (ConfigurationError, AppError) as exc:
                failures[device.id] = exc.detail
    if not targets and not failures:
        return "no backup due"
    with ThreadPoolExecutor(max_workers=conf.backup_concurrency) as pool:
        fetched = dict(zip(targets, pool.map(service.fetch, targets.values()), strict=True))
    changed = failed = 0
    with ctx.database.unit_of_work() as session:
        for device_id in [*fetched, *failures]:
            device = session.get(Device, device_id)
            if device is None:
                continue
            text, error = fetched.get(device_id, (None, failures.get(device_id)))
            outcome = service.record_outcome(session, device, utcnow(), text=text, error=error)
            changed += outcome.changed
            failed += outcome.error is not None
    total = len(fetched) + len(failures)
    return f"backed up {total} devices: {changed} changed, {failed} failed"
