"""`dotmac-isp radius serve`: the server alone, in the foreground, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support.freeradius import free_udp_port


def _taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_radius_serve_listens_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "DOTMAC_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
           "DOTMAC_LOG_JSON": "false", "DOTMAC_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "dotmac_isp.cli"]
    assert subprocess.run([*command, "db", "upgrade"], env=env, capture_output=True,
                          timeout=60).returncode == 0
    auth, acct = free_udp_port(), free_udp_port()
    proc = subprocess.Popen([*command, "radius", "serve", "--host", "127.0.0.1",
                             "--auth-port", str(auth), "--acct-port", str(acct)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 30
        while not (_taken(auth) and _taken(acct)):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "radius serve did not bind its ports"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert f"127.0.0.1:{auth} (auth)" in out
