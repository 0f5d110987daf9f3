"""Memory on the packet path stays level however many new values NASes send: every cache and
table keyed by what a datagram carries on the accounting or the authentication port (source
address, attribute values, user names, session ids, retransmission keys) holds at most its
configured number of entries."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import struct
import tracemalloc
import uuid
from typing import Any

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import cache as policy_cache
from dotmac_isp.modules.network.radius import records
from dotmac_isp.modules.network.radius.accounting import AcctRecord, Written
from dotmac_isp.modules.network.radius.cache import OnlineSessions, Update
from dotmac_isp.modules.network.radius.enums import AcctStatus
from dotmac_isp.modules.network.radius.policy import Profile
from dotmac_isp.modules.network.radius.server import PACKETS, RadiusServer
from dotmac_isp.modules.network.radius.store import NasEntry, OpenSession
from dotmac_isp.sdks.radius import codec
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.modules.network.radius.support import radius_settings

SECRET = b"bounded-secret-123"
TENANT = uuid.uuid4()
NAS_ID = uuid.uuid4()
PACKETS_SENT = 20_000
INTERIM, STOP = 3, 2


def _attr(kind: int, value: bytes) -> bytes:
    return codec.encode_raw(kind, value)


def accounting_request(n: int, username: str, status: int = INTERIM) -> bytes:
    """A signed Accounting-Request in which every value is new: session id, Class, station
    ids, Connect-Info, and enumerated values no dictionary names."""
    attributes = b"".join((
        _attr(codec.ACCT_STATUS_TYPE, status.to_bytes(4, "big")),
        _attr(codec.USER_NAME, username.encode()),
        _attr(codec.ACCT_SESSION_ID, f"S{n:08x}".encode()),
        _attr(codec.CLASS, f"class-{n}-{uuid.uuid4().hex}".encode()),
        _attr(codec.CALLED_STATION_ID, f"called-{n}".encode()),
        _attr(codec.CALLING_STATION_ID, f"02:{n >> 24 & 255:02x}:{n >> 16 & 255:02x}:"
                                        f"{n >> 8 & 255:02x}:{n & 255:02x}:01".encode()),
        _attr(codec.CONNECT_INFO, f"{n} Mbps link {n * 7}".encode()),
        _attr(codec.NAS_PORT_TYPE, (1000 + n).to_bytes(4, "big")),
        _attr(codec.ACCT_TERMINATE_CAUSE, (5000 + n).to_bytes(4, "big")),
        _attr(codec.ACCT_SESSION_TIME, n.to_bytes(4, "big")),
    ))
    header = struct.pack("!BBH", codec.ACCOUNTING_REQUEST, n & 255, 20 + len(attributes))
    authenticator = hashlib.md5(header + bytes(16) + attributes + SECRET).digest()
    return header + authenticator + attributes


def access_request(n: int, username: str) -> bytes:
    """An Access-Request from a user name and station the server has not seen."""
    attributes = b"".join((
        _attr(codec.USER_NAME, username.encode()),
        _attr(codec.USER_PASSWORD, hashlib.md5(str(n).encode()).digest()),
        _attr(codec.CALLING_STATION_ID, f"cpe-{n}".encode()),
        _attr(codec.NAS_PORT_TYPE, (1000 + n).to_bytes(4, "big")),
    ))
    header = struct.pack("!BBH", codec.ACCESS_REQUEST, n & 255, 20 + len(attributes))
    return header + hashlib.md5(b"auth-%d" % n).digest() + attributes


def source(n: int) -> tuple[str, int]:
    """A different address of the NAS's range for every packet (a spoofing sender's view)."""
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", 40_000 + n % 1000


class Transport:
    def __init__(self) -> None:
        self.sent = 0

    def sendto(self, _data: bytes, _addr: Any) -> None:
        self.sent += 1

    def is_closing(self) -> bool:
        return False


def _count(outcome: str) -> float:
    return PACKETS.labels("acct", outcome)._value.get()


def _as_if_stored(recs: list[AcctRecord]) -> Written:
    """What the database would report for fresh sessions: Start and Interim leave them open,
    Stop closes them."""
    written = Written()
    for r in recs:
        if r.status == AcctStatus.STOP:
            written.close(r.acctuniqueid)
        elif r.status in (AcctStatus.START, AcctStatus.INTERIM):
            written.open(r)
    return written


@pytest.fixture
def server(settings: Settings) -> Any:
    """The server's packet path with a NAS range 10.0.0.0/8 and one subscriber, alice; the
    commit is left out (nothing here depends on the database)."""
    limits = radius_settings(settings, duplicate_cache_entries=1000, acct_queue_limit=500,
                             sessions_per_subscriber=8, postauth_log=False)
    database = Database.from_url("sqlite://")
    server = RadiusServer(limits, database)
    server._store = _as_if_stored  # type: ignore[method-assign]
    nas = NasEntry(NAS_ID, TENANT, "bng-range", ipaddress.ip_network("10.0.0.0/8"), SECRET,
                   "mikrotik", 3799, False)
    alice = Profile(TENANT, uuid.uuid4(), "alice", "", "active", uuid.uuid4())
    server.cache.apply(Update(full=True, nas=[nas], profiles=[alice], sessions=[]))
    server.acct_transport = Transport()  # type: ignore[assignment]
    server.auth_transport = Transport()  # type: ignore[assignment]
    yield server
    server._writer.shutdown(wait=True)
    server._loader.shutdown(wait=False)
    database.dispose()


def _send(server: RadiusServer, first: int, count: int) -> None:
    """Packets first..first+count through the handler, each batch committed as it fills."""

    async def run() -> None:
        for n in range(first, first + count):
            user = "alice" if n % 2 else f"roamer-{n}"  # a subscriber, and names we never had
            server._on_acct(accounting_request(n, user), source(n))
            server._on_auth(access_request(n, user), source(n))  # a wrong password, or none
            if len(server._batch) >= server.radius.acct_batch_max:
                await server._write_batch()
        await server._drain_batch()

    asyncio.run(run())


def test_twenty_thousand_packets_of_new_values_leave_every_cache_at_its_bound(
        server: RadiusServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_cache, "RANGE_MEMO_ENTRIES", 2000)
    server.cache.apply(Update(nas=list(server.cache.nas.by_id.values())))  # memo of 2000
    stored = _count("stored")
    tracemalloc.start()
    try:
        _send(server, 0, PACKETS_SENT // 2)
        halfway, _peak = tracemalloc.get_traced_memory()
        _send(server, PACKETS_SENT // 2, PACKETS_SENT // 2)
        end, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert _count("stored") - stored == PACKETS_SENT  # every packet went the whole way
    assert server.acct_transport.sent == PACKETS_SENT  # type: ignore[union-attr]
    assert server.auth_transport.sent == PACKETS_SENT  # type: ignore[union-attr]
    assert len(server.duplicates) <= 1000
    assert server.cache.nas.in_range.cache_info().currsize == 2000
    assert records._value_names.cache_info().currsize <= len(records._NAMED)
    online = server.cache.online
    assert len(online) == 8  # alice's eight latest sessions; the other names are not kept
    last = PACKETS_SENT - 1
    assert [s.acctuniqueid for s in online.by_user[(TENANT, "alice")].values()][-1] == \
        records.from_request(codec.decode(accounting_request(last, "alice")), TENANT, NAS_ID,
                             source(last)[0], utcnow()).acctuniqueid
    # the second 10,000 packets, all new values, leave memory where the first left it
    # (the memo of attribute value names alone used to add 3.5 MiB here)
    assert end - halfway < 512 * 1024, f"grew {(end - halfway) / 2**20:.1f} MiB"


def test_values_a_dictionary_does_not_name_are_stored_as_their_numbers() -> None:
    request = codec.decode(accounting_request(7, "alice", STOP))
    record = records.from_request(request, TENANT, NAS_ID, "10.0.0.1", utcnow())
    assert record.columns["nasporttype"] == "1007"
    assert record.columns["acctterminatecause"] == "5007"
    assert records.value_name("NAS-Port-Type", (15).to_bytes(4, "big")) == "Ethernet"
    assert records.value_name("Acct-Terminate-Cause", (1).to_bytes(4, "big")) == "User-Request"


def test_a_stalled_database_holds_a_bounded_queue_and_the_rest_is_left_unanswered(
        server: RadiusServer) -> None:
    overloaded = _count("overloaded")
    for n in range(2000):  # nothing is committed meanwhile
        server._on_acct(accounting_request(n, "alice"), source(n))
    assert len(server._batch) == 500
    assert _count("overloaded") - overloaded == 1500
    assert server.acct_transport.sent == 0  # type: ignore[union-attr]
    asyncio.run(server._drain_batch())
    assert server.acct_transport.sent == 500  # type: ignore[union-attr]
    # what was left unanswered is taken when the NAS sends it again
    server._on_acct(accounting_request(1999, "alice"), source(1999))
    assert len(server._batch) == 1


def test_sessions_per_subscriber_keep_the_most_recently_updated() -> None:
    online = OnlineSessions(per_user=3)
    sessions = [OpenSession(TENANT, "bob", f"uid-{n}", NAS_ID, f"cpe-{n}") for n in range(5)]
    for s in sessions[:3]:
        online.add(s)
    online.add(sessions[0])  # an Interim-Update: uid-0 is the most recent now
    online.add(sessions[3])  # uid-1 goes
    online.add(sessions[4])  # uid-2 goes
    assert set(online.by_id) == {"uid-0", "uid-3", "uid-4"}
    assert list(online.by_user[(TENANT, "bob")]) == ["uid-0", "uid-3", "uid-4"]
    assert online.others(TENANT, "bob", NAS_ID, None) == 3
    online.remove("uid-1")  # a Stop for a session no longer kept changes nothing
    online.remove("uid-3")
    assert online.others(TENANT, "bob", NAS_ID, None) == 2


def test_open_sessions_loaded_from_the_database_count_only_known_subscribers(
        server: RadiusServer) -> None:
    loaded = [OpenSession(TENANT, "alice", "a-1", NAS_ID, None),
              *(OpenSession(TENANT, f"stranger-{n}", f"x-{n}", NAS_ID, None)
                for n in range(100))]
    server.cache.apply(Update(sessions=loaded))
    assert set(server.cache.online.by_id) == {"a-1"}
    server.cache.apply(Update(opened=[OpenSession(TENANT, "alice", "a-2", NAS_ID, None),
                                      OpenSession(TENANT, "nobody", "n-1", NAS_ID, None)]))
    assert set(server.cache.online.by_id) == {"a-1", "a-2"}
