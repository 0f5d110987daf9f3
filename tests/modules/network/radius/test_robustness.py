"""Hostile and odd traffic: malformed and random datagrams, unknown NASes, bad
authenticators, retransmissions. The server counts and drops, and keeps answering."""

from __future__ import annotations

import hashlib
import os
import random
import socket
import struct
import time

from pyrad.packet import AcctPacket, AuthPacket

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.server import PACKETS, RadiusServer
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.dictionary import load_dictionary
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    SECRET,
    Isp,
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)

FUZZ_PACKETS = 5000


def _count(port: str, outcome: str) -> float:
    return PACKETS.labels(port, outcome)._value.get()


def _access_request(isp: Isp, *, password: str | None = None, ident: int = 7,
                    message_authenticator: bool = True) -> bytes:
    packet = AuthPacket(code=codec.ACCESS_REQUEST, id=ident, secret=SECRET.encode(),
                        dict=load_dictionary())
    packet["User-Name"] = "alice"
    packet["User-Password"] = packet.PwCrypt(password or isp.passwords["alice"])
    if message_authenticator:
        packet.add_message_authenticator()
    return packet.RequestPacket()


def _exchange(sock: socket.socket, port: int, data: bytes, timeout: float = 2.0) -> bytes | None:
    sock.sendto(data, ("127.0.0.1", port))
    sock.settimeout(timeout)
    try:
        return sock.recv(4096)
    except TimeoutError:
        return None


def _mutations(valid: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(8)
    if choice == 0:
        return os.urandom(rng.randrange(0, 200))
    if choice == 1:
        return valid[: rng.randrange(0, len(valid))]
    if choice == 2:  # lie about the length
        return valid[:2] + struct.pack("!H", rng.randrange(0, 65536)) + valid[4:]
    if choice == 3:  # flip bytes in the attributes
        data = bytearray(valid)
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(20, len(data))] = rng.randrange(256)
        return bytes(data)
    if choice == 4:  # an attribute of length 0 or 1
        return valid + bytes((rng.randrange(256), rng.randrange(2)))
    if choice == 5:  # a vendor attribute whose inner lengths are wrong
        vsa = struct.pack("!I", rng.choice([9, 311, 14988])) + os.urandom(rng.randrange(0, 30))
        body = valid[20:] + bytes((26, len(vsa) + 2)) + vsa
        return valid[:2] + struct.pack("!H", 20 + len(body)) + valid[4:20] + body
    if choice == 6:  # any code, random header
        return bytes((rng.randrange(256), rng.randrange(256))) + valid[2:]
    # oversized
    return valid + os.urandom(rng.randrange(4000, 9000))


def test_thousands_of_malformed_and_random_packets_then_valid_requests_still_answered(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings)
    rng = random.Random(20261126)
    valid_auth = _access_request(isp)
    acct = AcctPacket(code=codec.ACCOUNTING_REQUEST, id=9, secret=SECRET.encode(),
                      dict=load_dictionary(), **{"Acct-Status-Type": "Start"})
    acct["User-Name"] = "someone-else"  # a Start for alice would count against her limit
    acct["Acct-Session-Id"] = "FUZZ"
    valid_acct = acct.RequestPacket()
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        malformed_before = _count("auth", "malformed") + _count("acct", "malformed")
        for i in range(FUZZ_PACKETS):
            target = server.auth_port if i % 2 else server.acct_port
            base = valid_auth if i % 2 else valid_acct
            sock.sendto(_mutations(base, rng), ("127.0.0.1", target))
            if i % 500 == 0:
                time.sleep(0.01)  # stay within the socket buffers: this tests parsing
        time.sleep(0.5)
        sock.setblocking(False)
        try:
            while sock.recv(4096):
                pass  # some mutations still make sense (e.g. trailing padding)
        except BlockingIOError:
            pass
        reply = _exchange(sock, server.auth_port, _access_request(isp, ident=201))
        assert reply is not None and reply[0] == codec.ACCESS_ACCEPT
        assert _count("auth", "malformed") + _count("acct", "malformed") - malformed_before \
            > FUZZ_PACKETS / 10
    if _radclient_available():
        with running_server(radius_settings(settings), radius_db) as server:
            replies = radclient(server.auth_port, "auth", [
                {"User-Name": "alice", "User-Password": isp.passwords["alice"]}])
        assert [r.code for r in replies] == ["Access-Accept"]


