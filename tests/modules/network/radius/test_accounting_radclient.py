"""Accounting-Requests from radclient: every status lands in radacct, answered after commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.network.radius import tasks
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.modules.network.radius.support import (
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)


def _acct(status: str, session_id: str, **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "Acct-Status-Type": status, "User-Name": "alice", "Acct-Session-Id": session_id,
        "NAS-IP-Address": "127.0.0.1", "NAS-Port-Id": "ether1-vlan100",
        "NAS-Port-Type": "Ethernet", "Calling-Station-Id": "aa:bb:cc:00:00:01",
        "Framed-IP-Address": "100.64.0.10"}
    request.update(extra)
    return request


def _sessions(database: Database, tenant_id: Any) -> list[RadAcct]:
    with database.unit_of_work(write=False) as session:
        return list(session.scalars(select(RadAcct).where(RadAcct.tenant_id == tenant_id)
                                    .order_by(RadAcct.acctsessionid)))


def test_start_interim_stop_with_gigawords(radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        port = server.acct_port
        assert [r.code for r in radclient(port, "acct", [_acct("Start", "S1")])] == [
            "Accounting-Response"]
        [started] = _sessions(radius_db, isp.tenant.id)
        assert started.acctstoptime is None and started.username == "alice"
        assert started.subscription_id == isp.subs["alice"].id
        assert (started.nasportid, started.nasporttype) == ("ether1-vlan100", "Ethernet")
        radclient(port, "acct", [_acct(
            "Interim-Update", "S1", **{"Acct-Session-Time": 600, "Acct-Input-Octets": 5,
                                       "Acct-Input-Gigawords": 2, "Acct-Output-Octets": 7,
                                       "Acct-Output-Gigawords": 1})])
        [interim] = _sessions(radius_db, isp.tenant.id)
        assert interim.acctinputoctets == 2 * 2**32 + 5
        assert interim.acctoutputoctets == 2**32 + 7
        assert interim.acctsessiontime == 600 and interim.acctstoptime is None
        radclient(port, "acct", [_acct(
            "Stop", "S1", **{"Acct-Session-Time": 900, "Acct-Input-Octets": 9,
                             "Acct-Input-Gigawords": 2, "Acct-Output-Octets": 11,
                             "Acct-Terminate-Cause": "User-Request"})])
    [stopped] = _sessions(radius_db, isp.tenant.id)
    assert stopped.acctstoptime is not None
    assert stopped.acctterminatecause == "User-Request"
    assert stopped.acctsessiontime == 900 and stopped.acctinputoctets == 2 * 2**32 + 9
    assert stopped.framedipaddress == "100.64.0.10"
    assert len(stopped.acctuniqueid) == 32


def test_interim_without_start_creates_the_session_and_a_late_interim_reopens_a_guessed_stop(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        radclient(server.acct_port, "acct", [_acct("Interim-Update", "S2",
                                                   **{"Acct-Session-Time": 120})])
        [row] = _sessions(radius_db, isp.tenant.id)
        assert row.acctstarttime is not None and row.acctupdatetime is not None
        assert abs((row.acctupdatetime - row.acctstarttime) - timedelta(seconds=120)) \
            < timedelta(seconds=2)
        # the stale-session job closes it (its Stop was lost, as far as we know) ...
        with radius_db.unit_of_work() as session:
            session.execute(update(RadAcct).where(RadAcct.radacctid == row.radacctid).values(
                acctupdatetime=utcnow() - timedelta(hours=2)))
        summary = tasks.close_stale_sessions(JobContext(radius_db, settings))
        assert summary == "1 stale sessions closed"
        [closed] = _sessions(radius_db, isp.tenant.id)
        assert closed.acctstoptime is not None and closed.acctterminatecause == "Stale-Session"
        assert tasks.close_stale_sessions(JobContext(radius_db, settings)) == \
            "0 stale sessions closed"
        # ... then the NAS shows it is alive after all
        radclient(server.acct_port, "acct", [_acct("Interim-Update", "S2",
                                                   **{"Acct-Session-Time": 7300})])
    [reopened] = _sessions(radius_db, isp.tenant.id)
    assert reopened.acctstoptime is None and reopened.acctterminatecause is None
    assert reopened.acctsessiontime == 7300


def test_a_late_interim_does_not_reopen_a_session_the_nas_stopped(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        radclient(server.acct_port, "acct", [
            _acct("Start", "S3"), ])
        radclient(server.acct_port, "acct", [
            _acct("Stop", "S3", **{"Acct-Session-Time": 300, "Acct-Input-Octets": 1000})])
        # delayed in the network: generated before the Stop
        radclient(server.acct_port, "acct", [
            _acct("Interim-Update", "S3", **{"Acct-Session-Time": 200, "Acct-Delay-Time": 120,
                                             "Acct-Input-Octets": 500})])
    [row] = _sessions(radius_db, isp.tenant.id)
    assert row.acctstoptime is not None and row.acctinputoctets == 1000


def test_accounting_on_and_off_close_the_nas_open_sessions(radius_db: Database,
                                                           settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        radclient(server.acct_port, "acct", [_acct("Start", "A"), _acct("Start", "B")])
        assert [r.acctstoptime for r in _sessions(radius_db, isp.tenant.id)] == [None, None]
        replies = radclient(server.acct_port, "acct", [
            {"Acct-Status-Type": "Accounting-On", "NAS-IP-Address": "127.0.0.1"}])
        assert [r.code for r in replies] == ["Accounting-Response"]
        closed = _sessions(radius_db, isp.tenant.id)
        assert all(r.acctstoptime is not None for r in closed)
        assert {r.acctterminatecause for r in closed} == {"NAS-Reboot"}
        radclient(server.acct_port, "acct", [_acct("Start", "C")])
        replies = radclient(server.acct_port, "acct", [
            {"Acct-Status-Type": "Accounting-Off", "NAS-IP-Address": "127.0.0.1",
             "Acct-Terminate-Cause": "Admin-Reboot"}])
        assert [r.code for r in replies] == ["Accounting-Response"]
    rows = {r.acctsessionid: r for r in _sessions(radius_db, isp.tenant.id)}
    assert rows["C"].acctstoptime is not None and rows["C"].acctterminatecause == "Admin-Reboot"


def test_many_interims_in_one_burst_are_all_stored(radius_db: Database,
                                                   settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    starts = [_acct("Start", f"B{i:03d}") for i in range(200)]
    interims = [_acct("Interim-Update", f"B{i:03d}", **{"Acct-Session-Time": 60,
                                                         "Acct-Output-Octets": 1000 + i})
                for i in range(200)]
    with running_server(radius_settings(settings, acct_batch_ms=20), radius_db) as server:
        assert len(radclient(server.acct_port, "acct", starts, parallel=100)) == 200
        assert len(radclient(server.acct_port, "acct", interims, parallel=100)) == 200
    rows = _sessions(radius_db, isp.tenant.id)
    assert len(rows) == 200
    assert sorted(r.acctoutputoctets or 0 for r in rows) == [1000 + i for i in range(200)]
