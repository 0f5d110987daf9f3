"""SNMP poller benchmark: interface counters of 1,000 interfaces polled in one cycle.

    .venv/bin/python bench/snmp_poll.py [--interfaces 1000] [--cycles 5]

As root it builds a network namespace holding N virtual interfaces (dummy, else ifb) with a
real snmpd inside it on 127.0.0.1, and polls it from inside the namespace (loopback only).
Otherwise it polls the machine's own snmpd repeatedly, as many "devices" as it takes to make
N interfaces. Either way the reference is net-snmp's snmpbulkwalk reading the same columns
from the same agent in the same run. Prints its figures and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dotmac_isp.modules.network.devices import oids  # noqa: E402
from dotmac_isp.modules.network.devices.polling.poller import PollSpec, poll_many  # noqa: E402
from dotmac_isp.sdks.snmp import SnmpClient, SnmpCredentials, SnmpTarget  # noqa: E402

TARGET = 4_000  # interface counters per second per poller process (DESIGN.md)
COLUMNS = (oids.IF_HC_IN_OCTETS, oids.IF_HC_OUT_OCTETS, oids.IF_OPER_STATUS,
           oids.IF_ADMIN_STATUS)
NS_PREFIX = "dotmac_bench_"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload,no-any-return]


def start_snmpd(workdir: Path, port: int, prefix: list[str]) -> subprocess.Popen[bytes]:
    conf = workdir / "snmpd.conf"
    conf.write_text(f"agentAddress udp:127.0.0.1:{port}\nrocommunity public 127.0.0.1\n"
                    f"persistentDir {workdir}\n")
    process = subprocess.Popen(
        [*prefix, "env", "MIBS=", "snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", str(conf),
         "-p", str(workdir / "snmpd.pid")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        probe = run([*prefix, "env", "MIBS=", "snmpget", "-v2c", "-c", "public", "-t", "1",
                     f"127.0.0.1:{port}", oids.SYS_UPTIME])
        if probe.returncode == 0:
            return process
        time.sleep(0.2)
    stop(process)
    raise RuntimeError("snmpd did not answer")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def reference(port: int, repeats: int) -> tuple[float, int]:
    """snmpbulkwalk of the same columns: (seconds per cycle, values per cycle)."""
    env = {**os.environ, "MIBS": ""}
    best = math.inf
    values = 0
    for _ in range(repeats):
        started = time.perf_counter()
        values = 0
        for column in COLUMNS:
            out = run(["snmpbulkwalk", "-v2c", "-c", "public", "-Cr50", "-On", "-Oq",
                       f"127.0.0.1:{port}", column], env=env)
            values += len(out.stdout.splitlines())
        best = min(best, time.perf_counter() - started)
    return best, values


async def measure(port: int, devices: int, cycles: int) -> dict[str, float]:
    target = SnmpTarget("127.0.0.1", port, SnmpCredentials(community="public"), timeout=5,
                        retries=1)
    client = SnmpClient()
    specs = [PollSpec(uuid.uuid4(), target) for _ in range(devices)]
    try:
        await poll_many(specs, client=client)  # warm-up: sockets, engine caches
        cycle_times, counters, interfaces = [], 0, 0
        for _ in range(cycles):
            started = time.perf_counter()
            results = await poll_many(specs, concurrency=64, client=client)
            cycle_times.append(time.perf_counter() - started)
            counters = sum(r.counters_read for r in results)
            interfaces = sum(len(r.interfaces) for r in results)
            assert all(r.reachable for r in results), [r.error for r in results][:3]
        walk_started = time.perf_counter()
        walked = await client.walk(target, [oids.IF_HC_IN_OCTETS, oids.IF_HC_OUT_OCTETS])
        walk_time = time.perf_counter() - walk_started
    finally:
        client.close()
    cycle = sorted(cycle_times)[len(cycle_times) // 2]
    return {"cycle": cycle, "counters": counters, "interfaces": interfaces,
            "walk_time": walk_time, "walk_counters": sum(len(v) for v in walked.values())}


def report(mode: str, port: int, devices: int, cycles: int) -> None:
    ours = asyncio.run(measure(port, devices, cycles))
    ref_time, ref_values = reference(port, cycles)
    ref_per_cycle = ref_time * devices
    ours_rate = ours["counters"] / ours["cycle"]
    ref_rate = ref_values / ref_time * (2 / len(COLUMNS))  # its octet counters per second
    print(f"mode: {mode}")
    print(f"interfaces polled per cycle: {ours['interfaces']:.0f} "
          f"({devices} device poll(s); GET of system scalars + GETBULK of ifHCIn/Out, "
          f"oper/admin status, hrProcessorLoad)")
    print(f"dotmac poller  : {ours['cycle']:.3f} s per cycle, "
          f"{ours_rate:,.0f} octet counters/s, {ours['interfaces'] / ours['cycle']:,.0f} "
          f"interfaces/s")
    print(f"dotmac walk    : {ours['walk_counters'] / ours['walk_time']:,.0f} counters/s "
          f"(ifHCIn/Out only, one device)")
    print(f"snmpbulkwalk   : {ref_per_cycle:.3f} s per cycle, {ref_rate:,.0f} octet counters/s "
          f"(net-snmp C client, same agent and columns)")
    print(f"ratio dotmac/snmpbulkwalk: {ours_rate / ref_rate:.2f}x   "
          f"ratio dotmac/target {TARGET:,}/s: {ours_rate / TARGET:.2f}x")


def inside(args: argparse.Namespace) -> None:
    report("network namespace with virtual interfaces", args.port, 1, args.cycles)


def add_interfaces(ns: str, count: int) -> str:
    for kind in ("dummy", "ifb"):
        probe = run(["ip", "-n", ns, "link", "add", "probe0", "type", kind])
        if probe.returncode == 0:
            run(["ip", "-n", ns, "link", "del", "probe0"])
            batch = "".join(f"link add if{kind}{i} type {kind}\n" for i in range(count))
            out = subprocess.run(["ip", "-n", ns, "-batch", "-"], input=batch, text=True,
                                 capture_output=True, timeout=300)
            if out.returncode != 0:
                raise RuntimeError(out.stderr.strip()[:300])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
            return kind
    raise RuntimeError("neither dummy nor ifb interfaces can be created here")


def with_namespace(args: argparse.Namespace) -> bool:
    ns = f"{NS_PREFIX}{os.getpid()}"
    if run(["ip", "netns", "add", ns]).returncode != 0:
        return False
    process = None
    try:
        kind = add_interfaces(ns, args.interfaces - 1)  # plus lo
        workdir = Path(tempfile.mkdtemp(prefix="dotmac-bench-"))
        port = free_port()
        process = start_snmpd(workdir, port, ["ip", "netns", "exec", ns])
        print(f"namespace {ns}: lo + {args.interfaces - 1} {kind} interfaces, snmpd on "
              f"127.0.0.1:{port} inside it")
        sys.stdout.flush()
        subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, "--inside",
                        "--port", str(port), "--cycles", str(args.cycles)], timeout=600,
                       check=False)
        shutil.rmtree(workdir, ignore_errors=True)
        return True
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"namespace mode unavailable: {exc}")
        return False
    finally:
        if process is not None:
            stop(process)
        run(["ip", "netns", "del", ns])


def on_host(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="dotmac-bench-"))
    port = free_port()
    process = start_snmpd(workdir, port, [])
    try:
        per_agent = len(run(["env", "MIBS=", "snmpbulkwalk", "-v2c", "-c", "public", "-On",
                             f"127.0.0.1:{port}", oids.IF_OPER_STATUS]).stdout.splitlines())
        devices = math.ceil(args.interfaces / max(per_agent, 1))
        report(f"host snmpd with {per_agent} interfaces, polled as {devices} devices",
               port, devices, args.cycles)
    finally:
        stop(process)
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
