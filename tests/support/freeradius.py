"""The real freeradius daemon on loopback, from a temporary copy of /etc/freeradius/3.0."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SYSTEM_RADDB = Path("/etc/freeradius/3.0")
REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "deploy" / "freeradius"


@dataclass
class FreeRadius:
    raddb: Path
    auth_port: int
    acct_port: int
    secret: str
    process: subprocess.Popen[str] | None = None

    def log(self) -> str:
        path = self.raddb / "stdout.log"
        return path.read_text(errors="replace") if path.exists() else ""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_freeradius(*modules: str) -> str:
    binary = shutil.which("freeradius")
    if binary is None or not SYSTEM_RADDB.is_dir():
        pytest.skip("freeradius is not installed (Debian package freeradius)")
    for module in modules:
        if not any(Path(d, f"rlm_{module}.so").exists() for d in (
                "/usr/lib/freeradius", "/usr/lib/x86_64-linux-gnu/freeradius",
                "/usr/lib/aarch64-linux-gnu/freeradius")):
            pytest.skip(f"FreeRADIUS module rlm_{module} is not installed "
                        f"(Debian package freeradius-{module})")
    return binary


def prepare_raddb(workdir: Path, secret: str) -> Path:
    """A runnable copy: paths in the copy, no user switch, no proxying, no default sites."""
    raddb = workdir / "raddb"
    shutil.copytree(SYSTEM_RADDB, raddb, symlinks=True)
    conf = raddb / "radiusd.conf"
    text = conf.read_text()
    text = re.sub(r"(?m)^raddbdir = .*$", f"raddbdir = {raddb}", text)
    text = re.sub(r"(?m)^logdir = .*$", f"logdir = {workdir}", text)
    text = re.sub(r"(?m)^run_dir = .*$", f"run_dir = {workdir}", text)
    text = re.sub(r"(?m)^\s*(user|group) = .*$", "", text)
    text = re.sub(r"(?m)^proxy_requests\s*=.*$", "proxy_requests = no", text)
    conf.write_text(text)
    for site in (raddb / "sites-enabled").iterdir():
        site.unlink()
    # eap insists on an Auth-Type EAP section, which only the default sites have
    (raddb / "mods-enabled" / "eap").unlink(missing_ok=True)
    (raddb / "clients.conf").write_text(
        f'client loopback {{\n\tipaddr = 127.0.0.1\n\tsecret = "{secret}"\n'
        f'\tnas_type = other\n}}\n')
    return raddb


def enable_site(raddb: Path, text: str, name: str) -> None:
    (raddb / "sites-available" / name).write_text(text)
    (raddb / "sites-enabled" / name).symlink_to(raddb / "sites-available" / name)


def enable_module(raddb: Path, source: Path) -> None:
    target = raddb / "mods-available" / source.name
    shutil.copy(source, target)
    link = raddb / "mods-enabled" / source.name
    if not link.exists():
        link.symlink_to(target)


def with_ports(site_text: str, auth_port: int, acct_port: int) -> str:
    text = site_text.replace("ipaddr = *", "ipaddr = 127.0.0.1")
    text = text.replace("port = 1812", f"port = {auth_port}")
    return text.replace("port = 1813", f"port = {acct_port}")


@contextmanager
def running(server: FreeRadius, env: dict[str, str] | None = None,
            threads: bool = True) -> Iterator[FreeRadius]:
    """Start freeradius (checked first with -C), wait until it listens, stop it by PID."""
    binary = require_freeradius()
    environ = {**os.environ, **(env or {})}
    check = subprocess.run([binary, "-XC", "-d", str(server.raddb)], capture_output=True,
                           text=True, env=environ, timeout=60, check=False)
    if check.returncode != 0:
        raise RuntimeError(f"freeradius -XC failed:\n{check.stdout[-4000:]}")
    log = (server.raddb / "stdout.log").open("w")
    args = [binary, "-f", "-l", "stdout", "-d", str(server.raddb)]
    if not threads:
        args.append("-s")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=environ,
                               text=True)
    server.process = process
    try:
        deadline = time.monotonic() + 20
        while "Ready to process requests" not in server.log():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"freeradius did not start:\n{server.log()[-4000:]}")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
