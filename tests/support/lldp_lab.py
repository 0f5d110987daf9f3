"""A small network of real LLDP speakers: one Linux network namespace per switch, veth pairs
as cables, and in each namespace Debian's lldpd as an AgentX subagent of that namespace's own
snmpd (on the namespace's 127.0.0.1), so LLDP-MIB answers over SNMP as on a switch.

Needs root, iproute2's `ip netns`, lldpd and snmpd; the fixture skips with the reason
otherwise. Every daemon is stopped by its PID and the namespaces are deleted afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SNMP_PORT = 1161  # inside each namespace, on its own loopback
SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Switch:
    name: str
    netns: str
    workdir: Path
    ports: dict[str, str] = field(default_factory=dict)  # peer name -> local interface
    addresses: dict[str, str] = field(default_factory=dict)  # peer name -> local IPv4
    pids: list[int] = field(default_factory=list)

    def ip(self, *args: str) -> str:
        return subprocess.run(["ip", "-n", self.netns, *args], check=True, capture_output=True,
                              text=True, timeout=10).stdout

    def if_indexes(self) -> dict[str, int]:
        """Interface name -> ifIndex inside the namespace."""
        found = {}
        for line in self.ip("-o", "link", "show").splitlines():
            number, name = line.split(":")[:2]
            found[name.strip().split("@")[0]] = int(number)
        return found

    def read_neighbours(self) -> dict[str, Any]:
        """The reader, run inside the namespace against its snmpd: the reading as JSON."""
        out = subprocess.run(
            ["ip", "netns", "exec", self.netns, sys.executable, "-m",
             "dotmac_isp.modules.network.topology.reader", "--host", "127.0.0.1",
             "--port", str(SNMP_PORT), "--community", "public"],
            check=True, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(SRC)})
        return dict(json.loads(out.stdout))

    def wait_heard(self, count: int, seconds: float = 30) -> None:
        """Until lldpd hears exactly `count` neighbours (they come with the first frame and
        go when their TTL, four transmit intervals, runs out)."""
        deadline = time.monotonic() + seconds
        while self.lldpcli_neighbours() != count:
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} heard {self.lldpcli_neighbours()} neighbours, not "
                            f"{count}, within {seconds:g} s: "
                            f"{(self.workdir / 'lldpd.log').read_text()[-600:]}")
            time.sleep(0.2)

    def lldpcli_neighbours(self) -> int:
        out = subprocess.run(
            ["ip", "netns", "exec", self.netns, "lldpcli", "-u",
             str(self.workdir / "lldpd.sock"), "-f", "keyvalue", "show", "neighbors"],
            capture_output=True, text=True, timeout=10).stdout
        return len({line.split(".")[1] for line in out.splitlines()
                    if line.startswith("lldp.") and ".chassis." in line})


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool, package in (("ip", "iproute2"), ("lldpd", "lldpd"), ("lldpcli", "lldpd"),
                          ("snmpd", "snmpd")):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed (apt-get install {package})"
    probe = f"dmprobe{os.getpid() % 100000}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _start(switch: Switch, *command: str, log: str) -> None:
    handle = open(switch.workdir / log, "wb")  # noqa: SIM115 (the daemon keeps it)
    process = subprocess.Popen(["ip", "netns", "exec", switch.netns, *command], stdout=handle,
                               stderr=subprocess.STDOUT, env={**os.environ, "MIBS": ""})
    switch.pids.append(process.pid)  # `ip netns exec` execs the daemon: this is its PID


def _daemons(switch: Switch) -> None:
    conf = switch.workdir / "snmpd.conf"
    conf.write_text("\n".join([
        f"agentAddress udp:127.0.0.1:{SNMP_PORT}", "rocommunity public 127.0.0.1",
        "master agentx", f"agentXSocket unix:{switch.workdir / 'agentx.sock'}",
        f"sysName {switch.name}", ""]))
    _start(switch, shutil.which("snmpd") or "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-I",
           "-smux", "-c", str(conf), "-p", str(switch.workdir / "snmpd.pid"), log="snmpd.log")
    deadline = time.monotonic() + 10
    while not (switch.workdir / "agentx.sock").exists():
        if time.monotonic() > deadline:
            pytest.fail(f"snmpd in {switch.netns} made no AgentX socket: "
                        f"{(switch.workdir / 'snmpd.log').read_text()[-400:]}")
        time.sleep(0.05)
    lldp_conf = switch.workdir / "lldpd.conf"
    lldp_conf.write_text(f"configure lldp tx-interval 1\n"
                         f"configure system hostname {switch.name}\n")
    _start(switch, shutil.which("lldpd") or "/usr/sbin/lldpd", "-d", "-x", "-X",
           str(switch.workdir / "agentx.sock"), "-u", str(switch.workdir / "lldpd.sock"),
           "-p", str(switch.workdir / "lldpd.pid"), "-O", str(lldp_conf),
           "-I", ",".join(switch.ports.values()), log="lldpd.log")


def _stop(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with suppress(ChildProcessError):
        os.waitpid(pid, 0)


@contextmanager
def lldp_lab(names: list[str], cables: list[tuple[str, str]]) -> Iterator[dict[str, Switch]]:
    """Switches by name, cabled as given, each with lldpd and snmpd running, once every
    switch hears all its neighbours over LLDP."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    tag = f"dm{os.getpid() % 100000}"
    # lldpd drops to its own user: its AgentX and control sockets must be where that user
    # can reach them (pytest's temporary directories are private to root)
    workdir = Path(tempfile.mkdtemp(prefix="dotmac-lldp-"))
    workdir.chmod(0o755)
    switches = {n: Switch(n, f"{tag}-{n}", workdir / n) for n in names}
    made: list[str] = []
    try:
        for switch in switches.values():
            switch.workdir.mkdir(parents=True, exist_ok=True)
            subprocess.run(["ip", "netns", "add", switch.netns], check=True, timeout=10)
            made.append(switch.netns)
            switch.ip("link", "set", "lo", "up")
        for number, (left, right) in enumerate(cables, start=1):
            a, b = switches[left], switches[right]
            a.ports[right], b.ports[left] = f"{left}-{right}"[:15], f"{right}-{left}"[:15]
            subprocess.run(["ip", "link", "add", a.ports[right], "netns", a.netns, "type",
                            "veth", "peer", "name", b.ports[left], "netns", b.netns],
                           check=True, timeout=10)
            for side, peer, host in ((a, right, 1), (b, left, 2)):
                side.addresses[peer] = f"10.77.{number}.{host}"
                side.ip("addr", "add", f"{side.addresses[peer]}/30", "dev", side.ports[peer])
                side.ip("link", "set", side.ports[peer], "up")
        for switch in switches.values():
            _daemons(switch)
        for switch in switches.values():
            switch.wait_heard(len(switch.ports))
        yield switches
    finally:
        for switch in switches.values():
            for pid in reversed(switch.pids):
                _stop(pid)
        for netns in made:
            subprocess.run(["ip", "netns", "del", netns], capture_output=True, timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
