"""MS-CHAPv2 against the running server: the accept's MPPE keys decrypt, with the shared
secret and the request authenticator, to the keys RFC 3079 derives for the password; as
pyrad decrypts them and as FreeRADIUS's radclient does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyrad.client import Client
from pyrad.packet import AccessRequest, AuthPacket

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import mschap, mschap_keys
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.sdks.radius.dictionary import load_dictionary
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    SECRET,
    radclient,
    radius_settings,
    running_server,
    seed_isp,
)


@contextmanager
def _client(settings: Settings, database: Database) -> Iterator[Client]:
    with running_server(settings, database) as server:
        client = Client(server="127.0.0.1", authport=server.auth_port, secret=SECRET.encode(),
                        dict=load_dictionary())
        client.timeout, client.retries = 3, 1
        yield client


def _login(client: Client, username: str, password: str,
           ident: int = 7) -> tuple[AuthPacket, bytes]:
    """An MS-CHAPv2 Access-Request as a NAS sends it; the NT-Response goes with it."""
    packet = client.CreateAuthPacket(code=AccessRequest, User_Name=username)
    authenticator_challenge, peer_challenge = os.urandom(16), os.urandom(16)
    challenge = mschap.challenge_hash(peer_challenge, authenticator_challenge,
                                      username.encode())
    answer = mschap.nt_response(challenge, mschap.nt_password_hash(password.encode()))
    packet["MS-CHAP-Challenge"] = authenticator_challenge
    packet["MS-CHAP2-Response"] = bytes((ident, 0)) + peer_challenge + bytes(8) + answer
    return packet, answer


def _rfc_3079_keys(password: str, nt_response: bytes) -> tuple[bytes, bytes]:
    hash_hash = mschap.md4(mschap.nt_password_hash(password.encode()))
    return mschap_keys.mschapv2_keys(hash_hash, nt_response)


def test_mschapv2_accept_carries_mppe_keys_that_decrypt_to_the_rfc_3079_keys(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    password = isp.passwords["alice"]
    with _client(radius_settings(settings), radius_db) as client:
        first, first_answer = _login(client, "alice", password)
        accept = client.SendPacket(first)
        second, second_answer = _login(client, "alice", password)
        again = client.SendPacket(second)
    assert accept.code == again.code == 2
    send, receive = _rfc_3079_keys(password, first_answer)
    # pyrad decrypts encrypt=2 attributes with the secret and the request authenticator
    assert accept["MS-MPPE-Send-Key"] == [send]
    assert accept["MS-MPPE-Recv-Key"] == [receive]
    assert accept["MS-MPPE-Encryption-Policy"] == ["Encryption-Allowed"]
    assert accept["MS-MPPE-Encryption-Types"] == ["RC4-40or128-bit-Allowed"]
    success = accept["MS-CHAP2-Success"][0]
    assert success[:1] == b"\x07" and success[1:3] == b"S="
    # each login has its own keys: they follow the NT-Response
    assert again["MS-MPPE-Send-Key"] == [_rfc_3079_keys(password, second_answer)[0]]
    assert again["MS-MPPE-Send-Key"] != accept["MS-MPPE-Send-Key"]
    # the rate limit and the rest of the plan's policy still come
    assert accept["Mikrotik-Rate-Limit"]


def test_radclient_decrypts_the_same_mppe_keys(radius_db: Database,
                                               settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    password = isp.passwords["alice"]
    challenge, peer = os.urandom(16), os.urandom(16)
    answer = mschap.nt_response(mschap.challenge_hash(peer, challenge, b"alice"),
                                mschap.nt_password_hash(password.encode()))
    request: dict[str, Any] = {
        "User-Name": "alice", "MS-CHAP-Challenge": "0x" + challenge.hex(),
        "MS-CHAP2-Response": "0x" + (b"\x01\x00" + peer + bytes(8) + answer).hex()}
    with running_server(radius_settings(settings), radius_db) as server:
        replies = radclient(server.auth_port, "auth", [request])
    assert [r.code for r in replies] == ["Access-Accept"]
    send, receive = _rfc_3079_keys(password, answer)
    assert replies[0].first("MS-MPPE-Send-Key") == "0x" + send.hex()
    assert replies[0].first("MS-MPPE-Recv-Key") == "0x" + receive.hex()
    assert replies[0].first("MS-MPPE-Encryption-Policy") == "Encryption-Allowed"


def test_settings_can_require_encryption_and_128_bit_keys(radius_db: Database,
                                                          settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    strict = radius_settings(settings, mschap_require_encryption=True,
                             mschap_require_strong=True)
    with _client(strict, radius_db) as client:
        accept = client.SendPacket(_login(client, "alice", isp.passwords["alice"])[0])
    assert accept.code == 2
    assert accept["MS-MPPE-Encryption-Policy"] == ["Encryption-Required"]
    assert accept["MS-MPPE-Encryption-Types"] == [4]


def test_a_plans_own_encryption_policy_wins_and_is_sent_once(radius_db: Database,
                                                             settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE},
                   plan={"radius_attributes": {"MS-MPPE-Encryption-Policy": 2}})
    with _client(radius_settings(settings), radius_db) as client:
        accept = client.SendPacket(_login(client, "alice", isp.passwords["alice"])[0])
    assert accept.code == 2
    assert accept["MS-MPPE-Encryption-Policy"] == ["Encryption-Required"]
    assert accept["MS-MPPE-Encryption-Types"] == ["RC4-40or128-bit-Allowed"]
    assert len(accept["MS-MPPE-Send-Key"]) == 1


def test_without_mppe_the_accept_has_the_success_but_no_keys(radius_db: Database,
                                                             settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE})
    with _client(radius_settings(settings, mschap_use_mppe=False), radius_db) as client:
        accept = client.SendPacket(_login(client, "alice", isp.passwords["alice"])[0])
    assert accept.code == 2 and accept["MS-CHAP2-Success"]
    assert not {"MS-MPPE-Send-Key", "MS-MPPE-Recv-Key", "MS-MPPE-Encryption-Policy",
                "MS-MPPE-Encryption-Types"} & set(accept.keys())


def test_rejects_say_why_in_ms_chap_error_and_carry_no_keys(radius_db: Database,
                                                            settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": SubscriptionStatus.ACTIVE,
                                                  "tom": SubscriptionStatus.TERMINATED})
    with _client(radius_settings(settings), radius_db) as client:
        wrong = client.SendPacket(_login(client, "alice", "not-her-password", ident=9)[0])
        stranger = client.SendPacket(_login(client, "nobody", "whatever")[0])
        ended = client.SendPacket(_login(client, "tom", isp.passwords["tom"])[0])
    assert wrong.code == stranger.code == ended.code == 3
    error = wrong["MS-CHAP-Error"][0]
    assert error.startswith("\tE=691 R=0 C=")  # the ident, 9, leads
    assert error.endswith("V=3 M=Authentication rejected")
    assert stranger["MS-CHAP-Error"][0][1:].startswith("E=691 R=0")
    assert ended["MS-CHAP-Error"][0][1:].startswith("E=647 R=0")
    assert ended["Reply-Message"] == ["Subscription terminated"]
    for reply in (wrong, stranger, ended):
        assert "MS-MPPE-Send-Key" not in reply and "MS-CHAP2-Success" not in reply


def test_a_suspended_subscriber_in_the_walled_garden_still_gets_keys(
        radius_db: Database, settings: Settings) -> None:
    """The garden session must come up on a NAS that requires MPPE, or the subscriber never
    sees the page that tells them to pay."""
    isp = seed_isp(radius_db, settings, statuses={"sam": SubscriptionStatus.SUSPENDED},
                   plan={"radius_attributes": {"MS-MPPE-Encryption-Policy": 2}})
    password = isp.passwords["sam"]
    with _client(radius_settings(settings), radius_db) as client:
        packet, answer = _login(client, "sam", password)
        accept = client.SendPacket(packet)
    assert accept.code == 2
    assert accept["Mikrotik-Address-List"] == ["walled-garden"]
    assert accept["MS-MPPE-Send-Key"] == [_rfc_3079_keys(password, answer)[0]]
    # the plan's attributes do not reach the garden, so the default policy is sent
    assert accept["MS-MPPE-Encryption-Policy"] == ["Encryption-Allowed"]
