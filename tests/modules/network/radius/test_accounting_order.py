"""Accounting-Requests out of order or sent twice, from radclient to our running server: a
session the NAS stopped stays stopped, counters never go backwards, and the simultaneous-use
limit counts exactly the sessions radacct has open."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.network.radius import tasks
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.modules.network.radius.policy import REJECT_SIMULTANEOUS
from dotmac_isp.modules.network.radius.server import RadiusServer
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.modules.network.radius.support import (
    Isp,
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)

DEVICE, OTHER_DEVICE = "aa:bb:cc:00:00:01", "aa:bb:cc:00:00:99"
T0 = int(time.time()) - 3600


def _acct(status: str, session_id: str, extra: dict[str, Any] | None = None, *,
          user: str = "alice") -> dict[str, Any]:
    request: dict[str, Any] = {
        "Acct-Status-Type": status, "User-Name": user, "Acct-Session-Id": session_id,
        "NAS-IP-Address": "127.0.0.1", "NAS-Port-Id": f"ether1-{user}",
        "Calling-Station-Id": DEVICE, "Framed-IP-Address": "100.64.0.10"}
    request.update(extra or {})
    return request


def _send(server: RadiusServer, *packets: dict[str, Any]) -> None:
    """One at a time, in order; each answered after its batch committed."""
    replies = radclient(server.acct_port, "acct", list(packets), parallel=1)
    assert [r.code for r in replies] == ["Accounting-Response"] * len(packets)


def _login(server: RadiusServer, isp: Isp, user: str = "alice",
           device: str = OTHER_DEVICE) -> tuple[str, str | None]:
    [reply] = radclient(server.auth_port, "auth", [{
        "User-Name": user, "User-Password": isp.passwords[user],
        "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": device}])
    return reply.code, reply.first("Reply-Message")


def _row(database: Database, isp: Isp, session_id: str) -> RadAcct:
    with database.unit_of_work(write=False) as session:
        return session.scalars(select(RadAcct).where(
            RadAcct.tenant_id == isp.tenant.id, RadAcct.acctsessionid == session_id)).one()


def _open_in_memory(server: RadiusServer, isp: Isp) -> set[str]:
    return {s.acctuniqueid for s in server.cache.online.by_id.values()
            if s.tenant_id == isp.tenant.id}


def _open_in_radacct(database: Database, isp: Isp) -> set[str]:
    with database.unit_of_work(write=False) as session:
        return set(session.scalars(select(RadAcct.acctuniqueid).where(
            RadAcct.tenant_id == isp.tenant.id, RadAcct.acctstoptime.is_(None))))


def test_a_late_interim_after_the_stop_keeps_it_stopped_and_lets_the_subscriber_log_in(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        _send(server, _acct("Start", "L1"),
              _acct("Interim-Update", "L1", {"Acct-Session-Time": 300,
                                               "Acct-Input-Gigawords": 2,
                                               "Acct-Input-Octets": 5}))
        assert _row(radius_db, isp, "L1").acctinputoctets == 8589934597
        assert _login(server, isp) == ("Access-Reject", REJECT_SIMULTANEOUS)
        _send(server, _acct("Stop", "L1", {"Acct-Session-Time": 600,
                                             "Acct-Input-Gigawords": 2, "Acct-Input-Octets": 9,
                                             "Acct-Terminate-Cause": "User-Request"}))
        stopped = _row(radius_db, isp, "L1")
        # the NAS sends an Interim it had queued, no Acct-Delay-Time: it arrives after the Stop
        _send(server, _acct("Interim-Update", "L1", {"Acct-Session-Time": 610,
                                                       "Acct-Input-Octets": 1}))
        after = _row(radius_db, isp, "L1")
        assert after.acctstoptime == stopped.acctstoptime is not None
        assert after.acctterminatecause == "User-Request"
        assert (after.acctinputoctets, after.acctsessiontime) == (8589934601, 600)
        # the in-memory view agrees with radacct: nothing open, the other device may log in
        assert _open_in_memory(server, isp) == _open_in_radacct(radius_db, isp) == set()
        assert _login(server, isp) == ("Access-Accept", None)


def test_accounting_on_closes_open_sessions_and_a_later_interim_reopens_only_those(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE,
                                                  "bob": SubscriptionStatus.ACTIVE})
    with running_server(radius_settings(settings), radius_db) as server:
        _send(server, _acct("Start", "ON-A"), _acct("Start", "ON-B", user="bob"),
              _acct("Stop", "ON-B", {"Acct-Session-Time": 60,
                                     "Acct-Terminate-Cause": "Lost-Carrier"}, user="bob"),
              {"Acct-Status-Type": "Accounting-On", "NAS-IP-Address": "127.0.0.1"})
        closed = _row(radius_db, isp, "ON-A")
        assert closed.acctstoptime is not None and closed.acctterminatecause == "NAS-Reboot"
        assert _login(server, isp) == ("Access-Accept", None)
        # the NAS had not rebooted after all: both sessions send an Interim
        interim = {"Acct-Session-Time": 900, "Acct-Output-Octets": 4000}
        _send(server, _acct("Interim-Update", "ON-A", interim),
              _acct("Interim-Update", "ON-B", interim, user="bob"))
        reopened, bob = _row(radius_db, isp, "ON-A"), _row(radius_db, isp, "ON-B")
        assert (reopened.acctstoptime, reopened.acctterminatecause) == (None, None)
        assert (reopened.acctsessiontime, reopened.acctoutputoctets) == (900, 4000)
        assert bob.acctstoptime is not None and bob.acctterminatecause == "Lost-Carrier"
        assert (bob.acctsessiontime, bob.acctoutputoctets) == (60, 0)
        assert _open_in_memory(server, isp) == _open_in_radacct(radius_db, isp) == {
            reopened.acctuniqueid}
        assert _login(server, isp) == ("Access-Reject", REJECT_SIMULTANEOUS)
        assert _login(server, isp, "bob") == ("Access-Accept", None)


def test_packets_sent_twice_change_nothing_the_second_time(radius_db: Database,
                                                           settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    stamp = {"Event-Timestamp": T0}
    interim = _acct("Interim-Update", "R1", {"Event-Timestamp": T0 + 300,
                                              "Acct-Session-Time": 300,
                                              "Acct-Output-Octets": 700})
    stop = _acct("Stop", "R1", {"Event-Timestamp": T0 + 600, "Acct-Session-Time": 600,
                                  "Acct-Output-Octets": 900,
                                  "Acct-Terminate-Cause": "User-Request"})
    seen = []
    with running_server(radius_settings(settings), radius_db) as server:
        for packet in (_acct("Start", "R1", stamp), interim, stop):
            _send(server, packet)
            first = _row(radius_db, isp, "R1")
            _send(server, packet)  # a new radclient run: not caught as a duplicate datagram
            again = _row(radius_db, isp, "R1")
            seen.append(first.acctstoptime is None)
            assert _columns(again) == _columns(first)
        # a second Stop that says something else: the first one stays
        _send(server, {**stop, "Event-Timestamp": T0 + 700, "Acct-Session-Time": 700,
                       "Acct-Output-Octets": 5, "Acct-Terminate-Cause": "Lost-Carrier"})
        assert _columns(_row(radius_db, isp, "R1")) == _columns(again)
    assert seen == [True, True, False]
    assert (again.acctsessiontime, again.acctoutputoctets) == (600, 900)
    assert again.acctterminatecause == "User-Request"


def _columns(row: RadAcct) -> dict[str, Any]:
    return {a.key: getattr(row, a.key) for a in RadAcct.__mapper__.column_attrs
            if a.key != "changed_at"}


def test_a_start_arriving_after_the_stop_does_not_reopen_the_session(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        _send(server, _acct("Stop", "RS1", {"Event-Timestamp": T0 + 600,
                                              "Acct-Session-Time": 600,
                                              "Acct-Terminate-Cause": "Idle-Timeout"}),
              _acct("Start", "RS1", {"Event-Timestamp": T0}))
        row = _row(radius_db, isp, "RS1")
        assert row.acctstoptime is not None and row.acctterminatecause == "Idle-Timeout"
        assert int(row.acctstarttime.timestamp()) == T0  # type: ignore[union-attr]
        assert _open_in_memory(server, isp) == _open_in_radacct(radius_db, isp) == set()
        assert _login(server, isp) == ("Access-Accept", None)


def test_the_nas_stop_replaces_a_stop_the_stale_session_job_inferred(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        _send(server, _acct("Start", "ST1"))
        with radius_db.unit_of_work() as session:
            session.execute(update(RadAcct).where(RadAcct.acctsessionid == "ST1",
                                                  RadAcct.tenant_id == isp.tenant.id)
                            .values(acctstarttime=utcnow() - timedelta(hours=3),
                                    acctupdatetime=utcnow() - timedelta(hours=2)))
        tasks.close_stale_sessions(JobContext(radius_db, settings))  # every tenant's
        assert _row(radius_db, isp, "ST1").acctterminatecause == "Stale-Session"
        # its Stop was only late: the NAS's word replaces our guess, once
        _send(server, _acct("Stop", "ST1", {"Acct-Session-Time": 10800,
                                              "Acct-Input-Octets": 123,
                                              "Acct-Terminate-Cause": "User-Request"}))
        _send(server, _acct("Interim-Update", "ST1", {"Acct-Session-Time": 10900,
                                                        "Acct-Input-Octets": 1}))
        _send(server, _acct("Stop", "ST1", {"Acct-Session-Time": 11000,
                                              "Acct-Terminate-Cause": "Lost-Carrier"}))
        row = _row(radius_db, isp, "ST1")
        assert row.acctstoptime is not None and row.acctterminatecause == "User-Request"
        assert (row.acctsessiontime, row.acctinputoctets) == (10800, 123)
        assert _login(server, isp) == ("Access-Accept", None)
