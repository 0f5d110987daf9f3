"""An outage's impact follows discovered links away from the core as well as configured
uplinks: what is cut off is behind the down device, what has another path is not."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.alerts import service as alerts
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.topology import service, views
from dotmac_isp.modules.network.topology.impact import Graph, GraphDevice
from dotmac_isp.shared.types import utcnow
from tests.modules.network.topology.lab import heard, reading
from tests.modules.network.topology.test_links import DAY, _switch
from tests.support.customers import make_subscription


def _ids(*devices: Device) -> list[str]:
    return sorted(str(d.id) for d in devices)


def _network(session: Session, settings: Settings, tenant: Tenant,
             ) -> tuple[dict[str, Device], uuid.UUID]:
    """core-1 (a router) - agg-1 - olt-1 by discovered links; onu-1 configured below olt-1,
    serving a subscription."""
    core = _switch(session, settings, tenant, "core-1", "10.0.0.1", "agg-1", "olt-1",
                   device_type="router")
    agg = _switch(session, settings, tenant, "agg-1", "10.0.0.2", "core-1", "olt-1")
    olt = _switch(session, settings, tenant, "olt-1", "10.0.0.3", "agg-1", "core-1",
                  device_type="olt")
    subscription = make_subscription(session, settings, tenant).id
    onu = _switch(session, settings, tenant, "onu-1", "10.0.1.1", device_type="onu",
                  parent_device_id=olt.id, subscription_id=subscription,
                  monitoring_enabled=False)
    service.record_readings(session, tenant.id, {
        agg.id: reading("agg-1", heard("agg-1", 2, "core-1"), heard("agg-1", 3, "olt-1"))},
        utcnow(), DAY)
    return {"core": core, "agg": agg, "olt": olt, "onu": onu}, subscription


def test_switch_down_cuts_off_the_olt_and_its_subscribers_through_a_discovered_link(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    net, subscription = _network(session, settings, tenant)
    incident = alerts.open_incident(session, net["agg"], utcnow(), "no SNMP answer")
    # agg-1 has no configured children: only the links say the OLT hangs off it
    assert sorted(incident.affected_device_ids) == _ids(net["agg"], net["olt"], net["onu"])
    assert incident.affected_subscription_ids == [str(subscription)]


def test_a_second_path_to_the_core_means_not_behind(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    net, _subscription = _network(session, settings, tenant)
    # the OLT has its own link to the core too
    service.record_readings(session, tenant.id, {
        net["olt"].id: reading("olt-1", heard("olt-1", 3, "core-1"))}, utcnow(), DAY)
    incident = alerts.open_incident(session, net["agg"], utcnow(), "no SNMP answer")
    assert incident.affected_device_ids == [str(net["agg"].id)]
    assert incident.affected_subscription_ids == []
    # the OLT itself still takes its configured ONU down with it
    olt_down = alerts.open_incident(session, net["olt"], utcnow(), "no SNMP answer")
    assert sorted(olt_down.affected_device_ids) == _ids(net["olt"], net["onu"])


def test_marked_core_sets_the_direction(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    net, subscription = _network(session, settings, tenant)
    # with the OLT marked as the core, the router is what hangs off the aggregation switch
    service.set_core(session, tenant.id, net["olt"].id, True)
    behind = views.devices_behind(session, tenant.id, net["agg"].id)
    assert [d.id for d in behind] == [net["agg"].id, net["core"].id]
    assert subscription not in {d.subscription_id for d in behind}


def test_unmanaged_switch_in_the_path_carries_the_path() -> None:
    core, olt, cpe = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    graph = Graph.build(
        [GraphDevice(core, None, "router"), GraphDevice(olt, None, "olt"),
         GraphDevice(cpe, olt, "cpe")],
        [(core, None, "00:00:5e:00:53:aa", "dumb-switch"),
         (olt, None, "00:00:5e:00:53:AA", "dumb-switch")])
    assert graph.roots() == {core}  # routers without an uplink, not the OLT
    assert graph.reach()[cpe] == 3  # core, the unmanaged switch, the OLT, the CPE
    assert graph.behind(olt) == {olt, cpe}
    assert graph.behind(core) == {core, olt, cpe}
    assert graph.behind(cpe) == {cpe}


def test_devices_down_together_share_one_graph_which_follows_changes(
        session: Session, settings: Settings, tenant: Tenant, statements: list[str]) -> None:
    net, _subscription = _network(session, settings, tenant)
    statements.clear()
    alerts.open_incident(session, net["agg"], utcnow(), "no SNMP answer")
    alerts.open_incident(session, net["olt"], utcnow(), "no SNMP answer")
    # a CPE-like device with nothing below it and no links: no graph at all
    assert [d.id for d in views.devices_behind(session, tenant.id, net["onu"].id)] == [
        net["onu"].id]
    graph_reads = [s for s in statements if "network_links.link_key" in s]
    assert len(graph_reads) == 1
    # a device added below the OLT in the same transaction is behind it at once
    extra = _switch(session, settings, tenant, "onu-2", "10.0.1.2", device_type="onu",
                    parent_device_id=net["olt"].id)
    behind = {d.id for d in views.devices_behind(session, tenant.id, net["olt"].id)}
    assert behind == {net["olt"].id, net["onu"].id, extra.id}
