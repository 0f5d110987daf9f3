"""The dotmac-isp command, run as an operator would, on a fresh SQLite file."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from dotmac_isp import wiring
from dotmac_isp.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
from dotmac_isp.modules.customers import schemas as customer_schemas
from dotmac_isp.modules.customers import service as customers_service
from dotmac_isp.modules.services import catalogue
from dotmac_isp.modules.services import schemas as service_schemas
from dotmac_isp.shared.db import Database


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


def test_import_subscriptions_and_opening_balances(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "tenant", "create", "--name", "Mover", "--slug", "mover").returncode == 0
    engine = create_engine(env["DOTMAC_DATABASE_URL"])
    with engine.begin() as conn:
        tenant_id = conn.execute(text("select id from tenants where slug = 'mover'")).scalar()
    engine.dispose()
    wiring.install()
    database = Database.from_url(env["DOTMAC_DATABASE_URL"])
    tid = uuid.UUID(str(tenant_id))
    with database.unit_of_work() as session:
        customers_service.create_customer(session, tid, customer_schemas.CustomerCreate(
            first_name="Ada", last_name="Obi", email="ada@mover.example"))
        catalogue.create_plan(session, tid, service_schemas.PlanCreate(
            name="Fibre 30", kind="internet", download_kbps=30_000, upload_kbps=10_000,
            price="30.00"))  # type: ignore[arg-type]
    database.dispose()
    subs = tmp_path / "subs.csv"
    subs.write_text("customer,plan,radius_username,started_on,next_billing_on\n"
                    "ada@mover.example,Fibre 30,ada,2024-05-10,2025-06-01\n"
                    "C000099,Fibre 30,nobody,2024-05-10,2025-06-01\n")
    dry = run(env, "import", "subscriptions", str(subs), "--tenant", "mover", "--dry-run")
    assert dry.returncode == 2, dry.stderr
    assert "1 would be created (dry run), 0 already imported, 1 with errors" in dry.stdout
    assert "line 3: error: customer: no customer with number C000099" in dry.stderr
    real = run(env, "import", "subscriptions", str(subs), "--tenant", "mover")
    assert "1 created" in real.stdout
    again = run(env, "import", "subscriptions", str(subs), "--tenant", "mover")
    assert "0 created, 1 already imported" in again.stdout
    balances = tmp_path / "balances.csv"
    balances.write_text("customer,amount,as_of,reference\nC000001,45.00,2025-05-31,OB-1\n")
    ok = run(env, "import", "opening-balances", str(balances), "--tenant", "mover")
    assert ok.returncode == 0 and "1 created" in ok.stdout, ok.stderr
    nowhere = run(env, "import", "opening-balances", str(balances), "--tenant", "nowhere")
    assert nowhere.returncode == 1 and "no tenant with slug 'nowhere'" in nowhere.stderr
