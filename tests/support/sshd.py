"""A real OpenSSH server on a loopback high port for configuration backup tests.

It runs as the current user from a temporary config, with a temporary host key and an
authorized key made for the test; it is stopped by its PID. Nothing under /etc is touched.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")


@dataclass
class SshServer:
    host: str
    port: int
    username: str
    private_key: str
    workdir: Path
    pid: int


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, capture_output=True, timeout=30)


@contextmanager
def sshd_server(workdir: Path) -> Iterator[SshServer]:
    if not os.path.exists(SSHD):
        pytest.skip("OpenSSH server is not installed (apt-get install openssh-server)")
    if not PRIVSEP_DIR.is_dir():
        # sshd insists on its privilege-separation directory; it is runtime state, not config.
        if os.geteuid() != 0:
            pytest.skip(f"sshd needs {PRIVSEP_DIR}, which only root can create")
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    _keygen(workdir / "host_key")
    _keygen(workdir / "client_key")
    (workdir / "authorized_keys").write_text((workdir / "client_key.pub").read_text())
    port = _free_tcp_port()
    config = workdir / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {workdir / 'host_key'}",
        f"PidFile {workdir / 'sshd.pid'}", f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
        "PermitRootLogin prohibit-password", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
        "PrintMotd no", "LogLevel INFO"]) + "\n")
    log = open(workdir / "sshd.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.skip(f"sshd did not start: {(workdir / 'sshd.log').read_text()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("sshd did not listen within 10 s")
                time.sleep(0.05)
        yield SshServer("127.0.0.1", port, getpass.getuser(),
                        (workdir / "client_key").read_text(), workdir, process.pid)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()
