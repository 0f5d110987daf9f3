"""Readings become links: one row per link whichever ends reported it, both ends' ports
placed, neighbours matched by chassis id, address or name, unmanaged ones kept by name, and
links that are gone aged out. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.topology import service, views
from dotmac_isp.modules.network.topology.models import Link
from dotmac_isp.modules.network.topology.parsing import NeighbourReading
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_interface
from tests.modules.network.topology.lab import heard, mac, reading

DAY = timedelta(hours=24)


def _switch(session: Session, settings: Settings, tenant: Tenant, name: str, ip: str,
            *peers: str, **overrides: object) -> Device:
    options: dict[str, object] = {"device_type": "switch", **overrides}
    device = make_device(session, settings, tenant, name, management_ip=ip, **options)
    for number, peer in enumerate(peers, start=2):
        make_interface(session, device, number, f"{name}-{peer}")
    return device


def _links(session: Session, tenant: Tenant) -> list[Link]:
    return list(session.scalars(select(Link).where(Link.tenant_id == tenant.id)))


def _pairs(session: Session, tenant: Tenant) -> set[tuple[str, str]]:
    names = dict(session.execute(select(Device.id, Device.name)).all())
    return {tuple(sorted((f"{names[k.a_device_id]}:{k.a_port}",  # type: ignore[misc]
                          f"{names.get(k.b_device_id) or k.b_name}:{k.b_port}")))
            for k in _links(session, tenant)}


def test_a_line_of_three_read_from_every_end_is_two_links_with_both_ports(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    a = _switch(session, settings, tenant, "sw-a", "10.0.0.1", "sw-b")
    b = _switch(session, settings, tenant, "sw-b", "10.0.0.2", "sw-a", "sw-c")
    c = _switch(session, settings, tenant, "sw-c", "10.0.0.3", "sw-b")
    now = utcnow()
    readings = {
        a.id: reading("sw-a", heard("sw-a", 2, "sw-b")),
        b.id: reading("sw-b", heard("sw-b", 2, "sw-a"), heard("sw-b", 3, "sw-c")),
        c.id: reading("sw-c", heard("sw-c", 2, "sw-b")),
    }
    outcome = service.record_readings(session, tenant.id, readings, now, DAY)
    assert (outcome.links_seen, outcome.links_new) == (2, 2)
    assert _pairs(session, tenant) == {("sw-a:sw-a-sw-b", "sw-b:sw-b-sw-a"),
                                       ("sw-b:sw-b-sw-c", "sw-c:sw-c-sw-b")}
    assert all(k.a_interface_id and k.b_interface_id for k in _links(session, tenant))

    rows = views.neighbours(session, tenant.id, b.id)
    assert [(r.local_port, r.device_name, r.port, r.device_id) for r in rows] == [
        ("sw-b-sw-a", "sw-a", "sw-a-sw-b", a.id), ("sw-b-sw-c", "sw-c", "sw-c-sw-b", c.id)]

    # read again an hour later: the same two links, seen again, none new
    again = service.record_readings(session, tenant.id, readings, now + timedelta(hours=1), DAY)
    assert (again.links_seen, again.links_new, again.links_dropped) == (2, 0, 0)
    assert {k.last_seen_at for k in _links(session, tenant)} == {now + timedelta(hours=1)}
    assert {k.discovered_at for k in _links(session, tenant)} == {now}


def test_neighbours_matched_by_chassis_address_or_name_and_strangers_kept_by_name(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    core = _switch(session, settings, tenant, "core-1", "10.0.0.1", "olt-1", "agg-1", "dist")
    olt = _switch(session, settings, tenant, "olt-1", "10.0.0.2", "core-1")
    agg = _switch(session, settings, tenant, "agg-1", "10.0.0.3", "core-1")
    now = utcnow()
    # the OLT is known by its chassis id from its own earlier reading
    service.record_readings(session, tenant.id, {olt.id: reading("olt-1")}, now, DAY)
    neighbours = [
        heard("core-1", 2, "olt-1", sys_name="not-its-name"),  # by chassis id
        heard("core-1", 3, "agg-1", address="10.0.0.3", sys_name=""),  # by address
        heard("core-1", 4, "dist", sys_name="dist.example.net"),  # nobody we manage
    ]
    neighbours[1].chassis_id = "00:00:5e:00:53:01"
    service.record_readings(session, tenant.id, {core.id: reading("core-1", *neighbours)},
                            now, DAY)
    rows = {r.local_port: r for r in views.neighbours(session, tenant.id, core.id)}
    assert rows["core-1-olt-1"].device_id == olt.id
    assert rows["core-1-agg-1"].device_id == agg.id
    stranger = rows["core-1-dist"]
    assert stranger.device_id is None and stranger.device_name == "dist.example.net"
    assert stranger.chassis_id == mac("dist") and stranger.port == "dist-core-1"

    # a device named like the stranger is added: the next reading links to it by name
    dist = _switch(session, settings, tenant, "dist", "10.0.0.9", "core-1")
    service.record_readings(session, tenant.id, {core.id: reading("core-1", *neighbours)},
                            now + timedelta(minutes=5), DAY)
    listed = views.neighbours(session, tenant.id, core.id)
    assert len(listed) == 3  # the stranger's row became the device's, not a second one
    rows = {r.local_port: r for r in listed}
    assert rows["core-1-dist"].device_id == dist.id
    assert rows["core-1-dist"].device_name == "dist"


def test_gone_links_age_out_but_a_device_that_cannot_be_read_keeps_its_links(
        session: Session, settings: Settings, tenant: Tenant) -> None:
    a = _switch(session, settings, tenant, "sw-a", "10.0.0.1", "sw-b", "sw-c")
    b = _switch(session, settings, tenant, "sw-b", "10.0.0.2", "sw-a")
    c = _switch(session, settings, tenant, "sw-c", "10.0.0.3", "sw-a")
    start = utcnow()
    service.record_readings(session, tenant.id, {a.id: reading(
        "sw-a", heard("sw-a", 2, "sw-b"), heard("sw-a", 3, "sw-c"))}, start, DAY)
    assert len(_links(session, tenant)) == 2

    # sw-b is unplugged from sw-a; within the age, its link stays
    only_c = {a.id: reading("sw-a", heard("sw-a", 3, "sw-c"))}
    soon = service.record_readings(session, tenant.id, only_c, start + timedelta(hours=2), DAY)
    assert soon.links_dropped == 0 and len(_links(session, tenant)) == 2
    # a day later it is gone; sw-c, still heard, stays
    late = service.record_readings(session, tenant.id, only_c, start + timedelta(hours=25), DAY)
    assert late.links_dropped == 1
    assert [r.device_name for r in views.neighbours(session, tenant.id, a.id)] == ["sw-c"]

    # sw-a stops answering for two days: its last known link to sw-c is kept
    failed = {a.id: NeighbourReading(error="no SNMP answer from 10.0.0.1:161 within 1s")}
    for hours in (30, 60, 75):
        outcome = service.record_readings(session, tenant.id, failed,
                                          start + timedelta(hours=hours), DAY)
        assert outcome.failed == 1 and outcome.links_dropped == 0
    assert [r.device_name for r in views.neighbours(session, tenant.id, c.id)] == ["sw-a"]
    node = service.node_state(session, tenant.id, a.id)
    assert node.last_error and "no SNMP answer" in node.last_error
    assert node.last_success_at == start + timedelta(hours=25)
    assert b.id  # sw-b's own end was never read: nothing about it lingers
    assert views.neighbours(session, tenant.id, b.id) == []


def test_recording_does_not_query_per_neighbour(
        session: Session, settings: Settings, tenant: Tenant, statements: list[str]) -> None:
    hub = make_device(session, settings, tenant, "hub", device_type="switch",
                      management_ip="10.1.0.1")
    spokes = [make_device(session, settings, tenant, f"spoke-{i}", device_type="switch",
                          management_ip=f"10.1.1.{i}") for i in range(100)]
    now = utcnow()

    def count(n: int) -> int:
        statements.clear()
        service.record_readings(session, tenant.id, {hub.id: reading(
            "hub", *[heard("hub", 2 + i, s.name) for i, s in enumerate(spokes[:n])])},
            now, DAY)
        return len(statements)

    small, large = count(10), count(100)
    assert large <= small + 2, (small, large)  # new rows go in one batch, not a query each
    assert len(views.neighbours(session, tenant.id, hub.id)) == 100

    def count_readers(n: int) -> int:  # n devices read at once, each hearing the hub
        statements.clear()
        service.record_readings(session, tenant.id, {
            s.id: reading(s.name, heard(s.name, 1, "hub")) for s in spokes[:n]}, now, DAY)
        return len(statements)

    small, large = count_readers(10), count_readers(100)
    assert large <= small + 2, (small, large)
