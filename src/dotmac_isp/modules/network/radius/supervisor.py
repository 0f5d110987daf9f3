"""`dotmac-isp radius serve --processes N`: N worker processes on the same UDP ports.

Each worker is a `radius serve` of its own (a fresh interpreter: its own event loop, database
pool and policy cache) binding the ports with SO_REUSEPORT, so the kernel spreads datagrams
across them by source address and port. The parent only supervises: it restarts a worker
that died, after a backoff that grows while the worker keeps dying, forwards SIGTERM and
SIGINT, and exits once every worker has stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger(__name__)
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
HEALTHY_AFTER = 60.0  # a worker that ran this long starts again with the first backoff
STOP_GRACE = 30.0
PR_SET_PDEATHSIG = 1  # seconds a worker has to drain its accounting batch after SIGTERM


@dataclass
class Worker:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = 0


def _die_with_parent() -> None:
    """In the worker, before exec: SIGTERM it when the supervisor dies, even by SIGKILL, so
    no orphan keeps the port (Linux prctl PR_SET_PDEATHSIG; elsewhere nothing)."""
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_udp_port(host: str) -> int:
    """A port for every worker to share when the configured one is 0 (any)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def worker_command(index: int, host: str, auth_port: int, acct_port: int) -> list[str]:
    return [sys.executable, "-m", "dotmac_isp.cli", "radius", "serve",
            "--worker", str(index), "--reuse-port", "--host", host,
            "--auth-port", str(auth_port), "--acct-port", str(acct_port)]


class Supervisor:
    def __init__(self, processes: int, command: Callable[[int], list[str]],
                 env: dict[str, str] | None = None):
        self.workers = [Worker(i) for i in range(processes)]
        self.command = command
        self.env = env if env is not None else dict(os.environ)
        self._stopping = threading.Event()

    def stop(self, *_args: int | FrameType | None) -> None:
        self._stopping.set()

    def run(self) -> int:
        """Start the workers and keep them running until SIGTERM or SIGINT."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM,
                                                                  signal.SIGINT)}
        try:
            for worker in self.workers:
                self._start(worker)
            while not self._stopping.wait(0.2):
                self._check()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _start(self, worker: Worker) -> None:
        worker.process = subprocess.Popen(self.command(worker.index), env=self.env,
                                          preexec_fn=_die_with_parent)
        worker.started_at, worker.restart_at = time.monotonic(), None
        log.info("RADIUS worker started", extra={"worker": worker.index,
                                                 "pid": worker.process.pid})

    def _check(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.restart_at is not None:
                if now >= worker.restart_at and not self._stopping.is_set():
                    worker.restarts += 1
                    self._start(worker)
                continue
            code = worker.process.poll() if worker.process is not None else None
            if code is None:
                continue
            if now - worker.started_at >= HEALTHY_AFTER:
                worker.backoff = BACKOFF_FIRST
            worker.restart_at = now + worker.backoff
            log.warning("RADIUS worker exited; restarting it", extra={
                "worker": worker.index, "exit_code": code, "restart_in": worker.backoff})
            worker.backoff = min(worker.backoff * 2, BACKOFF_MAX)

    def _stop_all(self) -> None:
        running = [w.process for w in self.workers
                   if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("RADIUS worker did not stop; killing it", extra={"pid": process.pid})
                process.kill()
                process.wait(5)
