"""Topology at ISP scale on PostgreSQL: recording LLDP readings and an outage's impact.

    .venv/bin/python -m bench.topology [--switches 1000] [--cpes 20000] [--url postgresql://...]

Seeds a scratch database: a core router, a tree of switches (each with its interfaces) and
CPEs configured below the leaf switches. Then times, each beside a reference measured in the
same run on the same rows:
- recording every switch's reading (parent and children as LLDP neighbours) into links, first
  time (all new) and again (all seen again), against a bare executemany INSERT of as many
  link rows;
- the devices behind an aggregation switch (the impact an incident records) against the bare
  SELECTs of the device, node and link rows it reads.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import insert, select, text

from bench.scratch import add_url_argument, scratch_database
from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.network.topology import service, views
from dotmac_isp.modules.network.topology.models import Link, TopologyNode
from dotmac_isp.modules.network.topology.parsing import Neighbour, NeighbourReading
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

SECRET = "bench-secret-key-0123456789abcdef0123456789"
FANOUT = 8  # children per switch
T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _mac(n: int) -> str:
    return ":".join(f"{b:02x}" for b in (0x02_00_00_00_00_00 + n).to_bytes(6, "big"))


def seed(database: Database, switches: int, cpes: int) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    """The tenant and its switches as {id, name, number, parent} (switch 0 is the core)."""
    with database.unit_of_work() as session:
        tenant_id = identity_service.create_tenant(session, name="Topo ISP", slug="topo").id
    nodes: list[dict[str, Any]] = []
    for n in range(switches):
        parent = None if n == 0 else nodes[(n - 1) // FANOUT]
        nodes.append({"id": uuid.uuid4(), "name": f"sw-{n}", "number": n, "parent": parent})
    common = {"tenant_id": tenant_id, "vendor": "", "model": "", "serial_number": "",
              "firmware_version": "", "status": "active", "notes": "",
              "monitoring_enabled": True, "snmp_version": "v2c", "snmp_port": 161,
              "snmp_auth_protocol": "none", "snmp_priv_protocol": "none",
              "snmp_timeout_ms": 1000, "snmp_retries": 1, "poll_interval_seconds": 300,
              "down_after_failures": 3, "reachability": "up", "consecutive_failures": 0,
              "backup_enabled": False, "ssh_port": 22, "backup_interval_hours": 24}
    rows = [{**common, "id": s["id"], "name": s["name"],
             "device_type": "router" if s["number"] == 0 else "switch",
             "management_ip": f"10.{s['number'] // 65536}.{s['number'] // 256 % 256}."
                              f"{s['number'] % 256}"} for s in nodes]
    leaves = [s for s in nodes if s["number"] * FANOUT + 1 >= switches]
    rows += [{**common, "id": uuid.uuid4(), "name": f"cpe-{i}", "device_type": "cpe",
              "management_ip": None, "monitoring_enabled": False,
              "parent_device_id": leaves[i % len(leaves)]["id"], "subscription_id": uuid.uuid4()}
             for i in range(cpes)]
    ports = []
    for s in nodes:
        peers = ([s["parent"]] if s["parent"] else []) + \
            [nodes[c] for c in range(s["number"] * FANOUT + 1,
                                     min(switches, s["number"] * FANOUT + 1 + FANOUT))]
        ports += [{"id": uuid.uuid4(), "tenant_id": tenant_id, "device_id": s["id"],
                   "if_index": i + 1, "name": f"{s['name']}-{p['name']}", "description": "",
                   "alias": "", "monitored": True, "admin_status": "up", "oper_status": "up",
                   "counter_bits": 64} for i, p in enumerate(peers)]
        s["peers"] = peers
    with database.unit_of_work() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Device), rows[start:start + 5000])
        for start in range(0, len(ports), 5000):
            session.execute(insert(Interface), ports[start:start + 5000])
    return tenant_id, nodes


def readings(nodes: list[dict[str, Any]]) -> dict[uuid.UUID, NeighbourReading]:
    found = {}
    for s in nodes:
        found[s["id"]] = NeighbourReading(chassis_id=_mac(s["number"]), sys_name=s["name"],
                                          neighbours=[Neighbour(
            protocol="lldp", local_port_num=i + 1, local_port=f"{s['name']}-{p['name']}",
            local_port_description="", chassis_id=_mac(p["number"]),
            port=f"{p['name']}-{s['name']}", sys_name=p["name"])
            for i, p in enumerate(s["peers"])])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=1000)
    parser.add_argument("--cpes", type=int, default=20_000)
    add_url_argument(parser)
    args = parser.parse_args()
    Settings(secret_key=SECRET)  # type: ignore[arg-type]
    with scratch_database(args.url) as url:
        database = Database.from_url(url)
        seconds, (tenant_id, nodes) = timed(lambda: seed(database, args.switches, args.cpes))
        print(f"seeded {args.switches:,} switches ({FANOUT} children each) and "
              f"{args.cpes:,} CPEs in {seconds:.1f} s")
        heard = readings(nodes)
        now = utcnow()

        def record(at: Any) -> service.Recorded:
            with database.unit_of_work() as session:
                return service.record_readings(session, tenant_id, heard, at,
                                               timedelta(hours=24))

        first_s, first = timed(lambda: record(now))
        again_s, again = timed(lambda: record(now + timedelta(minutes=5)))
        sample = [{"id": uuid.uuid4(), "tenant_id": tenant_id, "link_key": uuid.uuid4().hex,
                   "protocol": "lldp", "a_device_id": nodes[0]["id"], "a_port": "x",
                   "a_chassis_id": "", "a_name": "", "a_description": "", "b_port": "y",
                   "b_chassis_id": "", "b_name": "", "b_description": "",
                   "discovered_at": now, "last_seen_at": now} for _ in range(first.links_seen)]

        def bare_insert() -> None:
            with database.unit_of_work() as session:
                session.execute(insert(Link), sample)
                session.execute(text("DELETE FROM network_links WHERE a_port = 'x'"))

        bare_s, _ = timed(bare_insert)
        readings_n = sum(len(r.neighbours) for r in heard.values())
        print(f"record {len(heard):,} readings ({readings_n:,} neighbours) -> "
              f"{first.links_seen:,} links ({first.links_new:,} new): {first_s:.2f} s; "
              f"bare INSERT of as many rows {bare_s:.2f} s (ratio {first_s / bare_s:.1f}x)")
        print(f"record again (all seen again, {again.links_new} new): {again_s:.2f} s "
              f"(ratio {again_s / bare_s:.1f}x the bare INSERT)")

        agg = nodes[1]["id"]

        def impact() -> list[Device]:
            with database.unit_of_work(write=False) as session:
                return views.devices_behind(session, tenant_id, agg)

        def bare_reads() -> int:
            with database.unit_of_work(write=False) as session:
                rows = session.execute(select(Device.id, Device.parent_device_id,
                                              Device.device_type)
                                       .where(Device.tenant_id == tenant_id)).all()
                session.execute(select(TopologyNode.device_id)
                                .where(TopologyNode.tenant_id == tenant_id)).all()
                links = session.execute(select(Link).where(Link.tenant_id == tenant_id)).all()
                return len(rows) + len(links)

        impact_s, behind = timed(impact)
        reads_s, _ = timed(bare_reads)
        print(f"devices behind sw-1 (of {args.switches + args.cpes:,} devices, "
              f"{first.links_seen:,} links): {len(behind):,} in {impact_s * 1000:.0f} ms; "
              f"bare SELECTs of the rows it reads {reads_s * 1000:.0f} ms "
              f"(ratio {impact_s / reads_s:.1f}x)")
        database.dispose()


if __name__ == "__main__":
    main()
