"""Real API server processes on loopback (`dotmac-isp serve`, or one API worker as
`serve --workers` builds it), started with their own environment and stopped by PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_SECONDS = 180  # migrations and imports on a loaded two-core machine
STOP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dotmac_command() -> list[str]:
    exe = shutil.which("dotmac-isp", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "dotmac_isp.cli"]


def worker_command(port: int) -> list[str]:
    """One API process built by the same factory `serve --workers` gives its workers."""
    return [sys.executable, "-m", "uvicorn", "dotmac_isp.main:create_worker_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DOTMAC_DATABASE_URL": database_url, "DOTMAC_ENVIRONMENT": "test",
            "DOTMAC_SECRET_KEY": "processes-share-this-secret-key-0123456789",
            "DOTMAC_LOG_JSON": "false", "DOTMAC_LOG_LEVEL": "INFO", **extra}


def children(pid: int) -> list[int]:
    """The direct child processes of pid (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(c) for c in task.read_text().split())
        except OSError:
            continue
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def api_workers(pid: int) -> list[int]:
    """uvicorn's worker processes under a `serve --workers` process."""
    return [c for c in children(pid) if "spawn_main" in command_line(c)]


def udp_port_owners(port: int, pids: list[int]) -> list[int]:
    """Which of pids hold a UDP socket bound to the port (from /proc/net/udp and their fds)."""
    inodes: set[str] = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    owners = []
    for pid in pids:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            owners.append(pid)
    return owners


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_ready(server: ServerProcess) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the server exited with {server.proc.returncode}:\n"
                               f"{server.output()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready in {READY_SECONDS}s:\n"
                       f"{server.output()[-3000:]}")


def stop(server: ServerProcess) -> int:
    """SIGINT (as Ctrl-C), then SIGKILL to it and its children if it hangs; the exit code."""
    proc = server.proc
    if proc.poll() is None:
        workers = children(proc.pid)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            for pid in [proc.pid, *workers]:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(STOP_SECONDS)
    return proc.returncode


@contextmanager
def running(command: list[str], env: dict[str, str], port: int,
            log: Path) -> Iterator[ServerProcess]:
    """Start the command, wait until /readyz answers, stop it by PID afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = ServerProcess(proc, f"http://127.0.0.1:{port}", log)
    try:
        wait_ready(server)
        yield server
    finally:
        stop(server)
