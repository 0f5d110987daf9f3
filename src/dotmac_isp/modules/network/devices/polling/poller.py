"""The SNMP poller: reads many devices concurrently and returns plain results (no database).

One cycle: a GET of the system scalars (uptime, description, name, CPU and memory), then one
GETBULK walk of the interface columns. Most polls walk the 64-bit octet counters alone; the
admin and oper status are walked too when the spec asks for them (the slower status cadence,
see cadence.py) or when sysUpTime shows the agent restarted since the last poll, and names and
speeds when discovering. A device that does not answer the GET is unreachable for this poll.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dotmac_isp.modules.network.devices import oids
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.sdks.core.exceptions import SNMPError
from dotmac_isp.sdks.snmp import SnmpClient, SnmpTarget, Value
from dotmac_isp.shared.types import utcnow

MAX_POOL_THREADS = 64  # ezsnmp requests in flight at once, whatever the concurrency


@dataclass(frozen=True)
class PollSpec:
    device_id: uuid.UUID
    target: SnmpTarget
    discover: bool = False
    cpu_oid: str | None = None
    memory_oid: str | None = None
    # walk admin/oper status this poll; without it only counters are read
    read_status: bool = True
    # the agent's uptime at the last poll: a lower one now means it restarted
    uptime_seconds: int | None = None
    # the interfaces known: a smaller table needs fewer repetitions per GETBULK
    interface_count: int | None = None


@dataclass
class InterfaceReading:
    if_index: int
    # False when this poll read counters only: the status fields say nothing
    status_read: bool = True
    admin_status: int | None = None
    oper_status: int | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    counter_bits: int = 64
    name: str | None = None
    description: str | None = None
    alias: str | None = None
    speed_mbps: int | None = None


@dataclass
class PollResult:
    device_id: uuid.UUID
    reachable: bool
    polled_at: datetime
    error: str | None = None
    response_ms: float | None = None
    sys_descr: str | None = None
    sys_name: str | None = None
    sys_uptime_ticks: int | None = None
    cpu_pct: float | None = None
    memory_pct: float | None = None
    interfaces: list[InterfaceReading] = field(default_factory=list)
    discovered: bool = False
    status_read: bool = True
    partial_errors: list[str] = field(default_factory=list)
    # the time the poll was due (the job's claim says so): the next one is counted from it
    due_at: datetime | None = None

    @property
    def counters_read(self) -> int:
        return sum((i.in_octets is not None) + (i.out_octets is not None)
                   for i in self.interfaces)


def _int(value: Value) -> int | None:
    return value if isinstance(value, int) else None


def _pct(value: float | None) -> float | None:
    return None if value is None else max(0.0, min(100.0, float(value)))


def memory_pct(total: Value, avail: Value, buffers: Value, cached: Value) -> float | None:
    """Used memory in percent from UCD-SNMP's kB figures (buffers and cache count as free)."""
    total_kb = _int(total)
    avail_kb = _int(avail)
    if not total_kb or avail_kb is None:
        return None
    used = total_kb - avail_kb - (_int(buffers) or 0) - (_int(cached) or 0)
    return _pct(used / total_kb * 100)


def _cpu(scalars: dict[str, Value], spec: PollSpec,
         processor_load: dict[int, Value]) -> float | None:
    if spec.cpu_oid:
        custom = _int(scalars.get(spec.cpu_oid))
        return _pct(custom)
    loads = [v for v in processor_load.values() if isinstance(v, int)]
    if loads:
        return _pct(sum(loads) / len(loads))
    idle = _int(scalars.get(oids.UCD_CPU_IDLE))
    return None if idle is None else _pct(100 - idle)


