"""Voucher logins and their accounting with radclient (FreeRADIUS's own client) against our
RADIUS server on loopback, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from dotmac_isp.config import Settings
from dotmac_isp.modules.hotspot import service
from dotmac_isp.modules.hotspot.models import Voucher
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.modules.hotspot.support import acct, eventually, login, seed_hotspot, voucher
from tests.modules.network.radius.support import (
    Reply,
    radclient,
    radius_settings,
    require_radclient,
    running_server,
)

GB = 10**9


def _login(port: int, request: dict[str, object]) -> Reply:
    [reply] = radclient(port, "auth", [request], parallel=1)
    return reply


def test_first_login_starts_the_validity_and_the_reply_carries_what_is_left(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    spot = seed_hotspot(radius_db, settings, time_allowance_seconds=3600,
                        data_allowance_bytes=5 * GB, validity_seconds=86_400)
    code = spot.codes[0]
    assert voucher(radius_db, spot.tenant.id, code).activated_at is None
    with running_server(radius_settings(settings), radius_db) as server:
        before = utcnow()
        accept = _login(server.auth_port, login(code))
        assert accept.code == "Access-Accept", accept.attributes
        # the time allowance (1 h) ends before the validity (24 h)
        assert accept.first("Session-Timeout") == "3600"
        # 5 GB left: 1 in the Gigawords (4 GiB units), the rest in octets
        assert accept.first("Mikrotik-Total-Limit-Gigawords") == "1"
        assert accept.first("Mikrotik-Total-Limit") == str(5 * GB - 2**32)
        assert accept.first("Mikrotik-Rate-Limit") == "1000k/2000k"
        used = eventually(lambda: voucher(radius_db, spot.tenant.id, code),
                          lambda v: v.activated_at is not None)
    assert used.state == "active"
    assert used.activated_at is not None and used.activated_at >= before - timedelta(seconds=1)
    assert used.expires_at == used.activated_at + timedelta(seconds=86_400)
    # the others of the batch are untouched
    assert voucher(radius_db, spot.tenant.id, spot.codes[1]).activated_at is None


def test_accounting_consumes_the_voucher_once_and_a_used_up_voucher_is_rejected(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    spot = seed_hotspot(radius_db, settings, time_allowance_seconds=600,
                        data_allowance_bytes=10 * GB, validity_seconds=86_400)
    code = spot.codes[0]
    with running_server(radius_settings(settings), radius_db) as server:
        assert _login(server.auth_port, login(code)).code == "Access-Accept"
        interim = acct("Interim-Update", code, "H1", **{
            "Acct-Session-Time": 300, "Acct-Input-Octets": 1000, "Acct-Output-Octets": 5000,
            "Acct-Output-Gigawords": 1})
        answered = radclient(server.acct_port, "acct", [acct("Start", code, "H1")], parallel=1)
        answered += radclient(server.acct_port, "acct", [interim], parallel=1)
        # the NAS sends the same Interim-Update again: nothing more is used
        answered += radclient(server.acct_port, "acct", [dict(interim)], parallel=1)
        assert [r.code for r in answered] == ["Accounting-Response"] * 3
        half = voucher(radius_db, spot.tenant.id, code)
        assert (half.used_seconds, half.used_octets) == (300, 2**32 + 6000)
        # the next login is handed what is left, once the server has seen the change
        again = eventually(lambda: _login(server.auth_port, login(code)),
                           lambda r: r.first("Session-Timeout") == "300")
        assert again.first("Session-Timeout") == "300"
        left = 10 * GB - (2**32 + 6000)
        assert again.first("Mikrotik-Total-Limit-Gigawords") == str(left >> 32)
        assert again.first("Mikrotik-Total-Limit") == str(left & 0xFFFFFFFF)
        radclient(server.acct_port, "acct", [acct("Stop", code, "H1", **{
            "Acct-Session-Time": 600, "Acct-Input-Octets": 2000, "Acct-Output-Octets": 9000,
            "Acct-Output-Gigawords": 1, "Acct-Terminate-Cause": "Session-Timeout"})],
            parallel=1)
        rejected = eventually(lambda: _login(server.auth_port, login(code)),
                              lambda r: r.code == "Access-Reject")
    assert (rejected.code, rejected.first("Reply-Message")) == ("Access-Reject",
                                                                  "voucher used up")
    spent = voucher(radius_db, spot.tenant.id, code)
    assert (spent.state, spent.used_seconds, spent.used_octets) == (
        "used_up", 600, 2**32 + 11_000)
    with radius_db.unit_of_work(write=False) as session:
        [mark] = service.voucher_sessions(session, spot.tenant.id, spent.id)
    assert (mark.seconds, mark.stopped_at is not None) == (600, True)


def test_expired_and_revoked_vouchers_are_rejected_with_their_reason(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    spot = seed_hotspot(radius_db, settings)
    lapsed, revoked, fine = spot.codes
    now = utcnow()
    with radius_db.unit_of_work() as session:
        session.execute(update(Voucher).where(
            Voucher.tenant_id == spot.tenant.id, Voucher.code == lapsed).values(
            state="active", activated_at=now - timedelta(days=2),
            expires_at=now - timedelta(days=1)))
        target = session.scalars(select(Voucher.id).where(
            Voucher.code == revoked, Voucher.tenant_id == spot.tenant.id)).one()
        service.revoke_voucher(session, spot.tenant.id, target, reason="card stolen")
    with running_server(radius_settings(settings), radius_db) as server:
        replies = radclient(server.auth_port, "auth", [
            login(lapsed), login(revoked), login(fine), login(fine, **{
                "User-Password": "WRONGPASSW"})], parallel=1)
    assert [(r.code, r.first("Reply-Message")) for r in replies] == [
        ("Access-Reject", "voucher expired"), ("Access-Reject", "voucher revoked"),
        ("Access-Accept", None), ("Access-Reject", "Invalid username or password")]


def test_a_second_device_on_a_one_device_voucher_is_rejected(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    spot = seed_hotspot(radius_db, settings, devices=1)
    code = spot.codes[0]
    phone, laptop = "aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02"
    with running_server(radius_settings(settings), radius_db) as server:
        assert _login(server.auth_port, login(code, phone)).code == "Access-Accept"
        radclient(server.acct_port, "acct", [acct("Start", code, "D1", phone)], parallel=1)
        second = _login(server.auth_port, login(code, laptop))
        # the phone reconnecting (its Stop not yet sent) is still let in
        same = _login(server.auth_port, login(code, phone))
        radclient(server.acct_port, "acct", [acct("Stop", code, "D1", phone, **{
            "Acct-Session-Time": 30})], parallel=1)
        after = _login(server.auth_port, login(code, laptop))
    assert (second.code, second.first("Reply-Message")) == (
        "Access-Reject", "voucher already in use on its maximum number of devices")
    assert same.code == "Access-Accept"
    assert after.code == "Access-Accept"


def test_a_device_bound_at_the_first_login_logs_in_with_its_mac(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    spot = seed_hotspot(radius_db, settings, mac_login=True, devices=2)
    code = spot.codes[0]
    phone = "AA:BB:CC:00:00:0A"
    with running_server(radius_settings(settings), radius_db) as server:
        assert _login(server.auth_port, login(code, phone)).code == "Access-Accept"
        by_mac = _login(server.auth_port, {
            "User-Name": phone, "User-Password": phone, "NAS-IP-Address": "127.0.0.1",
            "Calling-Station-Id": phone})
        other = _login(server.auth_port, {
            "User-Name": "AA:BB:CC:00:00:0B", "User-Password": "AA:BB:CC:00:00:0B",
            "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": "AA:BB:CC:00:00:0B"})
    assert by_mac.code == "Access-Accept" and by_mac.first("Session-Timeout") is not None
    assert other.code == "Access-Reject"
    bound = eventually(lambda: voucher(radius_db, spot.tenant.id, code),
                       lambda v: v.mac is not None)
    assert bound.mac == "aa:bb:cc:00:00:0a"
