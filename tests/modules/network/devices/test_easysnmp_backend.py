"""The easysnmp backend (v2c through Net-SNMP's C library): its values are the other backends'
values, SNMPv3 devices go to a backend that speaks it, and an agent answering garbage is a
device that did not answer, not a crash."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
from pysnmp.proto import rfc1902

from dotmac_isp.modules.network.devices import oids
from dotmac_isp.modules.network.devices.polling.poller import PollSpec, poll_many
from dotmac_isp.sdks.snmp import (
    SnmpClient,
    SnmpCredentials,
    SnmpTarget,
    SnmpTimeout,
    Value,
    convert,
    easysnmp_backend,
)
from dotmac_isp.sdks.snmp.easysnmp_backend import EasysnmpClient, value_of
from tests.support.snmpd import V3_AUTH, V3_PRIV, V3_USER, SnmpAgent

pytestmark = pytest.mark.skipif(not easysnmp_backend.AVAILABLE,
                                reason="easysnmp is not installed")


def _latin1(raw: bytes) -> str:  # how the C extension hands an OCTET STRING over
    return raw.decode("latin-1")


def test_values_convert_as_pysnmp_converts_them() -> None:
    pairs = [
        ("COUNTER64", "18446744073709551615", rfc1902.Counter64(2**64 - 1)),
        ("COUNTER", "4294967295", rfc1902.Counter32(2**32 - 1)),
        ("INTEGER", "-7", rfc1902.Integer32(-7)),
        ("GAUGE", "4294967295", rfc1902.Gauge32(2**32 - 1)),
        ("TICKS", "4200", rfc1902.TimeTicks(4200)),
        ("OBJECTID", ".1.3.6.1.4.1.9", rfc1902.ObjectIdentifier("1.3.6.1.4.1.9")),
        ("IPADDR", "10.0.0.1", rfc1902.IpAddress("10.0.0.1")),
        ("OCTETSTR", "", rfc1902.OctetString(b"")),
        ("OCTETSTR", _latin1(b"Cisco IOS\r\nVersion 15"),
         rfc1902.OctetString(b"Cisco IOS\r\nVersion 15")),
        ("OCTETSTR", _latin1("café".encode()), rfc1902.OctetString("café".encode())),
        ("OCTETSTR", _latin1(b"\x00\x1a+<\xff\x01"),
         rfc1902.OctetString(b"\x00\x1a+<\xff\x01")),
    ]
    for kind, text, pysnmp_value in pairs:
        assert value_of(kind, text) == convert(pysnmp_value), (kind, text)
    for kind in ("NOSUCHOBJECT", "NOSUCHINSTANCE", "ENDOFMIBVIEW"):
        assert value_of(kind, kind) is None


def test_v2c_goes_through_easysnmp_and_v3_through_a_backend_that_speaks_it() -> None:
    client = SnmpClient("easysnmp")
    v3 = SnmpCredentials(version="v3", username="u", auth_protocol="sha", auth_key="a" * 8)
    try:
        assert client._reader(SnmpTarget("127.0.0.1")).backend == "easysnmp"
        assert client._reader(SnmpTarget("127.0.0.1", credentials=v3)).backend == "ezsnmp"
        assert client._reader(SnmpTarget("::1")).backend == "ezsnmp"  # an IPv6 literal
    finally:
        client.close()


def test_walk_across_many_getbulks_matches_snmpwalk(snmp_agent: SnmpAgent) -> None:
    target = SnmpTarget(snmp_agent.host, snmp_agent.port,
                        SnmpCredentials(community=snmp_agent.community), timeout=2)
    columns = [oids.IF_NAME, oids.IF_OPER_STATUS, "1.3.6.1.2.1.4.20.1.1"]

    async def walk() -> dict[str, dict[int, Value]]:
        client = EasysnmpClient(workers=2)
        try:  # one row per GETBULK: every row is a request of its own
            return await client.walk(target, columns, max_repetitions=1)
        finally:
            client.close()

    walked = asyncio.run(walk())
    assert walked[oids.IF_NAME] == snmp_agent.snmpwalk(oids.IF_NAME)
    assert walked[oids.IF_OPER_STATUS] and all(
        isinstance(v, int) for v in walked[oids.IF_OPER_STATUS].values())


def test_v3_devices_are_polled_beside_v2c_ones(snmp_agent: SnmpAgent) -> None:
    v2c = SnmpTarget(snmp_agent.host, snmp_agent.port,
                     SnmpCredentials(community=snmp_agent.community), timeout=2)
    v3 = SnmpTarget(snmp_agent.host, snmp_agent.port, SnmpCredentials(
        version="v3", username=V3_USER, auth_protocol="sha", auth_key=V3_AUTH,
        priv_protocol="aes", priv_key=V3_PRIV), timeout=2, retries=2)
    specs = [PollSpec(uuid.uuid4(), v2c), PollSpec(uuid.uuid4(), v3)]
    results = asyncio.run(poll_many(specs, backend="easysnmp"))
    assert all(r.reachable and not r.partial_errors for r in results)
    assert [i.if_index for i in results[0].interfaces] == [
        i.if_index for i in results[1].interfaces]
    assert all(r.counters_read == 2 * len(r.interfaces) > 0 for r in results)


@pytest.fixture
def hostile_agent() -> Iterator[tuple[int, list[bytes]]]:
    """A UDP "agent" on loopback that answers every request with the next crafted reply."""
    replies: list[bytes] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                _, peer = sock.recvfrom(65535)
            except OSError:
                continue
            if replies:
                sock.sendto(replies[0], peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], replies
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag, len(content))) + content


# a well-formed GetResponse (sysUpTime.0 = 0) to a request never sent (request-id 0x7fffffff)
STRAY_RESPONSE = _tlv(0x30, _tlv(0x02, b"\x01") + _tlv(0x04, b"public") + _tlv(0xA2, (
    _tlv(0x02, b"\x7f\xff\xff\xff") + _tlv(0x02, b"\x00") + _tlv(0x02, b"\x00")
    + _tlv(0x30, _tlv(0x30, _tlv(0x06, bytes((0x2B, 6, 1, 2, 1, 1, 3, 0)))
                      + _tlv(0x43, b"\x00"))))))
GARBAGE = [
    b"",
    b"\x30",  # a SEQUENCE cut after its tag
    b"\x30\x82\xff\xff\x02\x01\x01",  # a length far past the datagram
    b"\x30\x0b\x02\x01\x01\x04\x06public\xa2",  # a response PDU cut short
    bytes(range(256)) * 4,
    STRAY_RESPONSE,
]


@pytest.mark.parametrize("reply", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_replies_read_as_no_answer(hostile_agent: tuple[int, list[bytes]],
                                           reply: bytes) -> None:
    port, replies = hostile_agent
    replies.append(reply)
    target = SnmpTarget("127.0.0.1", port, SnmpCredentials(community="public"),
                        timeout=0.3, retries=0)

    async def read() -> None:
        client = EasysnmpClient(workers=1)
        try:
            with pytest.raises(SnmpTimeout):
                await client.walk(target, [oids.IF_HC_IN_OCTETS])
            with pytest.raises(SnmpTimeout):
                await client.get(target, [oids.SYS_UPTIME])
        finally:
            client.close()

    asyncio.run(read())
    result = asyncio.run(poll_many([PollSpec(uuid.uuid4(), target)], backend="easysnmp"))[0]
    assert not result.reachable and "no SNMP answer" in (result.error or "")


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_a_cycle_over_many_devices_keeps_few_sockets_open(
        snmp_agent: SnmpAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(easysnmp_backend, "IDLE_SESSIONS", 4)
    # 40 "devices": the same agent under 40 targets, each a session of its own
    targets = [SnmpTarget(snmp_agent.host, snmp_agent.port,
                          SnmpCredentials(community=snmp_agent.community),
                          timeout=2 + i / 100) for i in range(40)]

    async def cycle(client: EasysnmpClient) -> list[dict[str, dict[int, Value]]]:
        return list(await asyncio.gather(*(client.walk(t, [oids.IF_NAME]) for t in targets)))

    async def run() -> tuple[list[dict[str, dict[int, Value]]], int]:
        client = EasysnmpClient(workers=8)
        try:
            walked = await cycle(client)
            walked += await cycle(client)
            return walked, _open_files()
        finally:
            client.close()

    before = _open_files()
    walked, during = asyncio.run(run())
    assert all(w == walked[0] and w[oids.IF_NAME] for w in walked)
    assert during - before <= 4 + 8 + 4  # idle sessions, one per worker, the loop's own
