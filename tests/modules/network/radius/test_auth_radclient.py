"""Access-Requests from radclient (FreeRADIUS's own client) against our server on loopback."""

from __future__ import annotations

import time

from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.models import RadPostAuth
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.shared import crypto
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)


def test_pap_accepts_the_right_password_with_the_plans_mikrotik_policy(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "User-Password": isp.passwords["alice"],
             "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": "aa:bb:cc:00:00:01"}])
    assert [r.code for r in replies] == ["Access-Accept"]
    accept = replies[0]
    # rx/tx from the router's side: 10M upload / 50M download, then burst, threshold, time
    assert accept.first("Mikrotik-Rate-Limit") == "10000k/50000k 20000k/80000k 8000k/40000k 16/16"
    assert accept.first("Session-Timeout") == "86400"
    assert accept.first("Acct-Interim-Interval") == "300"
    assert "Framed-IP-Address" not in accept.attributes  # no address source registered


def test_pap_rejects_a_wrong_password_and_an_unknown_user_with_a_reply_message(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "User-Password": "not-her-password"},
            {"User-Name": "nobody", "User-Password": "whatever-it-is"}], parallel=1)
    assert [r.code for r in replies] == ["Access-Reject", "Access-Reject"]
    assert all(r.first("Reply-Message") == "Invalid username or password" for r in replies)


def test_chap_is_verified_against_the_stored_password(radius_db: Database,
                                                      settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        # radclient turns a clear-text CHAP-Password into a CHAP response itself
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "CHAP-Password": isp.passwords["alice"]},
            {"User-Name": "alice", "CHAP-Password": "wrong-password"}], parallel=1)
    assert [r.code for r in replies] == ["Access-Accept", "Access-Reject"]


def test_suspended_goes_to_the_walled_garden_or_is_rejected_by_setting(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    request = [{"User-Name": "sam", "User-Password": isp.passwords["sam"]}]
    with running_server(radius_settings(settings), radius_db) as server:
        garden = radclient(server.auth_port, "auth", request)
    assert [r.code for r in garden] == ["Access-Accept"]
    assert garden[0].first("Mikrotik-Address-List") == "walled-garden"
    assert garden[0].first("Mikrotik-Rate-Limit") == "1024k/1024k"
    assert garden[0].first("Reply-Message") == "Account suspended"
    with running_server(radius_settings(settings, suspended_policy="reject"),
                        radius_db) as server:
        rejected = radclient(server.auth_port, "auth", request)
    assert [(r.code, r.first("Reply-Message")) for r in rejected] == [
        ("Access-Reject", "Account suspended")]


def test_terminated_and_pending_subscribers_are_rejected(radius_db: Database,
                                                         settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "tom", "User-Password": isp.passwords["tom"]},
            {"User-Name": "pat", "User-Password": isp.passwords["pat"]}], parallel=1)
    assert [(r.code, r.first("Reply-Message")) for r in replies] == [
        ("Access-Reject", "Subscription terminated"), ("Access-Reject", "Service not active")]


def test_cisco_and_juniper_nas_get_their_own_rate_attributes(radius_db: Database,
                                                             settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings, vendor="cisco")
    request = [{"User-Name": "alice", "User-Password": isp.passwords["alice"]}]
    with running_server(radius_settings(settings), radius_db) as server:
        cisco = radclient(server.auth_port, "auth", request)
    assert cisco[0].attributes["Cisco-AVPair"] == [
        "ip:sub-qos-policy-in=add-class(sub,(class-default),police(10000000))",
        "ip:sub-qos-policy-out=add-class(sub,(class-default),police(50000000))"]
    with radius_db.unit_of_work() as session:
        from dotmac_isp.modules.network.radius.models import NasClient

        nas = session.get(NasClient, isp.nas_id)
        assert nas is not None
        nas.vendor = "juniper"
    with running_server(radius_settings(settings), radius_db) as server:
        juniper = radclient(server.auth_port, "auth", request)
    assert juniper[0].first("ERX-Service-Activate:1") == "dotmac-rate(50000000,10000000)"


def test_every_outcome_lands_in_the_post_auth_log_without_passwords(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server:
        radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "User-Password": isp.passwords["alice"],
             "Calling-Station-Id": "aa:bb:cc:00:00:09"},
            {"User-Name": "alice", "User-Password": "bad-guess-1"}], parallel=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with radius_db.unit_of_work(write=False) as session:
                rows = list(session.scalars(select(RadPostAuth).where(
                    RadPostAuth.tenant_id == isp.tenant.id).order_by(RadPostAuth.id)))
            if len(rows) == 2:
                break
            time.sleep(0.1)
    assert [(r.username, r.reply, r.auth_method) for r in rows] == [
        ("alice", "Access-Accept", "pap"), ("alice", "Access-Reject", "pap")]
    assert rows[0].callingstationid == "aa:bb:cc:00:00:09"
    assert rows[0].subscription_id == isp.subs["alice"].id
    stored = " ".join(str(vars(r)) for r in rows)
    assert isp.passwords["alice"] not in stored and "bad-guess-1" not in stored


def test_simultaneous_use_limit_allows_a_reconnect_from_the_same_device(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    login = {"User-Name": "alice", "User-Password": isp.passwords["alice"],
             "NAS-IP-Address": "127.0.0.1"}
    with running_server(radius_settings(settings), radius_db) as server:
        started = radclient(server.acct_port, "acct", [{
            "Acct-Status-Type": "Start", "User-Name": "alice", "Acct-Session-Id": "ONLINE-1",
            "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": "aa:aa:aa:00:00:01"}])
        assert [r.code for r in started] == ["Accounting-Response"]
        other_device = radclient(server.auth_port, "auth", [
            {**login, "Calling-Station-Id": "bb:bb:bb:00:00:02"}])
        same_device = radclient(server.auth_port, "auth", [
            {**login, "Calling-Station-Id": "aa:aa:aa:00:00:01"}])
        radclient(server.acct_port, "acct", [{
            "Acct-Status-Type": "Stop", "User-Name": "alice", "Acct-Session-Id": "ONLINE-1",
            "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": "aa:aa:aa:00:00:01"}])
        after_stop = radclient(server.auth_port, "auth", [
            {**login, "Calling-Station-Id": "bb:bb:bb:00:00:02"}])
    assert [(r.code, r.first("Reply-Message")) for r in other_device] == [
        ("Access-Reject", "Already online (simultaneous-use limit)")]
    assert [r.code for r in same_device] == ["Access-Accept"]
    assert [r.code for r in after_stop] == ["Access-Accept"]


def test_a_stored_password_that_does_not_decrypt_matches_nothing(
        radius_db: Database, settings: Settings) -> None:
    """A password sealed under another key (a restored backup, a rotated secret) must not
    turn into an empty password that an empty PAP or CHAP answer would match."""
    require_radclient()
    isp = seed_isp(radius_db, settings)
    with radius_db.unit_of_work() as session:
        sub = session.get_one(Subscription, isp.subs["alice"].id)
        sub.radius_password_encrypted = crypto.encrypt(
            "another-secret-key-0123456789-abcdefghij", "alices-real-password")
    with running_server(radius_settings(settings), radius_db) as server:
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "User-Password": ""},
            {"User-Name": "alice", "CHAP-Password": ""},
            {"User-Name": "alice", "User-Password": "alices-real-password"}], parallel=1)
    assert [r.code for r in replies] == ["Access-Reject"] * 3
    assert all(r.first("Reply-Message") == "Invalid username or password" for r in replies)
