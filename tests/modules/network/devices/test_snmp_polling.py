"""Polling a real snmpd: what we read matches net-snmp's own snmpget, counters become rates."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices import oids
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.devices.polling import service as polling
from dotmac_isp.modules.network.devices.polling.models import DeviceSample, InterfaceSample
from dotmac_isp.modules.network.devices.polling.poller import PollSpec, poll_device, poll_many
from dotmac_isp.modules.network.devices.polling.tasks import poll_devices
from dotmac_isp.sdks.snmp import SnmpAuthError, SnmpClient, SnmpCredentials, SnmpTarget
from tests.modules.network.devices.factories import make_device
from tests.support.snmpd import (
    CUSTOM_CPU,
    CUSTOM_CPU_OID,
    CUSTOM_MEMORY,
    CUSTOM_MEMORY_OID,
    IN_OCTETS_1,
    OUT_OCTETS_1,
    V3_AUTH,
    V3_PRIV,
    V3_USER,
    SnmpAgent,
)


def _target(agent: SnmpAgent, **creds: str) -> SnmpTarget:
    # the agent answers; a generous timeout keeps a busy machine from looking like a dead agent
    credentials = SnmpCredentials(**creds) if creds else SnmpCredentials(
        community=agent.community)
    return SnmpTarget(agent.host, agent.port, credentials, timeout=5, retries=1)


def _get(agent: SnmpAgent, *oid_list: str, **creds: str) -> dict:  # type: ignore[type-arg]
    async def run() -> dict:  # type: ignore[type-arg]
        client = SnmpClient()
        try:
            return await client.get(_target(agent, **creds), list(oid_list))
        finally:
            client.close()
    return asyncio.run(run())


def test_system_values_match_snmpget(snmp_agent: SnmpAgent) -> None:
    before = snmp_agent.snmpget(oids.SYS_UPTIME)
    ours = _get(snmp_agent, oids.SYS_DESCR, oids.SYS_NAME, oids.SYS_UPTIME)
    reference = snmp_agent.snmpget(oids.SYS_DESCR, oids.SYS_NAME, oids.SYS_UPTIME)
    assert ours[oids.SYS_DESCR] == reference[oids.SYS_DESCR] == "DotMac test agent (net-snmp)"
    assert ours[oids.SYS_NAME] == reference[oids.SYS_NAME]
    # uptime moves: ours was read between the two reference readings
    assert int(before[oids.SYS_UPTIME]) <= ours[oids.SYS_UPTIME] <= int(
        reference[oids.SYS_UPTIME])


def test_interface_table_matches_snmpbulkwalk(snmp_agent: SnmpAgent) -> None:
    snmp_agent.set_counter(IN_OCTETS_1, 5_000_000)
    snmp_agent.set_counter(OUT_OCTETS_1, 7_000_000)
    names = snmp_agent.snmpwalk(oids.IF_NAME)
    oper = snmp_agent.snmpwalk(oids.IF_OPER_STATUS)
    hc_in = snmp_agent.snmpwalk(oids.IF_HC_IN_OCTETS)
    hc_out = snmp_agent.snmpget(*[f"{oids.IF_HC_OUT_OCTETS}.{index}" for index in names])
    spec = PollSpec(device_id=uuid.uuid4(), target=_target(snmp_agent),
                    discover=True)

    async def run():  # type: ignore[no-untyped-def]
        client = SnmpClient()
        try:
            return await poll_device(client, spec)
        finally:
            client.close()

    result = asyncio.run(run())
    assert result.reachable and result.discovered
    by_index = {r.if_index: r for r in result.interfaces}
    assert {i: r.name for i, r in by_index.items()} == names
    assert {i: str(r.oper_status) for i, r in by_index.items()} == oper
    assert by_index[1].in_octets == 5_000_000 and by_index[1].out_octets == 7_000_000
    for index, reading in by_index.items():
        assert reading.in_octets == int(hc_in[index])
        assert reading.out_octets == int(hc_out[f"{oids.IF_HC_OUT_OCTETS}.{index}"])
        assert reading.counter_bits == 64


def test_snmpv3_auth_priv_and_wrong_key(snmp_agent: SnmpAgent) -> None:
    reference = snmp_agent.snmpget(oids.SYS_NAME)[oids.SYS_NAME]
    ours = _get(snmp_agent, oids.SYS_NAME, version="v3", username=V3_USER, auth_protocol="sha",
                auth_key=V3_AUTH, priv_protocol="aes", priv_key=V3_PRIV)
    assert ours[oids.SYS_NAME] == reference
    with pytest.raises(SnmpAuthError):
        _get(snmp_agent, oids.SYS_NAME, version="v3", username=V3_USER, auth_protocol="sha",
             auth_key="wrong-auth-pass", priv_protocol="aes", priv_key=V3_PRIV)


def test_cpu_and_memory_from_custom_oids(session: Session, settings: Settings, tenant: Tenant,
                                         snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, snmp_port=snmp_agent.port,
                         cpu_oid=CUSTOM_CPU_OID, memory_oid="." + CUSTOM_MEMORY_OID)
    polling.poll_now(session, settings, tenant.id, device.id)
    assert device.cpu_pct == CUSTOM_CPU and device.memory_pct == CUSTOM_MEMORY
    assert device.reachability == "up"


def test_cpu_from_host_resources_and_memory_from_ucd(session: Session, settings: Settings,
                                                     tenant: Tenant,
                                                     snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, snmp_port=snmp_agent.port)
    polling.poll_now(session, settings, tenant.id, device.id)
    loads = snmp_agent.snmpwalk(oids.HR_PROCESSOR_LOAD)
    if loads:
        assert device.cpu_pct is not None and 0 <= device.cpu_pct <= 100
    mem = snmp_agent.snmpget(oids.UCD_MEM_TOTAL, oids.UCD_MEM_AVAIL)
    if mem[oids.UCD_MEM_TOTAL].isdigit():
        assert device.memory_pct is not None and 0 < device.memory_pct < 100


def test_polls_turn_counters_into_bit_rates_across_a_wrap(
        session: Session, settings: Settings, tenant: Tenant, snmp_agent: SnmpAgent) -> None:
    device = make_device(session, settings, tenant, snmp_port=snmp_agent.port)
    top = 2**64
    snmp_agent.set_counter(IN_OCTETS_1, top - 1_000)
    snmp_agent.set_counter(OUT_OCTETS_1, 10_000)
    polling.poll_now(session, settings, tenant.id, device.id)
    lo = session.scalars(select(Interface).where(Interface.device_id == device.id,
                                                 Interface.if_index == 1)).one()
    assert lo.name == "lo" and lo.last_in_octets == top - 1_000 and lo.in_bps is None
    # Pretend the last reading was 10 s ago so the rate is exact.
    first_at = lo.last_counter_at
    assert first_at is not None
    lo.last_counter_at = first_at - timedelta(seconds=10)
    snmp_agent.set_counter(IN_OCTETS_1, 249_000)  # wrapped: 1,000 + 249,000 = 250,000 octets
    snmp_agent.set_counter(OUT_OCTETS_1, 135_000)  # 125,000 octets
    polling.poll_now(session, settings, tenant.id, device.id)
    elapsed = (lo.last_counter_at - first_at).total_seconds() + 10
    assert lo.in_bps == pytest.approx(250_000 * 8 / elapsed)
    assert lo.out_bps == pytest.approx(125_000 * 8 / elapsed)
    sample = session.scalars(select(InterfaceSample).where(
        InterfaceSample.interface_id == lo.id)).one()
    assert sample.in_bps == lo.in_bps and sample.oper_up is True
    # A counter that goes back by more than a plausible wrap is a reset: no rate, no spike.
    snmp_agent.set_counter(IN_OCTETS_1, 100)
    polling.poll_now(session, settings, tenant.id, device.id)
    assert lo.in_bps is None


def test_poll_job_polls_due_devices_concurrently(db, session: Session,  # type: ignore[no-untyped-def]
                                                 settings: Settings, tenant: Tenant,
                                                 snmp_agent: SnmpAgent) -> None:
    devices = [make_device(session, settings, tenant, f"edge-{n}", snmp_port=snmp_agent.port,
                           snmp_timeout_ms=3000) for n in range(5)]
    silent = make_device(session, settings, tenant, "silent", snmp_port=1, snmp_timeout_ms=200,
                         snmp_retries=0)
    session.commit()
    summary = poll_devices(JobContext(db, settings))
    assert "polled 6 devices: 5 answered, 1 did not" in summary
    session.expire_all()
    for device in devices:
        assert session.get(Device, device.id).reachability == "up"  # type: ignore[union-attr]
    assert session.get(Device, silent.id).consecutive_failures == 1  # type: ignore[union-attr]
    samples = session.scalars(select(DeviceSample).where(
        DeviceSample.device_id.in_([d.id for d in devices]))).all()
    assert len(samples) == 5 and all(s.reachable for s in samples)
    # Nothing is due any more: a second run right away polls nothing.
    assert poll_devices(JobContext(db, settings)) == "no device due"


def test_many_devices_polled_concurrently_against_one_agent(snmp_agent: SnmpAgent) -> None:
    specs = [PollSpec(uuid.uuid4(), _target(snmp_agent)) for _ in range(20)]
    specs.append(PollSpec(uuid.uuid4(), SnmpTarget("127.0.0.1", 1, timeout=0.3, retries=0)))
    results = asyncio.run(poll_many(specs, concurrency=8))
    assert sum(r.reachable for r in results) == 20
    assert results[-1].reachable is False and "no SNMP answer" in (results[-1].error or "")
    assert all(r.counters_read >= 2 for r in results[:-1])
