"""Topology discovered from real lldpd: four network namespaces, a triangle core - agg - olt
with edge hanging off the OLT, each with lldpd as an AgentX subagent of its own snmpd. The
reader, run inside each namespace against its agent, finds exactly the cables the test laid;
the links recorded from those readings follow them, and so does an outage's impact, before
and after a cable is cut."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import service as alerts
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.topology import reader, service, views
from dotmac_isp.sdks.snmp import SnmpCredentials, SnmpTarget
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_interface
from tests.support.customers import make_subscription
from tests.support.lldp_lab import Switch, lldp_lab

pytestmark = pytest.mark.slow
CABLES = [("core", "agg"), ("agg", "olt"), ("core", "olt"), ("olt", "edge")]


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, Switch]]:
    with lldp_lab(["core", "agg", "olt", "edge"], CABLES) as switches:
        yield switches


def test_each_agent_reports_exactly_the_cables_laid(lab: dict[str, Switch]) -> None:
    readings = {name: switch.read_neighbours() for name, switch in lab.items()}
    for name, switch in lab.items():
        reading = readings[name]
        assert reading["error"] is None and reading["sys_name"] == name
        indexes = switch.if_indexes()
        heard = {(n["local_port"], n["local_port_num"], n["sys_name"], n["port"])
                 for n in reading["neighbours"]}
        assert heard == {(port, indexes[port], peer, lab[peer].ports[name])
                         for peer, port in switch.ports.items()}
        for neighbour in reading["neighbours"]:  # each names its peer's chassis and address
            peer = lab[neighbour["sys_name"]]
            assert neighbour["chassis_id"] == readings[peer.name]["chassis_id"]
            assert set(neighbour["addresses"]) & set(peer.addresses.values())


def _device(session: Session, settings: Settings, tenant: Tenant, switch: Switch, name: str,
            kind: str, ip: str) -> Device:
    device = make_device(session, settings, tenant, name, device_type=kind, management_ip=ip)
    for interface, if_index in switch.if_indexes().items():
        if interface != "lo":
            make_interface(session, device, if_index, interface)
    return device


def _found(session: Session, tenant: Tenant, names: dict[uuid.UUID, str]) -> set[Any]:
    found = set()
    for device_id, name in names.items():
        for row in views.neighbours(session, tenant.id, device_id):
            far = names[row.device_id] if row.device_id else f"unmanaged {row.device_name}"
            found.add((name, row.local_port, far, row.port, row.local_interface_id is not None))
    return found


def test_links_and_impact_follow_the_cables_and_a_cut_one(
        session: Session, settings: Settings, tenant: Tenant,
        lab: dict[str, Switch]) -> None:
    # core is known by the management address it announces (we record it as its IP), agg
    # by its name, the OLT only by the chassis id it reports itself; edge is not ours: an
    # unmanaged neighbour.
    announced = next(n["addresses"] for n in lab["agg"].read_neighbours()["neighbours"]
                     if n["sys_name"] == "core")
    core_ip = next(a for a in announced if "." in a)
    core = _device(session, settings, tenant, lab["core"], "core-r1", "router", core_ip)
    agg = _device(session, settings, tenant, lab["agg"], "agg", "switch", "192.0.2.2")
    olt = _device(session, settings, tenant, lab["olt"], "olt-7", "olt", "192.0.2.3")
    subscription = make_subscription(session, settings, tenant).id
    onu = make_device(session, settings, tenant, "onu-1", device_type="onu",
                      parent_device_id=olt.id, subscription_id=subscription,
                      monitoring_enabled=False)
    ours = {core.id: "core", agg.id: "agg", olt.id: "olt"}

    def read_and_record(at: Any) -> service.Recorded:
        readings = {d: reader.from_json(lab[n].read_neighbours()) for d, n in ours.items()}
        return service.record_readings(session, tenant.id, readings, at, timedelta(hours=1))

    start = utcnow()
    outcome = read_and_record(start)
    assert (outcome.links_seen, outcome.links_new, outcome.failed) == (4, 4, 0)
    names = {core.id: "core", agg.id: "agg", olt.id: "olt"}
    assert core_ip in lab["core"].addresses.values()
    assert _found(session, tenant, names) == {
        ("core", "core-agg", "agg", "agg-core", True),
        ("agg", "agg-core", "core", "core-agg", True),
        ("agg", "agg-olt", "olt", "olt-agg", True), ("olt", "olt-agg", "agg", "agg-olt", True),
        ("core", "core-olt", "olt", "olt-core", True),
        ("olt", "olt-core", "core", "core-olt", True),
        ("olt", "olt-edge", "unmanaged edge", "edge-olt", True)}
    # the OLT has its own cable to the core: agg going down cuts nothing off
    assert alerts.open_incident(session, agg, start, "down").affected_device_ids == [
        str(agg.id)]
    alerts.resolve_incidents_of(session, agg, start)
    depth = {n["name"]: n["depth"] for n in views.topology_graph(session, tenant.id)["nodes"]}
    assert depth == {"core-r1": 0, "agg": 1, "olt-7": 1, "edge": 2}

    lab["core"].ip("link", "set", lab["core"].ports["olt"], "down")  # cut core - olt
    try:
        lab["core"].wait_heard(1)
        lab["olt"].wait_heard(2)
        later = read_and_record(start + timedelta(hours=2))
        assert (later.links_seen, later.links_new, later.links_dropped) == (3, 0, 1)
        incident = alerts.open_incident(session, agg, start + timedelta(hours=2), "down")
        assert sorted(incident.affected_device_ids) == sorted(
            str(d.id) for d in (agg, olt, onu))
        assert incident.affected_subscription_ids == [str(subscription)]
    finally:
        lab["core"].ip("link", "set", lab["core"].ports["olt"], "up")
        lab["core"].wait_heard(2)
        lab["olt"].wait_heard(3)


def test_reader_reports_an_agent_that_does_not_answer() -> None:
    target = SnmpTarget("127.0.0.1", 9, SnmpCredentials(community="public"), timeout=0.3,
                        retries=0)
    (reading,) = reader.read_targets({uuid.uuid4(): target}).values()
    assert reading.neighbours == [] and reading.error and "no SNMP answer" in reading.error
