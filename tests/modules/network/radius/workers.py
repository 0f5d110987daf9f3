"""Test kit for `radius serve --processes N`: start it, ask each worker what it answered (its
own /metrics), and send Access-Requests each from a fresh source port, so the kernel spreads
them across the workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families
from pyrad.packet import AuthPacket

from dotmac_isp.sdks.radius.dictionary import load_dictionary
from tests.modules.network.radius.redis_server import free_tcp_port
from tests.modules.network.radius.support import SECRET
from tests.support.freeradius import free_udp_port

ACCEPT, REJECT = 2, 3


def free_tcp_ports(count: int) -> int:
    """The first of `count` consecutive free ports (worker N serves metrics on first + N)."""
    for _ in range(50):
        first = free_tcp_port()
        socks = []
        try:
            for n in range(count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("127.0.0.1", first + n))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no consecutive free ports")


@dataclass
class Workers:
    process: subprocess.Popen[str]
    auth_port: int
    metrics_port: int
    count: int

    def metrics(self, worker: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        url = f"http://127.0.0.1:{self.metrics_port + worker}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    def answered(self, worker: int, outcome: str) -> float:
        key = ("dotmac_radius_packets_total", (("outcome", outcome), ("port", "auth")))
        return self.metrics(worker).get(key, 0.0)

    def pid(self, worker: int) -> int:
        """The worker's process id, as it reports it (dotmac_radius_worker_info)."""
        for (name, labels), _value in self.metrics(worker).items():
            if name == "dotmac_radius_worker_info":
                return int(dict(labels)["pid"])
        raise AssertionError(f"worker {worker} reports no pid")

    def counts(self, outcome: str) -> list[float]:
        return [self.answered(w, outcome) for w in range(self.count)]

    def wait_ready(self, timeout: float = 90, redis: bool = False) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.output()
            try:
                seen = [self.metrics(w) for w in range(self.count)]  # each one answers
                if not redis or all(m.get(("dotmac_radius_redis_connected", ())) == 1
                                    for m in seen):
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, "the RADIUS workers did not start"
            time.sleep(0.2)

    def output(self) -> str:
        if self.process.poll() is None or self.process.stdout is None:
            return ""
        return self.process.stdout.read()


@contextmanager
def radius_workers(database_url: str, secret_key: str, *, count: int = 2,
                   redis_url: str | None = None, **radius: str) -> Iterator[Workers]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DOTMAC_")}
    env.update({"DOTMAC_DATABASE_URL": database_url, "DOTMAC_SECRET_KEY": secret_key,
                "DOTMAC_LOG_JSON": "false", "DOTMAC_LOG_LEVEL": "WARNING",
                "DOTMAC_RADIUS__USE_UVLOOP": "false"})
    env.update({f"DOTMAC_RADIUS__{k.upper()}": v for k, v in radius.items()})
    if redis_url:
        env["DOTMAC_REDIS_URL"] = redis_url
    auth, acct, metrics = free_udp_port(), free_udp_port(), free_tcp_ports(count)
    process = subprocess.Popen(
        [sys.executable, "-m", "dotmac_isp.cli", "radius", "serve", "--processes", str(count),
         "--host", "127.0.0.1", "--auth-port", str(auth), "--acct-port", str(acct),
         "--metrics-port", str(metrics)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    workers = Workers(process, auth, metrics, count)
    try:
        yield workers
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


def _request(username: str, password: str, n: int) -> bytes:
    packet = AuthPacket(code=1, id=n % 256, secret=SECRET.encode(), dict=load_dictionary())
    packet["User-Name"] = username
    packet["User-Password"] = packet.PwCrypt(password)
    packet["NAS-IP-Address"] = "127.0.0.1"
    packet["Calling-Station-Id"] = f"02:00:00:00:{n >> 8 & 255:02x}:{n & 255:02x}"
    return bytes(packet.RequestPacket())


def access_request(port: int, username: str, password: str, n: int,
                   timeout: float = 2.0, sock: socket.socket | None = None) -> int | None:
    """One PAP Access-Request with Identifier n % 256, from `sock` or from a socket of its
    own (a new source port); the reply code, or None when nothing came back."""
    own = sock is None
    sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(timeout)
        sock.sendto(_request(username, password, n), ("127.0.0.1", port))
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return None
    finally:
        if own:
            sock.close()
    return data[0]


def until_every_worker_answered(workers: Workers, username: str, password: str,
                                outcome: str, *, rounds: int = 20,
                                per_round: int = 16) -> list[int | None]:
    """Send Access-Requests from fresh source ports until each worker has answered one with
    `outcome` since the call (at most rounds x per_round requests); the reply codes."""
    before = workers.counts(outcome)
    codes: list[int | None] = []
    for r in range(rounds):
        codes += [access_request(workers.auth_port, username, password, r * per_round + i)
                  for i in range(per_round)]
        if all(after > b for after, b in zip(workers.counts(outcome), before, strict=True)):
            return codes
    raise AssertionError(f"not every worker answered with {outcome}: {before} -> "
                         f"{workers.counts(outcome)} after {len(codes)} requests: {codes}")
