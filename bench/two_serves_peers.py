"""The peers of a two-serves run on loopback: a NAS that ACKs every CoA/Disconnect and keeps
each packet it received (its identifier and authenticator tell a retransmission from a second
request), and the two `dotmac-isp serve --no-radius` processes, started and stopped by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pyrad.packet import CoAPacket

import dotmac_isp
from bench.two_serves_checks import Received
from dotmac_isp.sdks.radius.dictionary import load_dictionary


@dataclass
class Nas:
    port: int
    received: list[Received] = field(default_factory=list)


@contextmanager
def nas(secret: str) -> Iterator[Nas]:
    """A NAS on a loopback port answering ACK to every request it can verify."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stand_in = Nas(sock.getsockname()[1])
    stop = threading.Event()
    dictionary = load_dictionary()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            request = CoAPacket(packet=data, secret=secret.encode(), dict=dictionary)
            if not request.VerifyCoARequest():
                continue
            stand_in.received.append(Received(request.code,
                                              str(request["Acct-Session-Id"][0]),
                                              request.id, bytes(request.authenticator),
                                              time.monotonic()))
            sock.sendto(request.CreateReply().ReplyPacket(), addr)

    thread = threading.Thread(target=serve, name="nas-stand-in", daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Serve:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path


def environment(database_url: str, secret_key: str, smtp_port: int) -> dict[str, str]:
    """What an operator sets for each process: the shared database, the mail server; no
    broker (each process runs its own scheduler)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DOTMAC_"))}
    source = str(Path(dotmac_isp.__file__).resolve().parent.parent)
    env.update({
        "DOTMAC_DATABASE_URL": database_url, "DOTMAC_SECRET_KEY": secret_key,
        "DOTMAC_ENVIRONMENT": "test", "DOTMAC_LOG_LEVEL": "WARNING",
        "DOTMAC_MAIL__SMTP_HOST": "127.0.0.1", "DOTMAC_MAIL__SMTP_PORT": str(smtp_port),
        "PYTHONPATH": os.pathsep.join([source, env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    })
    return env


def start(name: str, env: dict[str, str], workdir: Path, timeout: float = 90) -> Serve:
    port = free_port()
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dotmac_isp.cli", "serve", "--no-radius", "--no-migrate",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    serve = Serve(name, process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{serve.base}/healthz", timeout=1).status_code == 200:
                return serve
        except httpx.HTTPError:
            time.sleep(0.2)
    stop([serve])
    raise RuntimeError(f"{name} did not answer /healthz within {timeout:.0f} s")


def stop(serves: list[Serve], timeout: float = 60) -> list[str]:
    """SIGTERM each by PID, wait; a process still there after `timeout` is killed (and
    named in the result)."""
    for serve in serves:
        if serve.process.poll() is None:
            os.kill(serve.process.pid, signal.SIGTERM)
    killed = []
    for serve in serves:
        try:
            serve.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(serve.process.pid, signal.SIGKILL)
            serve.process.wait(10)
            killed.append(serve.name)
    return killed
