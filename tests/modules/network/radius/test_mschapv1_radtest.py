"""MS-CHAPv1 as `radtest -t mschap` sends it (MS-CHAP-Challenge + MS-CHAP-Response) against
the running server: accepted with MS-CHAP-MPPE-Keys, a wrong password refused."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import mschap
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.mschap_peer import lm_password_hash
from tests.modules.network.radius.support import (
    SECRET,
    Reply,
    parse_replies,
    radclient,
    radius_settings,
    running_server,
    seed_isp,
)


def radtest(port: int, username: str, password: str) -> list[Reply]:
    if shutil.which("radtest") is None:
        pytest.skip("radtest is not installed (Debian package freeradius-utils)")
    done = subprocess.run(
        ["timeout", "30", "radtest", "-t", "mschap", username, password,
         f"127.0.0.1:{port}", "0", SECRET],
        capture_output=True, text=True, check=False)
    return parse_replies(done.stdout)


def test_radtest_mschap_is_accepted_with_mppe_keys_and_a_wrong_password_rejected(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    password = isp.passwords["alice"]
    with running_server(radius_settings(settings), radius_db) as server:
        accepted = radtest(server.auth_port, "alice", password)
        refused = radtest(server.auth_port, "alice", "not-her-password")
        stranger = radtest(server.auth_port, "nobody", password)
    assert [r.code for r in accepted] == ["Access-Accept"]
    accept = accepted[0]
    # radclient unhides the keys with the secret and the request authenticator: an empty LM
    # key, then NtPasswordHashHash, as FreeRADIUS 3.2's mschap module sends them
    keys = bytes.fromhex((accept.first("MS-CHAP-MPPE-Keys") or "")[2:])
    hash_hash = mschap.md4(mschap.nt_password_hash(password.encode()))
    assert keys == bytes(8) + hash_hash
    assert accept.first("MS-MPPE-Encryption-Policy") == "Encryption-Allowed"
    assert accept.first("MS-MPPE-Encryption-Types") == "RC4-40or128-bit-Allowed"
    assert accept.first("Mikrotik-Rate-Limit")
    assert [r.code for r in refused] == ["Access-Reject"]
    assert refused[0].first("Reply-Message") == "Invalid username or password"
    assert (refused[0].first("MS-CHAP-Error") or "")[4:].startswith("E=691 R=0 C=")
    assert "MS-CHAP-MPPE-Keys" not in refused[0].attributes
    assert [r.code for r in stranger] == ["Access-Reject"]


def test_an_mschapv1_response_without_the_nt_response_is_refused(
        radius_db: Database, settings: Settings) -> None:
    """LAN Manager responses only (flags 0) are not accepted, even with the right password."""
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    challenge = bytes(range(8))
    password = isp.passwords["alice"].encode()
    answer = mschap.nt_response(challenge, mschap.nt_password_hash(password))
    lm_answer = mschap.nt_response(challenge, lm_password_hash(password))
    lm_only = b"\x01\x00" + lm_answer + bytes(24)
    nt = b"\x01\x01" + bytes(24) + answer
    with running_server(radius_settings(settings), radius_db) as server:
        replies = radclient(server.auth_port, "auth", [
            {"User-Name": "alice", "MS-CHAP-Challenge": "0x" + challenge.hex(),
             "MS-CHAP-Response": "0x" + lm_only.hex()},
            {"User-Name": "alice", "MS-CHAP-Challenge": "0x" + challenge.hex(),
             "MS-CHAP-Response": "0x" + nt.hex()}], parallel=1)
    assert [r.code for r in replies] == ["Access-Reject", "Access-Accept"]
