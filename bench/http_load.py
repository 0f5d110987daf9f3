"""Real API server processes on loopback and a light HTTP/1.1 load generator for them.

The servers are the API processes `dotmac-isp serve --workers N` runs (uvicorn's supervisor
and the same app factory), without serve's job scheduler: a billing run over the bench's
subscribers would otherwise compete with the requests being measured. The generator keeps
one keep-alive connection per simulated client on asyncio streams (no HTTP library), so
little of the two cores goes to the client side.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def api_processes(database_url: str, secret_key: str, processes: int,
                  ready_seconds: float = 120) -> Iterator[str]:
    """N API processes on one loopback port; yields the base URL, stops them by PID."""
    port = free_port()
    env = {**os.environ, "DOTMAC_DATABASE_URL": database_url, "DOTMAC_SECRET_KEY": secret_key,
           "DOTMAC_ENVIRONMENT": "test", "DOTMAC_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "uvicorn", "dotmac_isp.main:create_worker_app",
               "--factory", "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
               "--workers", str(processes)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_seconds
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API processes did not start ({' '.join(command)})")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def join(self, other: LoadResult) -> LoadResult:
        """Two measurements as one."""
        return LoadResult(self.requests + other.requests, self.errors + other.errors,
                          self.seconds + other.seconds, self.latencies_ms + other.latencies_ms)

    def quantile(self, q: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[q - 1]


async def _client(host: str, port: int, requests: Sequence[bytes], stop_at: float,
                  offset: int, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - t0) * 1000)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(1)
    finally:
        writer.close()


def run_load(base: str, paths: Sequence[str], headers: dict[str, str], *, concurrency: int,
             seconds: float, warmup_seconds: float = 2.0) -> LoadResult:
    """GET the paths in turn from `concurrency` keep-alive connections for `seconds`."""
    host, port = base.removeprefix("http://").split(":")
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [f"GET {p} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode()
                for p in paths]

    async def phase(duration: float) -> tuple[list[float], list[int], float]:
        latencies: list[float] = []
        errors: list[int] = []
        started = time.perf_counter()
        stop_at = started + duration
        await asyncio.gather(*(_client(host, int(port), requests, stop_at,
                                       n * 997, latencies, errors)
                               for n in range(concurrency)))
        return latencies, errors, time.perf_counter() - started

    asyncio.run(phase(warmup_seconds))  # every process warm: pools, statement caches
    latencies, errors, took = asyncio.run(phase(seconds))
    return LoadResult(len(latencies), len(errors), took, latencies)
