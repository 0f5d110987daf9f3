"""Discovery as a job over every tenant against a real snmpd (an agent without LLDP answers
with no neighbours; a dead one is recorded as such), a tenant whose recording fails reported
without stopping the others, and discovery on demand from the device page."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.models import JobFailure
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.jobs.registry import get as get_job
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.topology import service
from dotmac_isp.modules.network.topology.tasks import JOB, discover_neighbours
from tests.modules.network.devices.factories import make_device
from tests.support.factories import StaffUser
from tests.support.snmpd import SnmpAgent
from tests.web.test_admin_pages import sign_in

DEAD_PORT = 9  # discard: nothing answers SNMP there


def test_job_reads_due_devices_of_every_tenant_and_isolates_a_failing_tenant(
        db, session: Session, settings: Settings, tenant: Tenant,  # type: ignore[no-untyped-def]
        other_tenant: Tenant, snmp_agent: SnmpAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    live = make_device(session, settings, tenant, "sw-live", snmp_port=snmp_agent.port,
                       snmp_timeout_ms=3000)
    dead = make_device(session, settings, tenant, "sw-dead", snmp_port=DEAD_PORT,
                       snmp_timeout_ms=200, snmp_retries=0)
    theirs = make_device(session, settings, other_tenant, "b-sw", snmp_port=snmp_agent.port,
                         snmp_timeout_ms=3000)
    session.commit()
    record = service.record_readings

    def failing_for_b(session: Session, tenant_id: uuid.UUID, *args, **kwargs):  # type: ignore[no-untyped-def]
        if tenant_id == other_tenant.id:
            raise RuntimeError("disk full")
        return record(session, tenant_id, *args, **kwargs)

    monkeypatch.setattr(service, "record_readings", failing_for_b)
    assert get_job(JOB).every is not None
    summary = discover_neighbours(JobContext(db, settings))
    assert summary.startswith("read 2 devices (1 did not answer): 0 links seen")
    assert "1 tenant(s) failed" in summary and "disk full" in summary
    session.expire_all()
    ok = service.node_state(session, tenant.id, live.id)
    assert ok.last_success_at is not None and ok.last_error is None
    assert ok.neighbours_seen == 0  # net-snmp without lldpd: no LLDP-MIB, no neighbours
    failed = service.node_state(session, tenant.id, dead.id)
    assert failed.last_success_at is None and "no SNMP answer" in (failed.last_error or "")
    assert service.node_state(session, other_tenant.id, theirs.id).last_scan_at is None
    failures = session.scalars(select(JobFailure).where(JobFailure.job == JOB)).all()
    assert [(f.tenant_id, "disk full" in f.error) for f in failures] == [(other_tenant.id, True)]

    monkeypatch.setattr(service, "record_readings", record)
    # tenant A's devices were read within the interval: only tenant B's is due now
    assert discover_neighbours(JobContext(db, settings)).startswith("read 1 devices")
    assert discover_neighbours(JobContext(db, settings)) == "no device due"


def test_discover_neighbours_from_the_device_page(
        client: TestClient, admin: StaffUser, session: Session, settings: Settings,
        tenant: Tenant, snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, "edge-9", snmp_port=snmp_agent.port,
                         snmp_timeout_ms=3000)
    session.flush()
    sign_in(client, admin.user.email, admin.password)
    page = client.get(f"/admin/devices/{device.id}")
    assert "Neighbours not read yet." in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    after = client.post(f"/admin/devices/{device.id}/neighbours/discover",
                        data={"csrf_token": token.group(1)}, follow_redirects=True)
    assert after.status_code == 200
    assert "Neighbours read: 0 link(s), 0 new." in after.text
    assert "Last read " in after.text and "No neighbours discovered." in after.text
