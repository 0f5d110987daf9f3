"""The poll job stores results a batch of devices per transaction: batches stored before a
failing one stay stored, the batches after it are still stored, and the failure is recorded
for the tenants whose devices it held."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.models import JobFailure
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.polling import service, tasks
from dotmac_isp.modules.network.devices.polling.poller import PollResult
from dotmac_isp.shared.types import utcnow
from tests.conftest import RollbackDatabase
from tests.modules.network.devices.factories import make_device


def test_results_of_earlier_batches_are_committed_when_a_later_batch_fails(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch) -> None:
    devices = [make_device(session, settings, tenant, f"olt-{n}") for n in range(5)]
    session.commit()
    monkeypatch.setattr(tasks, "RECORD_BATCH", 2)
    monkeypatch.setattr(tasks, "run_cycle", lambda specs, concurrency: [
        PollResult(spec.device_id, reachable=False, polled_at=utcnow(), error="timeout")
        for spec in specs])
    real = service.record_polls
    calls: list[list[Any]] = []

    def record(session: Session, polls: list[tuple[Device, PollResult]]) -> Any:
        calls.append([device.id for device, _ in polls])
        if len(calls) == 2:  # the second batch
            raise RuntimeError("disk full")
        return real(session, polls)

    monkeypatch.setattr(service, "record_polls", record)
    summary = tasks.poll_devices(JobContext(db, settings))  # type: ignore[arg-type]
    assert "polled 5 devices" in summary and "2 results not recorded" in summary
    session.expire_all()
    polled = set(session.scalars(select(Device.id).where(
        Device.id.in_([d.id for d in devices]), Device.last_polled_at.is_not(None))))
    # the first and the last batch are stored, the second is not
    assert [len(c) for c in calls] == [2, 2, 1]
    assert polled == {*calls[0], *calls[2]}
    [failure] = session.scalars(select(JobFailure).where(JobFailure.tenant_id == tenant.id))
    assert failure.job == "devices.poll_devices"
    assert failure.error == ("poll results of up to 2 devices not recorded: RuntimeError: "
                             "disk full")
