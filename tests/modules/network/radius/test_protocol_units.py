"""Protocol pieces against published vectors, and the address-source hook on the wire."""

from __future__ import annotations

import socket
import struct
import uuid
from collections.abc import Iterator

import pytest
from pyrad.packet import AuthPacket
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import addresses, mschap
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.dictionary import load_dictionary
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    SECRET,
    radius_settings,
    running_server,
    seed_isp,
)

# RFC 2759 section 9.2
USER = b"User"
PASSWORD = b"clientPass"
AUTH_CHALLENGE = bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628")
PEER_CHALLENGE = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
NT_RESPONSE = bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")
AUTH_RESPONSE = b"S=407A5589115FD0D6209F510FE9C04566932CDA56"


def test_md4_and_mschapv2_match_rfc_2759() -> None:
    assert mschap.md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
    assert mschap.md4(b"").hex() == "31d6cfe0d16ae931b73c59d7e0c089c0"
    password_hash = mschap.nt_password_hash(PASSWORD)
    assert password_hash.hex().upper() == "44EBBA8D5312B8D611474411F56989AE"
    challenge = mschap.challenge_hash(PEER_CHALLENGE, AUTH_CHALLENGE, USER)
    assert challenge.hex().upper() == "D02E4386BCE91226"
    assert mschap.nt_response(challenge, password_hash) == NT_RESPONSE
    assert mschap.authenticator_response(password_hash, NT_RESPONSE, challenge) == \
        AUTH_RESPONSE


def _mschap_request(ident: int, username: str, password: bytes) -> bytes:
    packet = AuthPacket(code=codec.ACCESS_REQUEST, id=ident, secret=SECRET.encode(),
                        dict=load_dictionary())
    packet["User-Name"] = username
    challenge = mschap.challenge_hash(PEER_CHALLENGE, AUTH_CHALLENGE, username.encode())
    answer = mschap.nt_response(challenge, mschap.nt_password_hash(password))
    packet["MS-CHAP-Challenge"] = AUTH_CHALLENGE
    packet["MS-CHAP2-Response"] = b"\x01\x00" + PEER_CHALLENGE + bytes(8) + answer
    packet.add_message_authenticator()
    return packet.RequestPacket()


def test_mschapv2_login_gets_an_accept_with_the_success_message(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": seed_status()})
    good = isp.passwords["alice"].encode()
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(_mschap_request(1, "alice", good), ("127.0.0.1", server.auth_port))
        accept = codec.decode(sock.recv(4096))
        sock.sendto(_mschap_request(2, "alice", b"wrong"), ("127.0.0.1", server.auth_port))
        reject = codec.decode(sock.recv(4096))
    assert accept.code == codec.ACCESS_ACCEPT and reject.code == codec.ACCESS_REJECT
    success = accept.first((codec.MICROSOFT, 26))
    assert success is not None and success[:1] == b"\x01" and success[1:3] == b"S="


def seed_status():  # type: ignore[no-untyped-def]
    from dotmac_isp.modules.services.enums import SubscriptionStatus

    return SubscriptionStatus.ACTIVE


@pytest.fixture
def stand_in_ipam() -> Iterator[dict[uuid.UUID, tuple[str, str]]]:
    table: dict[uuid.UUID, tuple[str, str]] = {}

    def source(_session: Session, _tenant: uuid.UUID,
               subscription_id: uuid.UUID) -> tuple[str | None, str | None]:
        return table.get(subscription_id, (None, None))

    addresses.register_address_source(source)
    try:
        yield table
    finally:
        addresses.unregister_address_source(source)


def test_a_registered_address_source_gives_framed_ip_and_delegated_prefix(
        radius_db: Database, settings: Settings,
        stand_in_ipam: dict[uuid.UUID, tuple[str, str]]) -> None:
    isp = seed_isp(radius_db, settings, statuses={"alice": seed_status()})
    stand_in_ipam[isp.subs["alice"].id] = ("100.64.7.9", "2001:db8:77::/56")
    packet = AuthPacket(code=codec.ACCESS_REQUEST, id=5, secret=SECRET.encode(),
                        dict=load_dictionary())
    packet["User-Name"] = "alice"
    packet["User-Password"] = packet.PwCrypt(isp.passwords["alice"])
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(packet.RequestPacket(), ("127.0.0.1", server.auth_port))
        reply = AuthPacket(packet=sock.recv(4096), secret=SECRET.encode(),
                           dict=load_dictionary())
    assert reply.code == codec.ACCESS_ACCEPT
    assert reply["Framed-IP-Address"] == ["100.64.7.9"]
    assert reply["Delegated-IPv6-Prefix"] == ["2001:db8:77::/56"]


def test_codec_rejects_lies_about_lengths() -> None:
    header = struct.pack("!BBH", 1, 1, 30) + bytes(16)
    with pytest.raises(codec.MalformedPacket):
        codec.decode(header + bytes((1, 12)) + b"abcd")  # attribute runs past the packet
    with pytest.raises(codec.MalformedPacket):
        codec.decode(struct.pack("!BBH", 1, 1, 10) + bytes(16))
    parsed = codec.decode(struct.pack("!BBH", 1, 1, 26) + bytes(16) + bytes((1, 6)) + b"bob!"
                          + b"padding after the length is ignored")
    assert parsed.text(codec.USER_NAME) == "bob!"
