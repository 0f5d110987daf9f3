"""SNMP poller benchmark: interface octet counters per second, per backend, against
Net-SNMP's snmpbulkwalk on the same agent in the same run.

    .venv/bin/python bench/snmp_poll.py [--interfaces 1000] [--cycles 5]

As root it builds a network namespace holding N virtual interfaces (dummy, else ifb) with a
real snmpd inside it on 127.0.0.1, and polls it from inside the namespace (loopback only).
Otherwise it polls the machine's own snmpd as many "devices" as it takes to make N
interfaces. Each row polls the same agent with the real poller (poll_many: GET of the system
scalars, then GETBULK of the interface columns), through one backend:
- pysnmp: the pure-Python backend; ezsnmp (v2c and v3) and easysnmp (v2c): Net-SNMP's C
  library through either binding, calls in a thread pool;
- "counters": the usual poll (ifHCIn/OutOctets, hrProcessorLoad); "+status": a poll of the
  status cadence, which adds ifOperStatus and ifAdminStatus;
- reps: GETBULK max-repetitions; devices: polls in flight at once.
counters/s is wall time (the machine may be shared: the load average is printed); per CPU-s
divides by the poller process's own CPU time, which the rest of the machine does not move.
Prints its figures and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench import snmp_kit  # noqa: E402
from dotmac_isp.modules.network.devices import oids  # noqa: E402
from dotmac_isp.modules.network.devices.polling.poller import PollSpec, poll_many  # noqa: E402
from dotmac_isp.sdks.snmp import SnmpClient, SnmpCredentials, SnmpTarget  # noqa: E402

TARGET = 20_000  # interface counters per second per poller process (DESIGN.md)
COUNTERS = (oids.IF_HC_IN_OCTETS, oids.IF_HC_OUT_OCTETS)


@dataclass(frozen=True)
class Case:
    backend: str
    reps: int
    devices: int = 1
    status: bool = False
    v3: bool = False

    @property
    def label(self) -> str:
        return "counters" + ("+status" if self.status else "") + (" v3 authPriv"
                                                                 if self.v3 else "")


CASES = (Case("pysnmp", 50), Case("pysnmp", 50, status=True),
         Case("ezsnmp", 10), Case("ezsnmp", 25), Case("ezsnmp", 50),
         Case("ezsnmp", 50, devices=4), Case("ezsnmp", 50, status=True),
         Case("ezsnmp", 50, v3=True),
         Case("easysnmp", 10), Case("easysnmp", 25), Case("easysnmp", 50),
         Case("easysnmp", 50, devices=4), Case("easysnmp", 50, status=True))


@dataclass
class Figures:
    cycle: float
    counters: int
    cpu: float  # poller CPU seconds per cycle

    @property
    def rate(self) -> float:
        return self.counters / self.cycle

    @property
    def per_cpu(self) -> float:
        return self.counters / self.cpu if self.cpu else math.inf


def _credentials(v3: bool) -> SnmpCredentials:
    if not v3:
        return SnmpCredentials(community="public")
    return SnmpCredentials(version="v3", username=snmp_kit.V3_USER, auth_protocol="sha",
                           auth_key=snmp_kit.V3_AUTH, priv_protocol="aes",
                           priv_key=snmp_kit.V3_PRIV)


async def measure(port: int, case: Case, devices: int, cycles: int) -> Figures:
    target = SnmpTarget("127.0.0.1", port, _credentials(case.v3), timeout=5, retries=1)
    specs = [PollSpec(uuid.uuid4(), target, read_status=case.status)
             for _ in range(devices)]
    client = SnmpClient(case.backend, workers=min(devices, 64))
    try:
        await poll_many(specs, concurrency=devices, client=client,
                        max_repetitions=case.reps)  # warm-up: sessions, engine caches
        times, counters = [], 0
        before = time.process_time()  # every thread of this process, in ns steps
        for _ in range(cycles):
            started = time.perf_counter()
            results = await poll_many(specs, concurrency=devices, client=client,
                                      max_repetitions=case.reps)
            times.append(time.perf_counter() - started)
            assert all(r.reachable and not r.partial_errors for r in results), \
                [r.error or r.partial_errors for r in results][:3]
            counters = sum(r.counters_read for r in results)
        after = time.process_time()
    finally:
        client.close()
    cpu = (after - before) / cycles
    return Figures(statistics.median(times), counters, cpu)


def report(mode: str, port: int, devices: int, cycles: int) -> None:
    per_agent = snmp_kit.rows(port)
    load = os.getloadavg()[0]
    print(f"mode: {mode}; {per_agent} interface rows per agent, polled as {devices} "
          f"device(s) per row below; load average {load:.1f} on {os.cpu_count()} CPUs")
    ref_time, ref_values = snmp_kit.snmpbulkwalk(port, COUNTERS, cycles)
    ref_rate = ref_values / ref_time
    print(f"snmpbulkwalk (Net-SNMP C client, -Cr50, ifHCIn/OutOctets, a process per column): "
          f"{ref_values} counters in {ref_time:.3f} s = {ref_rate:,.0f} counters/s")
    print(f"{'backend':8} {'poll':26} {'reps':>4} {'devices':>7} {'cycle s':>8} "
          f"{'counters/s':>11} {'per CPU-s':>10} {'x bulkwalk':>10} {'x target':>8}")
    best: dict[str, tuple[Figures, Case]] = {}
    for case in CASES:
        polled = devices * case.devices
        try:
            figures = asyncio.run(measure(port, case, polled, cycles))
        except Exception as exc:  # one broken row must not hide the others
            print(f"{case.backend:8} {case.label:26} failed: {type(exc).__name__}: {exc}")
            continue
        print(f"{case.backend:8} {case.label:26} {case.reps:>4} {polled:>7} "
              f"{figures.cycle:>8.3f} {figures.rate:>11,.0f} {figures.per_cpu:>10,.0f} "
              f"{figures.rate / ref_rate:>9.2f}x {figures.rate / TARGET:>7.2f}x")
        sys.stdout.flush()
        if not case.status and not case.v3 and (
                case.backend not in best or figures.rate > best[case.backend][0].rate):
            best[case.backend] = (figures, case)
    print(f"best counter poll per backend (v2c; goal {TARGET:,}/s = "
          f"{TARGET / ref_rate:.2f}x snmpbulkwalk):")
    for backend, (figures, case) in sorted(best.items(), key=lambda b: b[1][0].rate):
        print(f"  {backend:8} reps {case.reps:>2}, {devices * case.devices} device(s) in "
              f"flight: {figures.rate:>8,.0f} counters/s = {figures.rate / ref_rate:.2f}x "
              f"snmpbulkwalk, {figures.rate / TARGET:.2f}x the goal; "
              f"{figures.per_cpu:,.0f} per CPU-s")


def inside(args: argparse.Namespace) -> None:
    report("network namespace with virtual interfaces", args.port, 1, args.cycles)


def with_namespace(args: argparse.Namespace) -> bool:
    ns = f"{snmp_kit.NS_PREFIX}{os.getpid()}"
    if snmp_kit.run(["ip", "netns", "add", ns]).returncode != 0:
        return False
    process = None
    workdir = Path(tempfile.mkdtemp(prefix="dotmac-bench-"))
    try:
        kind = snmp_kit.add_interfaces(ns, args.interfaces - 1)  # plus lo
        port = snmp_kit.free_port()
        process = snmp_kit.start_snmpd(workdir, port, ["ip", "netns", "exec", ns])
        print(f"namespace {ns}: lo + {args.interfaces - 1} {kind} interfaces, snmpd on "
              f"127.0.0.1:{port} inside it")
        sys.stdout.flush()
        subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--inside",
                        "--port", str(port), "--cycles", str(args.cycles)], timeout=1200,
                       check=False)
        return True
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"namespace mode unavailable: {exc}")
        return False
    finally:
        if process is not None:
            snmp_kit.stop(process)
        snmp_kit.run(["ip", "netns", "del", ns])
        shutil.rmtree(workdir, ignore_errors=True)


def on_host(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="dotmac-bench-"))
    port = snmp_kit.free_port()
    process = snmp_kit.start_snmpd(workdir, port, [])
    try:
        devices = math.ceil(args.interfaces / max(snmp_kit.rows(port), 1))
        report("host snmpd", port, devices, args.cycles)
    finally:
        snmp_kit.stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interfaces", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.interfaces = max(2, min(args.interfaces, 5000))
    args.cycles = max(1, min(args.cycles, 50))
    if shutil.which("snmpd") is None and not os.path.exists("/usr/sbin/snmpd"):
        print("skipped: snmpd is not installed (apt-get install snmpd snmp)")
        return 0
    try:
        if args.inside:
            inside(args)
        elif not (os.geteuid() == 0 and shutil.which("ip") and with_namespace(args)):
            on_host(args)
    except Exception as exc:  # a benchmark reports, it does not fail the build
        print(f"benchmark could not run: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
