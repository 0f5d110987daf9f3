"""The dotmac-isp command, run as an operator would, on a fresh SQLite file."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dotmac_isp.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD


def _command() -> list[str]:
    exe = shutil.which("dotmac-isp", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "dotmac_isp.cli"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DOTMAC_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "DOTMAC_LOG_JSON": "false", "DOTMAC_LOG_LEVEL": "WARNING"}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # The demo seed hashes passwords and builds a network: over a minute on a loaded machine.
    return subprocess.run([*_command(), *args], env=env, capture_output=True, text=True,
                          timeout=180)


def test_operator_flow(env: dict[str, str]) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    created = run(env, "tenant", "create", "--name", "Lagos Fibre", "--slug", "lagos-fibre",
                  "--currency", "ngn", "--timezone", "Africa/Lagos")
    assert created.returncode == 0 and "lagos-fibre created" in created.stdout
    again = run(env, "tenant", "create", "--name", "Dup", "--slug", "lagos-fibre")
    assert again.returncode == 1 and "error: a tenant with slug 'lagos-fibre'" in again.stderr
    bad_slug = run(env, "tenant", "create", "--name", "Bad", "--slug", "Bad Slug!")
    assert bad_slug.returncode == 1 and "error: slug must be" in bad_slug.stderr
    weak = run(env, "user", "create-admin", "--tenant", "lagos-fibre", "--email",
               "ops@lagos.example", "--password", "short")
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    ok = run(env, "user", "create-admin", "--tenant", "lagos-fibre", "--email",
             "ops@lagos.example", "--password", "a-strong-admin-pw")
    assert ok.returncode == 0 and "admin ops@lagos.example created" in ok.stdout
    missing = run(env, "user", "create-admin", "--tenant", "nowhere", "--email",
                  "x@y.example", "--password", "a-strong-admin-pw")
    assert missing.returncode == 1 and "no tenant with slug 'nowhere'" in missing.stderr


def test_demo_seed_is_idempotent(env: dict[str, str]) -> None:
    run(env, "db", "upgrade")
    first = run(env, "demo", "seed")
    assert first.returncode == 0 and "tenant" in first.stdout and DEMO_ADMIN_EMAIL in first.stdout
    second = run(env, "demo", "seed")
    assert second.returncode == 0 and "already present" in second.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_with_demo_data_starts_and_the_printed_login_works(env: dict[str, str]) -> None:
    port = _free_port()
    proc = subprocess.Popen([*_command(), "serve", "--demo", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # the demo seed runs first
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("serve did not become ready")
        login = httpx.post(f"{base}/api/v1/auth/login",
                           json={"email": DEMO_ADMIN_EMAIL, "password": DEMO_ADMIN_PASSWORD})
        assert login.status_code == 200
        assert httpx.get(f"{base}/admin/login").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    assert DEMO_ADMIN_EMAIL in output and DEMO_ADMIN_PASSWORD in output
