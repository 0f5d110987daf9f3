"""The table walker against a real snmpd, v2c and v3: the same rows as SnmpClient.walk for a
one-part index, the whole index kept, octets as bytes; a wrong v3 key is an error."""

from __future__ import annotations

import asyncio

import pytest

from dotmac_isp.modules.network.devices import oids as if_oids
from dotmac_isp.modules.network.topology.walker import TableWalker
from dotmac_isp.sdks.core.exceptions import SNMPError
from dotmac_isp.sdks.snmp import SnmpClient, SnmpCredentials, SnmpTarget
from tests.support.snmpd import V3_AUTH, V3_PRIV, V3_USER, SnmpAgent

IP_AD_ENT_IF_INDEX = "1.3.6.1.2.1.4.20.1.2"  # ipAdEntIfIndex: indexed by an IPv4 address


def _v3(auth: str = V3_AUTH) -> SnmpCredentials:
    return SnmpCredentials(version="v3", username=V3_USER, auth_protocol="sha", auth_key=auth,
                           priv_protocol="aes", priv_key=V3_PRIV)


def test_walker_reads_what_snmpclient_reads_with_whole_indexes(snmp_agent: SnmpAgent) -> None:
    async def run() -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
        walker, client = TableWalker(), SnmpClient()
        target = SnmpTarget(snmp_agent.host, snmp_agent.port, _v3(), timeout=3, retries=1)
        try:
            ours = await walker.walk(target, [if_oids.IF_DESCR, IP_AD_ENT_IF_INDEX])
            theirs = await client.walk(target, [if_oids.IF_DESCR])
            v2 = await walker.walk(SnmpTarget(snmp_agent.host, snmp_agent.port, SnmpCredentials(
                community=snmp_agent.community), timeout=3), [if_oids.IF_DESCR])
            return ours, theirs, v2
        finally:
            walker.close()
            client.close()

    ours, theirs, v2 = asyncio.run(run())
    assert {index[0]: value.decode() for index, value in ours[if_oids.IF_DESCR].items()
            } == theirs[if_oids.IF_DESCR]
    assert ours[if_oids.IF_DESCR] == v2[if_oids.IF_DESCR]
    assert all(isinstance(v, bytes) for v in ours[if_oids.IF_DESCR].values())
    # 127.0.0.1 is on lo: the four-part index survives (SnmpClient would keep only "1")
    lo = next(index for index, name in theirs[if_oids.IF_DESCR].items() if name == "lo")
    assert ours[IP_AD_ENT_IF_INDEX][(127, 0, 0, 1)] == lo


def test_wrong_v3_key_is_an_error(snmp_agent: SnmpAgent) -> None:
    async def run() -> None:
        walker = TableWalker()
        try:
            await walker.walk(SnmpTarget(snmp_agent.host, snmp_agent.port,
                                         _v3("not-the-key-123"), timeout=1, retries=0),
                              [if_oids.IF_DESCR])
        finally:
            walker.close()

    with pytest.raises(SNMPError):
        asyncio.run(run())
