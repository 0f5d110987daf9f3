"""A real net-snmp agent (Debian snmpd) on a loopback high port, with a temporary config.

The agent serves the machine's real tables. Two extras make counters and figures testable:
- the ifHCInOctets and ifHCOutOctets columns come from files the test writes (`pass`
  scripts), one per ifIndex, so a test can move counters by exact amounts, or wrap them;
- two private OIDs answer fixed CPU and memory percentages (`override`).
The agent is stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

IF_INDEX = "1.3.6.1.2.1.2.2.1.1"
IN_OCTETS_1 = "1.3.6.1.2.1.31.1.1.1.6.1"
OUT_OCTETS_1 = "1.3.6.1.2.1.31.1.1.1.10.1"
CUSTOM_CPU_OID = "1.3.6.1.4.1.99999.1.0"
CUSTOM_MEMORY_OID = "1.3.6.1.4.1.99999.2.0"
CUSTOM_CPU, CUSTOM_MEMORY = 42, 63
V3_USER, V3_AUTH, V3_PRIV = "pollster", "auth-pass-123", "priv-pass-456"

_PASS_SCRIPT = """#!/bin/sh
# Serves one IF-MIB counter column from STATE/<index> files (get and get-next).
DIR="{state}"
COL=".{column}"
case "$1" in
  -g) idx="${{2#$COL.}}"
      [ "$idx" != "$2" ] && [ -f "$DIR/$idx" ] || exit 0 ;;
  -n) if [ "$2" = "$COL" ]; then cur=-1; else cur="${{2#$COL.}}"; cur="${{cur%%.*}}"; fi
      idx=""
      for i in $(ls "$DIR" | sort -n); do
        if [ "$i" -gt "$cur" ]; then idx="$i"; break; fi
      done
      [ -n "$idx" ] || exit 0 ;;
  *) exit 0 ;;
esac
echo "$COL.$idx"; echo counter64; cat "$DIR/$idx"
"""


@dataclass
class SnmpAgent:
    host: str
    port: int
    community: str
    workdir: Path
    pid: int

    def set_counter(self, oid: str, value: int) -> None:
        column, index = oid.rsplit(".", 1)
        (self.workdir / "state" / column / index).write_text(f"{value}\n")

    def snmpget(self, *oids: str) -> dict[str, str]:
        """The reference reading: net-snmp's own snmpget, value text by OID."""
        out = subprocess.run(
            ["snmpget", "-v2c", "-c", self.community, "-On", "-Oqvt", "-t", "2", "-r", "1",
             f"{self.host}:{self.port}", *oids],
            capture_output=True, text=True, timeout=15, env={**os.environ, "MIBS": ""},
            check=True).stdout.splitlines()
        return dict(zip(oids, (line.strip().strip('"') for line in out), strict=True))

    def snmpwalk(self, oid: str) -> dict[int, str]:
        out = subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", self.community, "-On", "-Oqt", "-t", "2",
             f"{self.host}:{self.port}", oid],
            capture_output=True, text=True, timeout=15, env={**os.environ, "MIBS": ""},
            check=True).stdout.splitlines()
        values = {}
        for line in out:
            if "No Such" in line or "No more variables" in line:
                continue
            name, _, value = line.partition(" ")
            values[int(name.rsplit(".", 1)[1])] = value.strip().strip('"')
        return values


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_config(workdir: Path, port: int, community: str) -> Path:
    state = workdir / "state"
    state.mkdir(parents=True, exist_ok=True)
    lines = [
        f"agentAddress udp:127.0.0.1:{port}",
        f"rocommunity {community} 127.0.0.1",
        f'createUser {V3_USER} SHA "{V3_AUTH}" AES "{V3_PRIV}"',
        f"rouser {V3_USER} priv",
        "sysDescr DotMac test agent (net-snmp)",
        "sysLocation loopback lab",
        f"override .{CUSTOM_CPU_OID} integer {CUSTOM_CPU}",
        f"override .{CUSTOM_MEMORY_OID} integer {CUSTOM_MEMORY}",
        f"persistentDir {workdir / 'persist'}",
    ]
    for name, oid in (("in", IN_OCTETS_1), ("out", OUT_OCTETS_1)):
        column = oid.rsplit(".", 1)[0]
        (state / column).mkdir(exist_ok=True)
        script = workdir / f"pass-{name}.sh"
        script.write_text(_PASS_SCRIPT.format(state=state / column, column=column))
        script.chmod(0o755)
        lines.append(f"pass .{column} /bin/sh {script}")
    config = workdir / "snmpd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


@contextmanager
def snmpd_agent(workdir: Path, community: str = "public") -> Iterator[SnmpAgent]:
    snmpd = shutil.which("snmpd") or ("/usr/sbin/snmpd" if os.path.exists("/usr/sbin/snmpd")
                                      else None)
    if snmpd is None or shutil.which("snmpget") is None:
        pytest.skip("net-snmp is not installed (apt-get install snmpd snmp)")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "persist").mkdir(exist_ok=True)
    port = free_udp_port()
    config = _write_config(workdir, port, community)
    pidfile = workdir / "snmpd.pid"
    log = open(workdir / "snmpd.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [snmpd, "-f", "-Lo", "-C", "-I", "-smux", "-c", str(config), "-p", str(pidfile)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MIBS": ""})
    agent = SnmpAgent("127.0.0.1", port, community, workdir, process.pid)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.skip(f"snmpd did not start: {(workdir / 'snmpd.log').read_text()[-500:]}")
            try:
                agent.snmpget("1.3.6.1.2.1.1.3.0")
                break
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    pytest.skip("snmpd did not answer within 10 s")
                time.sleep(0.1)
        for index in agent.snmpwalk(IF_INDEX):
            agent.set_counter(f"{IN_OCTETS_1[:-2]}.{index}", 1_000 * index)
            agent.set_counter(f"{OUT_OCTETS_1[:-2]}.{index}", 2_000 * index)
        yield agent
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()