def _interfaces(columns: dict[str, dict[int, Value]], discover: bool,
                status_read: bool) -> list[InterfaceReading]:
    hc_in = columns.get(oids.IF_HC_IN_OCTETS, {})
    hc_out = columns.get(oids.IF_HC_OUT_OCTETS, {})
    lo_in = columns.get(oids.IF_IN_OCTETS, {})
    lo_out = columns.get(oids.IF_OUT_OCTETS, {})
    oper = columns.get(oids.IF_OPER_STATUS, {})
    admin = columns.get(oids.IF_ADMIN_STATUS, {})
    indexes = sorted(set(oper) | set(hc_in) | set(lo_in))
    readings = []
    for index in indexes:
        reading = InterfaceReading(index, status_read=status_read,
                                   admin_status=_int(admin.get(index)),
                                   oper_status=_int(oper.get(index)))
        if index in hc_in or index in hc_out:
            reading.in_octets, reading.out_octets = _int(hc_in.get(index)), \
                _int(hc_out.get(index))
        elif index in lo_in:
            reading.in_octets, reading.out_octets = _int(lo_in.get(index)), \
                _int(lo_out.get(index))
            reading.counter_bits = 32
        if discover:
            name = columns.get(oids.IF_NAME, {}).get(index)
            descr = columns.get(oids.IF_DESCR, {}).get(index)
            alias = columns.get(oids.IF_ALIAS, {}).get(index)
            high = _int(columns.get(oids.IF_HIGH_SPEED, {}).get(index))
            low = _int(columns.get(oids.IF_SPEED, {}).get(index))
            reading.name = str(name) if name is not None else None
            reading.description = str(descr) if descr is not None else None
            reading.alias = str(alias) if alias is not None else None
            # ifHighSpeed is in Mb/s; ifSpeed (bit/s) tops out at 4.29 Gb/s
            reading.speed_mbps = high if high else (low // 1_000_000 if low else None)
        readings.append(reading)
    return readings


def restarted(spec: PollSpec, uptime_ticks: int | None) -> bool:
    """The agent's uptime went back since the last poll: it restarted (interfaces may have
    changed state or index)."""
    return (uptime_ticks is not None and spec.uptime_seconds is not None
            and uptime_ticks // 100 < spec.uptime_seconds)


def walk_columns(spec: PollSpec, read_status: bool) -> list[str]:
    columns: list[str] = list(oids.COUNTER_COLUMNS)
    if read_status:
        columns.extend(oids.STATUS_COLUMNS)
    if not spec.cpu_oid:
        columns.append(oids.HR_PROCESSOR_LOAD)
    if spec.discover:
        columns.extend(oids.DISCOVERY_COLUMNS)
    return columns


def repetitions(spec: PollSpec, max_repetitions: int) -> int:
    """GETBULK repetitions: the configured most, fewer for a table known to be smaller (an
    agent answers every repetition of every column, so a 4-port switch asked for 50 rows
    sends 50 rows of whatever follows its columns, which the client decodes to throw away)."""
    if spec.interface_count and not spec.discover:
        return max(2, min(max_repetitions, spec.interface_count + 1))
    return max_repetitions


async def poll_device(client: SnmpClient, spec: PollSpec, *,
                      max_repetitions: int = 50) -> PollResult:
    """Poll one device; SNMP failures become an unreachable (or partial) result, not errors."""
    target = spec.target
    extra = [o for o in (spec.cpu_oid, spec.memory_oid) if o]
    started = time.perf_counter()
    try:
        scalars = await client.get(target, [*oids.SYSTEM_SCALARS, *extra])
    except SNMPError as exc:
        return PollResult(spec.device_id, reachable=False, polled_at=utcnow(), error=exc.detail)
    response_ms = (time.perf_counter() - started) * 1000
    result = PollResult(spec.device_id, reachable=True, polled_at=utcnow(),
                        response_ms=response_ms, discovered=spec.discover)
    uptime = scalars.get(oids.SYS_UPTIME)
    result.sys_uptime_ticks = uptime if isinstance(uptime, int) else None
    result.sys_descr = _str(scalars.get(oids.SYS_DESCR))
    result.sys_name = _str(scalars.get(oids.SYS_NAME))
    if spec.memory_oid:
        result.memory_pct = _pct(_int(scalars.get(spec.memory_oid)))
    else:
        result.memory_pct = memory_pct(scalars.get(oids.UCD_MEM_TOTAL),
                                       scalars.get(oids.UCD_MEM_AVAIL),
                                       scalars.get(oids.UCD_MEM_BUFFER),
                                       scalars.get(oids.UCD_MEM_CACHED))
    result.status_read = (spec.read_status or spec.discover
                          or restarted(spec, result.sys_uptime_ticks))
    reps = repetitions(spec, max_repetitions)
    walked: dict[str, dict[int, Value]] = {}
    try:
        walked = await client.walk(target, walk_columns(spec, result.status_read),
                                   max_repetitions=reps)
        if not walked.get(oids.IF_HC_IN_OCTETS) and (
                walked.get(oids.IF_OPER_STATUS) or not result.status_read):
            # no ifXTable (an old or small agent): the 32-bit counters of ifTable
            walked.update(await client.walk(target, oids.COUNTER32_COLUMNS,
                                            max_repetitions=reps))
    except SNMPError as exc:
        result.partial_errors.append(f"interface table: {exc.detail}")
    result.polled_at = utcnow()  # counters are stamped when they were read
    result.cpu_pct = _cpu(scalars, spec, walked.get(oids.HR_PROCESSOR_LOAD, {}))
    result.interfaces = _interfaces(walked, spec.discover, result.status_read)
    return result


def _str(value: Value) -> str | None:
    return None if value is None else str(value)


async def poll_many(specs: Sequence[PollSpec], *, concurrency: int = 64,
                    client: SnmpClient | None = None, backend: str | None = None,
                    max_repetitions: int | None = None) -> list[PollResult]:
    """Poll devices concurrently, at most `concurrency` in flight, sharing one SNMP client
    (the configured backend unless one is given)."""
    conf = get_devices_settings()
    reps = max_repetitions or conf.snmp_max_repetitions
    own = client is None
    snmp = client or SnmpClient(backend or conf.snmp_backend,
                                workers=min(max(1, concurrency), MAX_POOL_THREADS))
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(spec: PollSpec) -> PollResult:
        async with gate:
            try:
                return await poll_device(snmp, spec, max_repetitions=reps)
            except Exception as exc:  # one broken agent must not sink the whole cycle
                return PollResult(spec.device_id, reachable=False, polled_at=utcnow(),
                                  error=f"poll failed: {type(exc).__name__}: {exc}"[:500])

    try:
        return list(await asyncio.gather(*(one(s) for s in specs)))
    finally:
        if own:
            snmp.close()


def run_cycle(specs: Sequence[PollSpec], *, concurrency: int = 64,
              backend: str | None = None) -> list[PollResult]:
    """Poll from synchronous code (a job, a request handler's worker thread)."""
    if not specs:
        return []
    return asyncio.run(poll_many(specs, concurrency=concurrency, backend=backend))