def _radclient_available() -> bool:
    try:
        require_radclient()
    except BaseException:
        return False
    return True


def test_unknown_nas_is_dropped_and_counted(radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, address="192.0.2.10")  # not where we send from
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        before = _count("auth", "unknown_nas")
        assert _exchange(sock, server.auth_port, _access_request(isp), timeout=0.5) is None
        assert _count("auth", "unknown_nas") == before + 1


def test_message_authenticator_is_checked_and_required_when_the_nas_says_so(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings, require_ma=True)
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        without = _access_request(isp, message_authenticator=False, ident=1)
        assert _exchange(sock, server.auth_port, without, timeout=0.5) is None
        forged = bytearray(_access_request(isp, ident=2))
        forged[-1] ^= 0xFF  # the Message-Authenticator is the first attribute; break the tail
        offset = bytes(forged).index(bytes((80, 18))) + 2
        forged[offset] ^= 0x01
        assert _exchange(sock, server.auth_port, bytes(forged), timeout=0.5) is None
        reply = _exchange(sock, server.auth_port, _access_request(isp, ident=3))
        assert reply is not None and reply[0] == codec.ACCESS_ACCEPT
        # the reply's Response Authenticator is right for the request we sent
        sent = _access_request(isp, ident=4)
        reply = _exchange(sock, server.auth_port, sent)
        assert reply is not None
        assert reply[4:20] == hashlib.md5(reply[:4] + sent[4:20] + reply[20:]
                                          + SECRET.encode()).digest()


def test_a_retransmission_gets_the_same_answer_from_the_duplicate_cache(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        packet = _access_request(isp, ident=42)
        first = _exchange(sock, server.auth_port, packet)
        before = _count("auth", "duplicate")
        again = _exchange(sock, server.auth_port, packet)
        assert first is not None and again == first
        assert _count("auth", "duplicate") == before + 1


def test_policy_and_nas_changes_apply_without_a_restart(radius_db: Database,
                                                       settings: Settings) -> None:
    from dotmac_isp.modules.services import lifecycle
    from dotmac_isp.modules.services.enums import SubscriptionStatus

    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ok = _exchange(sock, server.auth_port, _access_request(isp, ident=60))
        assert ok is not None and ok[0] == codec.ACCESS_ACCEPT
        with radius_db.unit_of_work() as session:
            lifecycle.transition(session, isp.tenant.id, isp.subs["alice"].id,
                                 SubscriptionStatus.TERMINATED, reason="left")
        assert _eventually(server, lambda: _code(sock, server, isp, 61) == codec.ACCESS_REJECT)


def test_a_nas_added_while_running_is_served_without_a_restart(radius_db: Database,
                                                                settings: Settings) -> None:
    from dotmac_isp.modules.network.radius import nas as nas_service
    from dotmac_isp.modules.network.radius.schemas import NasUpdate

    isp = seed_isp(radius_db, settings, address="192.0.2.10")  # not where we send from
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert _code(sock, server, isp, 70) is None
        with radius_db.unit_of_work() as session:
            nas_service.update_nas(session, settings, isp.tenant.id, isp.nas_id,
                                   NasUpdate(address="127.0.0.1"))
        assert _eventually(server, lambda: _code(sock, server, isp, 71) == codec.ACCESS_ACCEPT)


def _code(sock: socket.socket, server: RadiusServer, isp: Isp, ident: int) -> int | None:
    reply = _exchange(sock, server.auth_port, _access_request(isp, ident=ident), timeout=0.5)
    return reply[0] if reply else None


def _eventually(_server: RadiusServer, check: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False
