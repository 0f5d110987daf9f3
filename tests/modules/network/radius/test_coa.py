"""CoA and Disconnect to a NAS stand-in on loopback: sent after commit, answers recorded."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.network.radius import tasks
from dotmac_isp.modules.network.radius.models import CoaRequest, NasClient
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services import service as services
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.schemas import PlanChangeRequest
from dotmac_isp.sdks.radius import codec
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.modules.network.radius.nas_stand_in import nas_stand_in
from tests.modules.network.radius.support import (
    Isp,
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)
from tests.support.customers import make_plan


def _point_nas_at(database: Database, isp: Isp, port: int) -> None:
    with database.unit_of_work() as session:
        nas = session.get(NasClient, isp.nas_id)
        assert nas is not None
        nas.coa_port = port


def _requests(database: Database, tenant_id: uuid.UUID) -> list[CoaRequest]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(CoaRequest).where(CoaRequest.tenant_id == tenant_id)
                                    .order_by(CoaRequest.created_at)))


def _wait_for(predicate: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _start_session(port: int, session_id: str = "SESSION-1") -> None:
    replies = radclient(port, "acct", [{
        "Acct-Status-Type": "Start", "User-Name": "alice", "Acct-Session-Id": session_id,
        "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "100.64.0.20"}])
    assert [r.code for r in replies] == ["Accounting-Response"]


def test_suspension_disconnects_the_live_session_and_records_the_ack(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with nas_stand_in() as nas, running_server(radius_settings(settings), radius_db) as server:
        _point_nas_at(radius_db, isp, nas.port)
        _start_session(server.acct_port)
        with radius_db.unit_of_work() as session:
            lifecycle.transition(session, isp.tenant.id, isp.subs["alice"].id,
                                 SubscriptionStatus.SUSPENDED, reason="unpaid")
        _wait_for(lambda: [r.state for r in _requests(radius_db, isp.tenant.id)] == ["acked"])
    [sent] = nas.received
    assert sent["code"] == codec.DISCONNECT_REQUEST
    assert sent["User-Name"] == ["alice"] and sent["Acct-Session-Id"] == ["SESSION-1"]
    assert sent["Framed-IP-Address"] == ["100.64.0.20"]
    [request] = _requests(radius_db, isp.tenant.id)
    assert (request.kind, request.reason, request.response, request.attempts) == (
        "disconnect", "suspended", "ACK", 1)


def test_plan_change_sends_a_coa_with_the_new_speed_and_records_a_nak(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with nas_stand_in() as nas, running_server(radius_settings(settings), radius_db) as server:
        nas.answer, nas.error_cause = "NAK", 503
        _point_nas_at(radius_db, isp, nas.port)
        _start_session(server.acct_port)
        with radius_db.unit_of_work() as session:
            faster = make_plan(session, isp.tenant, download_kbps=200_000, upload_kbps=40_000)
            services.change_plan(session, isp.tenant.id, isp.subs["alice"].id,
                                 PlanChangeRequest(plan_id=faster.id, reason="upgrade"))
        _wait_for(lambda: [r.state for r in _requests(radius_db, isp.tenant.id)] == ["naked"])
    [sent] = nas.received
    assert sent["code"] == codec.COA_REQUEST
    assert sent["Mikrotik-Rate-Limit"] == ["40000k/200000k"]
    [request] = _requests(radius_db, isp.tenant.id)
    assert (request.kind, request.reason, request.response, request.error_cause,
            request.error_detail) == ("coa", "plan_changed", "NAK", 503,
                                      "Session-Context-Not-Found")


def test_a_silent_nas_is_retried_by_the_job_until_it_gives_up(radius_db: Database,
                                                              settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    quick = radius_settings(settings, coa_timeout_seconds=0.2, coa_retries=0,
                            coa_max_attempts=3)
    with nas_stand_in() as nas, running_server(quick, radius_db) as server:
        nas.answer = "silent"
        _point_nas_at(radius_db, isp, nas.port)
        _start_session(server.acct_port)
        with radius_db.unit_of_work() as session:
            lifecycle.transition(session, isp.tenant.id, isp.subs["alice"].id,
                                 SubscriptionStatus.TERMINATED, reason="moved away")
        _wait_for(lambda: [r.attempts for r in _requests(radius_db, isp.tenant.id)] == [1])
        time.sleep(0.5)
        [first] = _requests(radius_db, isp.tenant.id)
        assert (first.state, first.response) == ("pending", "timeout")
        # not due yet: the job leaves it alone
        assert tasks.deliver_coa(JobContext(radius_db, quick)) == "nothing due"
        later = utcnow() + timedelta(hours=1)
        assert tasks.deliver_coa(JobContext(radius_db, quick, now=later)) == "1 pending"
        even_later = utcnow() + timedelta(hours=2)
        assert tasks.deliver_coa(JobContext(radius_db, quick, now=even_later)) == "1 failed"
        assert tasks.deliver_coa(JobContext(radius_db, quick, now=even_later + timedelta(
            days=1))) == "nothing due"
    [request] = _requests(radius_db, isp.tenant.id)
    assert (request.state, request.attempts, request.reason, request.response) == (
        "failed", 3, "terminated", "timeout")
    assert request.completed_at is not None
    assert len(nas.received) == 3
