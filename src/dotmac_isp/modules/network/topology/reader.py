"""Reading neighbour tables over SNMP, many devices at once (no database).

Scalars and the one-part-indexed lldpLocPortTable come through SnmpClient; the tables indexed
by several parts (lldpRemTable, lldpRemManAddrTable, cdpCacheTable) through TableWalker.

    python -m dotmac_isp.modules.network.topology.reader --host H --port P --community C

prints one device's reading as JSON (used to read agents inside network namespaces).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import uuid
from collections.abc import Sequence
from typing import Any

from dotmac_isp.modules.network.topology import oids, parsing
from dotmac_isp.modules.network.topology.parsing import Neighbour, NeighbourReading
from dotmac_isp.modules.network.topology.walker import TableWalker
from dotmac_isp.sdks.core.exceptions import SNMPError
from dotmac_isp.sdks.snmp import SnmpClient, SnmpCredentials, SnmpTarget


async def read_device(client: SnmpClient, walker: TableWalker,
                      target: SnmpTarget) -> NeighbourReading:
    """One device's LLDP (and CDP, where it has it) neighbours; an agent without these MIBs
    reads as no neighbours, an agent that does not answer as an error."""
    try:
        local = await client.get(target, [oids.LOC_CHASSIS_ID_SUBTYPE, oids.LOC_CHASSIS_ID,
                                          oids.LOC_SYS_NAME])
        ports = await client.walk(target, oids.LOC_PORT_COLUMNS)
        remote = await walker.walk(target, oids.REM_COLUMNS)
        addresses = await walker.walk(target, [oids.REM_MAN_ADDR_IF_SUBTYPE])
        cdp = await walker.walk(target, oids.CDP_COLUMNS)
        if_names: dict[int, tuple[str, str]] = {}
        if cdp.get(oids.CDP_DEVICE_ID):
            names = await client.walk(target, [oids.IF_DESCR, oids.IF_NAME])
            if_names = {index: (parsing.text(names[oids.IF_DESCR].get(index)),
                                parsing.text(names[oids.IF_NAME].get(index)))
                        for index in {*names[oids.IF_DESCR], *names[oids.IF_NAME]}}
    except SNMPError as exc:
        return NeighbourReading(error=exc.detail[:500])
    reading = parsing.parse_lldp(
        local, {c: {(i,): v for i, v in rows.items()} for c, rows in ports.items()}, remote,
        addresses[oids.REM_MAN_ADDR_IF_SUBTYPE])
    parsing.merge_cdp(reading, parsing.parse_cdp(cdp, if_names))
    return reading


async def read_many(targets: dict[uuid.UUID, SnmpTarget],
                    concurrency: int) -> dict[uuid.UUID, NeighbourReading]:
    client, walker = SnmpClient(), TableWalker()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(target: SnmpTarget) -> NeighbourReading:
        async with gate:
            return await read_device(client, walker, target)

    try:
        readings = await asyncio.gather(*(one(t) for t in targets.values()))
    finally:
        client.close()
        walker.close()
    return dict(zip(targets, readings, strict=True))


def read_targets(targets: dict[uuid.UUID, SnmpTarget],
                 concurrency: int = 16) -> dict[uuid.UUID, NeighbourReading]:
    """Read every target's neighbours concurrently, on an event loop of its own."""
    if not targets:
        return {}
    return asyncio.run(read_many(targets, concurrency))


def to_json(reading: NeighbourReading) -> dict[str, Any]:
    return dataclasses.asdict(reading)


def from_json(data: dict[str, Any]) -> NeighbourReading:
    neighbours = [Neighbour(**n) for n in data.get("neighbours", [])]
    return NeighbourReading(chassis_id=data.get("chassis_id", ""),
                            sys_name=data.get("sys_name", ""), neighbours=neighbours,
                            error=data.get("error"))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="print a device's LLDP/CDP neighbours as JSON")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=161)
    parser.add_argument("--community", default="public")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    target = SnmpTarget(args.host, args.port, SnmpCredentials(community=args.community),
                        timeout=args.timeout, retries=1)
    (reading,) = read_targets({uuid.uuid4(): target}, 1).values()
    print(json.dumps(to_json(reading)))


if __name__ == "__main__":
    main()
