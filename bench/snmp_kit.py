"""The parts of the SNMP benchmark: an snmpd with many interfaces (a network namespace of
virtual interfaces, or the host's own agent) and the snmpbulkwalk reference."""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

V3_USER, V3_AUTH, V3_PRIV = "benchuser", "bench-auth-pass", "bench-priv-pass"
NS_PREFIX = "dotmac_bench_"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload]


def start_snmpd(workdir: Path, port: int, prefix: list[str]) -> subprocess.Popen[bytes]:
    """snmpd on 127.0.0.1:port (inside the namespace when prefix says so), v2c and v3."""
    conf = workdir / "snmpd.conf"
    conf.write_text(f"agentAddress udp:127.0.0.1:{port}\nrocommunity public 127.0.0.1\n"
                    f'createUser {V3_USER} SHA "{V3_AUTH}" AES "{V3_PRIV}"\n'
                    f"rouser {V3_USER} priv\npersistentDir {workdir}\n")
    process = subprocess.Popen(
        [*prefix, "env", "MIBS=", "snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", str(conf),
         "-p", str(workdir / "snmpd.pid")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        probe = run([*prefix, "env", "MIBS=", "snmpget", "-v2c", "-c", "public", "-t", "1",
                     f"127.0.0.1:{port}", "1.3.6.1.2.1.1.3.0"])
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


def add_interfaces(ns: str, count: int) -> str:
    """`count` virtual interfaces in the namespace (dummy, else ifb); the kind made."""
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


def snmpbulkwalk(port: int, columns: tuple[str, ...], repeats: int) -> tuple[float, int]:
    """Net-SNMP's snmpbulkwalk over each column (a process per column, as an operator runs
    it): the best time of `repeats` for all columns, and the values read."""
    env = {**os.environ, "MIBS": ""}
    best, values = math.inf, 0
    for _ in range(repeats):
        started = time.perf_counter()
        values = 0
        for column in columns:
            out = run(["snmpbulkwalk", "-v2c", "-c", "public", "-Cr50", "-On", "-Oq",
                       f"127.0.0.1:{port}", column], env=env)
            values += len(out.stdout.splitlines())
        best = min(best, time.perf_counter() - started)
    return best, values


def rows(port: int) -> int:
    out = run(["env", "MIBS=", "snmpbulkwalk", "-v2c", "-c", "public", "-On",
               f"127.0.0.1:{port}", "1.3.6.1.2.1.2.2.1.8"])
    return len(out.stdout.splitlines())
