"""The SNMP backends (Net-SNMP's C library through easysnmp and through ezsnmp, and pysnmp) read
a real snmpd and hand back the same values, the same poll results and the same errors."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from pydantic import ValidationError
from pysnmp.proto import rfc1902

from dotmac_isp.modules.network.devices import oids
from dotmac_isp.modules.network.devices.polling.poller import PollResult, PollSpec, poll_device
from dotmac_isp.modules.network.devices.settings import DevicesSettings
from dotmac_isp.sdks.snmp import (
    SnmpAuthError,
    SnmpClient,
    SnmpCredentials,
    SnmpTarget,
    SnmpTimeout,
    convert,
    easysnmp_backend,
)
from dotmac_isp.sdks.snmp.ezsnmp_backend import EzsnmpClient, _value
from tests.support.snmpd import (
    CUSTOM_CPU_OID,
    IN_OCTETS_1,
    OUT_OCTETS_1,
    V3_AUTH,
    V3_PRIV,
    V3_USER,
    SnmpAgent,
    free_udp_port,
)

T = TypeVar("T")
# easysnmp builds from source (libsnmp-dev): where it is not installed its rows are left out
BACKENDS = tuple(b for b in ("easysnmp", "ezsnmp", "pysnmp")
                 if b != "easysnmp" or easysnmp_backend.AVAILABLE)
SCALARS = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.4.0", "1.3.6.1.2.1.1.5.0",
           "1.3.6.1.2.1.1.6.0", "1.3.6.1.2.1.1.7.0", CUSTOM_CPU_OID,
           "1.3.6.1.2.1.1.99.0",  # no such object
           "1.3.6.1.2.1.1.5.1"]  # no such instance
# Columns that hold still while a test reads them, of every type an agent sends: strings,
# INTEGER enums, Gauge32, MAC addresses (binary and empty), TimeTicks, Counter64 (served
# from the fixture's files), IpAddress and OBJECT IDENTIFIER values.
COLUMNS = ["1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3", "1.3.6.1.2.1.2.2.1.4",
           "1.3.6.1.2.1.2.2.1.5", "1.3.6.1.2.1.2.2.1.6", "1.3.6.1.2.1.2.2.1.7",
           "1.3.6.1.2.1.2.2.1.9", oids.IF_NAME, oids.IF_HC_IN_OCTETS, oids.IF_HC_OUT_OCTETS,
           oids.IF_HIGH_SPEED, "1.3.6.1.2.1.4.20.1.1", "1.3.6.1.2.1.1.9.1.2",
           "1.3.6.1.2.1.1.9.1.3"]
V3 = SnmpCredentials(version="v3", username=V3_USER, auth_protocol="sha", auth_key=V3_AUTH,
                     priv_protocol="aes", priv_key=V3_PRIV)


def _target(agent: SnmpAgent, port: int | None = None, timeout: float = 2, retries: int = 1,
            credentials: SnmpCredentials | None = None) -> SnmpTarget:
    return SnmpTarget(agent.host, port or agent.port,
                      credentials or SnmpCredentials(community=agent.community),
                      timeout=timeout, retries=retries)


def _with(backend: str, use: Callable[[SnmpClient], Awaitable[T]]) -> T:
    async def run() -> T:
        client = SnmpClient(backend)
        try:
            return await use(client)
        finally:
            client.close()
    return asyncio.run(run())


def _error(backend: str, target: SnmpTarget) -> Exception:
    with pytest.raises(Exception) as caught:
        _with(backend, lambda client: client.get(target, [oids.SYS_NAME]))
    return caught.value


def _poll(backend: str, spec: PollSpec) -> PollResult:
    return _with(backend, lambda client: poll_device(client, spec))


def _comparable(result: PollResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    # what moves between two reads of the same agent: clocks, uptime, load and memory
    for key in ("polled_at", "response_ms", "sys_uptime_ticks", "cpu_pct", "memory_pct"):
        data.pop(key)
    return data


def test_scalars_and_columns_of_every_type_read_the_same(snmp_agent: SnmpAgent) -> None:
    snmp_agent.set_counter(IN_OCTETS_1, 2**64 - 5)
    snmp_agent.set_counter(OUT_OCTETS_1, 123_456_789_012)
    target = _target(snmp_agent)
    read = {backend: (_with(backend, lambda client: client.get(target, SCALARS)),
                      _with(backend, lambda client: client.walk(target, COLUMNS,
                                                                max_repetitions=7)))
            for backend in BACKENDS}
    assert all(values == read["pysnmp"] for values in read.values())
    scalars, columns = read[BACKENDS[0]]
    assert scalars[oids.SYS_DESCR] == "DotMac test agent (net-snmp)"
    assert scalars["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.8072.3.2.10"  # an OID, no dot
    assert scalars["1.3.6.1.2.1.1.99.0"] is None and scalars["1.3.6.1.2.1.1.5.1"] is None
    assert columns[oids.IF_HC_IN_OCTETS][1] == 2**64 - 5
    assert columns[oids.IF_NAME][1] == "lo"
    assert columns["1.3.6.1.2.1.2.2.1.6"][1] == ""  # lo has an empty MAC address
    assert columns["1.3.6.1.2.1.4.20.1.1"][1] == "127.0.0.1"
    assert all(isinstance(v, int) for v in columns["1.3.6.1.2.1.2.2.1.9"].values())


def test_poll_results_are_identical(snmp_agent: SnmpAgent) -> None:
    snmp_agent.set_counter(IN_OCTETS_1, 5_000_000)
    snmp_agent.set_counter(OUT_OCTETS_1, 7_000_000)
    device_id = uuid.uuid4()
    for spec in (PollSpec(device_id, _target(snmp_agent), discover=True),
                 PollSpec(device_id, _target(snmp_agent), read_status=False),
                 PollSpec(device_id, _target(snmp_agent), cpu_oid=CUSTOM_CPU_OID,
                          interface_count=1)):
        results = {backend: _poll(backend, spec) for backend in BACKENDS}
        expected = _comparable(results["pysnmp"])
        assert all(_comparable(result) == expected for result in results.values())
        result = results[BACKENDS[0]]
        assert result.reachable and result.interfaces[0].in_octets == 5_000_000
        assert result.counters_read == 2 * len(result.interfaces)
        assert len({r.cpu_pct is None for r in results.values()}) == 1


def test_value_conversions_match_pysnmp() -> None:
    @dataclasses.dataclass
    class Printed:  # what ezsnmp hands over for one variable
        type: str
        value: str
        converted_value: Any = None

    pairs = [
        (Printed("Counter64", "18446744073709551615"), rfc1902.Counter64(2**64 - 1)),
        (Printed("INTEGER", "-7"), rfc1902.Integer32(-7)),
        (Printed("Gauge32", "4294967295"), rfc1902.Gauge32(2**32 - 1)),
        (Printed("Timeticks", "(4200) 0:00:42.00", 4200), rfc1902.TimeTicks(4200)),
        (Printed("OID", ".1.3.6.1.4.1.9"), rfc1902.ObjectIdentifier("1.3.6.1.4.1.9")),
        (Printed("IpAddress", "10.0.0.1"), rfc1902.IpAddress("10.0.0.1")),
        (Printed('""', ""), rfc1902.OctetString(b"")),
        (Printed("Hex-STRING", "", b"Cisco IOS\r\nVersion 15"),
         rfc1902.OctetString(b"Cisco IOS\r\nVersion 15")),
        (Printed("Hex-STRING", "", "café".encode()), rfc1902.OctetString("café".encode())),
        (Printed("Hex-STRING", "", b"\x00\x1a+<\xff\x01"),
         rfc1902.OctetString(b"\x00\x1a+<\xff\x01")),
    ]
    for printed, pysnmp_value in pairs:
        assert _value(printed) == convert(pysnmp_value), printed
    assert _value(Printed("NOSUCHINSTANCE", "No Such Instance")) is None


def test_snmpv3_auth_priv_through_net_snmp(snmp_agent: SnmpAgent) -> None:
    target = _target(snmp_agent, retries=2, credentials=V3)

    async def read(client: EzsnmpClient) -> tuple[dict[str, Any], dict[str, Any]]:
        return (await client.get(target, [oids.SYS_NAME, oids.SYS_DESCR]),
                await client.walk(target, [oids.IF_NAME, oids.IF_HC_IN_OCTETS]))

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        client = EzsnmpClient(workers=2)  # the C library alone, no pysnmp to fall back on
        try:
            return await read(client)
        finally:
            client.close()

    scalars, columns = asyncio.run(run())
    assert scalars[oids.SYS_NAME] == snmp_agent.snmpget(oids.SYS_NAME)[oids.SYS_NAME]
    assert columns[oids.IF_NAME] == snmp_agent.snmpwalk(oids.IF_NAME)
    assert (scalars, columns) == (
        _with("pysnmp", lambda client: client.get(target, [oids.SYS_NAME, oids.SYS_DESCR])),
        _with("pysnmp", lambda client: client.walk(
            target, [oids.IF_NAME, oids.IF_HC_IN_OCTETS])))


def test_failures_map_to_the_same_errors(snmp_agent: SnmpAgent) -> None:
    silent = free_udp_port()
    cases: list[tuple[SnmpTarget, type[Exception]]] = [
        (_target(snmp_agent, port=silent, timeout=0.5, retries=0), SnmpTimeout),
        # an agent does not answer a community it does not know
        (_target(snmp_agent, timeout=0.5, retries=0,
                 credentials=SnmpCredentials(community="wrong-community")), SnmpTimeout),
        (_target(snmp_agent, timeout=1, retries=0,
                 credentials=dataclasses.replace(V3, auth_key="wrong-auth-pass")),
         SnmpAuthError),
        (_target(snmp_agent, timeout=1, retries=0,
                 credentials=dataclasses.replace(V3, username="intruder")), SnmpAuthError),
    ]
    for target, expected in cases:
        errors = {backend: _error(backend, target) for backend in BACKENDS}
        assert all(type(error) is expected for error in errors.values()), errors
        if expected is SnmpTimeout:
            assert len({str(error) for error in errors.values()}) == 1
            assert f"no SNMP answer from 127.0.0.1:{target.port} within" in str(
                errors["ezsnmp"])


def test_backend_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DevicesSettings().snmp_backend == "auto"
    client = SnmpClient(DevicesSettings().snmp_backend)
    assert client.backend == BACKENDS[0]  # the fastest installed
    client.close()
    monkeypatch.setenv("DOTMAC_DEVICES_SNMP_BACKEND", "pysnmp")
    client = SnmpClient(DevicesSettings().snmp_backend)
    assert client.backend == "pysnmp"
    client.close()
    monkeypatch.setenv("DOTMAC_DEVICES_SNMP_BACKEND", "netsnmp")
    with pytest.raises(ValidationError):
        DevicesSettings()
