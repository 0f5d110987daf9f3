"""Values a NAS may send that no column can hold as they are (a binary Class with NUL octets,
an over-long Framed-Interface-Id, a User-Name with a NUL) are stored in a form that fits, and
a record the database still refuses never costs the other records written with it their
answer."""

from __future__ import annotations

import hashlib
import socket
import struct

import pytest
from sqlalchemy import delete, select

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.models import RadAcct, RadPostAuth
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.sdks.radius import codec
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    SECRET,
    S,
    radius_settings,
    running_server,
    seed_isp,
)

BINARY_CLASS = b"\x00\x01ms-nps\x00\x00\x07"


def _accounting(ident: int, session_id: str, *extra: tuple[int, bytes]) -> bytes:
    given = {kind for kind, _value in extra}
    attributes = b"".join(codec.encode_raw(kind, value) for kind, value in (
        (codec.ACCT_STATUS_TYPE, (1).to_bytes(4, "big")),
        *(() if codec.USER_NAME in given else ((codec.USER_NAME, b"alice"),)),
        (codec.ACCT_SESSION_ID, session_id.encode()),
        *extra,
    ))
    header = struct.pack("!BBH", codec.ACCOUNTING_REQUEST, ident, 20 + len(attributes))
    authenticator = hashlib.md5(header + bytes(16) + attributes + SECRET.encode()).digest()
    return header + authenticator + attributes


def test_one_batch_with_binary_and_over_long_values_is_stored_and_answered_in_full(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings)
    packets = [
        _accounting(1, "binary-class", (codec.CLASS, BINARY_CLASS)),
        _accounting(2, "long-interface-id", (codec.FRAMED_INTERFACE_ID, bytes(range(40)))),
        _accounting(3, "plain", (codec.CLASS, b"gold")),
    ]
    with running_server(radius_settings(settings, acct_batch_ms=50.0), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        for packet in packets:  # sent together: one batch
            sock.sendto(packet, ("127.0.0.1", server.acct_port))
        answered = sorted(sock.recv(4096)[1] for _ in packets)
    assert answered == [1, 2, 3]
    with radius_db.unit_of_work(write=False) as session:
        rows = {r.acctsessionid: r for r in session.scalars(
            select(RadAcct).where(RadAcct.tenant_id == isp.tenant.id))}
    assert set(rows) == {"binary-class", "long-interface-id", "plain"}
    assert rows["binary-class"].class_ == "\ufffd\x01ms-nps\ufffd\ufffd\x07"
    assert rows["long-interface-id"].framedinterfaceid is None
    assert rows["plain"].class_ == "gold"


def test_a_user_name_with_a_nul_still_leaves_the_authentication_log_written(
        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings)
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        for ident, name in ((1, b"mallory\x00admin"), (2, b"alice")):
            attributes = b"".join(codec.encode_raw(kind, value) for kind, value in (
                (codec.USER_NAME, name), (codec.USER_PASSWORD, bytes(16))))
            header = struct.pack("!BBH", codec.ACCESS_REQUEST, ident, 20 + len(attributes))
            sock.sendto(header + bytes(range(16, 32)) + attributes,
                        ("127.0.0.1", server.auth_port))
            assert sock.recv(4096)[0] == codec.ACCESS_REJECT  # wrong password, both
    # the server flushed its log when it stopped
    with radius_db.unit_of_work(write=False) as session:
        names = set(session.scalars(select(RadPostAuth.username).where(
            RadPostAuth.tenant_id == isp.tenant.id)))
    # PostgreSQL cannot keep the NUL (SQLite can): the row is there either way
    assert {name.replace("\x00", "\ufffd") for name in names} == {"mallory\ufffdadmin", "alice"}


def test_a_record_the_database_refuses_costs_the_others_in_its_batch_nothing(
        radius_db: Database, settings: Settings) -> None:
    # ghost's subscription is deleted behind the server's back (no change logged): the
    # server still has the profile, and the database refuses its subscription id
    isp = seed_isp(radius_db, settings, statuses={"alice": S.ACTIVE, "ghost": S.PENDING})
    with running_server(radius_settings(settings, acct_batch_ms=50.0), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with radius_db.unit_of_work() as session:
            session.connection().execute(delete(Subscription).where(
                Subscription.id == isp.subs["ghost"].id))
        sock.settimeout(1.0)
        for ident, name in ((1, b"ghost"), (2, b"alice")):  # sent together: one batch
            sock.sendto(_accounting(ident, f"{name.decode()}-session",
                                    (codec.USER_NAME, name)),
                        ("127.0.0.1", server.acct_port))
        answered = [sock.recv(4096)[1]]
        with pytest.raises(TimeoutError):
            answered.append(sock.recv(4096)[1])
    assert answered == [2]  # alice's; ghost's is left for the NAS to send again
    with radius_db.unit_of_work(write=False) as session:
        stored = set(session.scalars(select(RadAcct.acctsessionid).where(
            RadAcct.tenant_id == isp.tenant.id)))
    assert stored == {"alice-session"}
