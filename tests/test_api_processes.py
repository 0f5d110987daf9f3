"""Several API processes over one database: what a user does through one process holds on the
other (lockout, TOTP replay, token rotation, page sessions, settings and permissions). Two
real processes on loopback: `dotmac-isp serve` and a second API process built by the factory
`serve --workers` gives its workers, so each request's process is known."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import func, select

from dotmac_isp import wiring
from dotmac_isp.config import Settings
from dotmac_isp.jobs import registry
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.modules.identity import service
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow
from tests.support import serve_process as sp
from tests.support.factories import make_tenant, make_user
from tests.support.postgres import scratch_database
from tests.web.test_admin_pages import csrf_of

pytestmark = pytest.mark.slow
LOCKOUT_THRESHOLD = 4


@dataclass
class Pair:
    a: str  # base URL of each process
    b: str
    database: Database
    settings: Settings
    tenant_id: uuid.UUID
    admin_headers: dict[str, str]

    def staff(self, role: str = "admin") -> tuple[str, str]:
        """A new staff user of the tenant: (email, password)."""
        with self.database.unit_of_work() as session:
            tenant = service.get_tenant(session, self.tenant_id)
            user = make_user(session, self.settings, tenant, role)
            return user.user.email, user.password


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               _postgres: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('processes') / 'shared.db'}"
        return
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with scratch_database(server) as url:
        yield url


def login(base: str, email: str, password: str, **extra: str) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/auth/login",
                      json={"email": email, "password": password, **extra}, timeout=30)


def bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def pair(shared_url: str, settings: Settings,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    logs = tmp_path_factory.mktemp("process-logs")
    env = sp.server_env(shared_url, DOTMAC_AUTH__LOCKOUT_THRESHOLD=str(LOCKOUT_THRESHOLD))
    port_a, port_b = sp.free_port(), sp.free_port()
    with sp.running([*sp.dotmac_command(), "serve", "--no-radius", "--port", str(port_a)],
                    env, port_a, logs / "a.log") as a:  # migrates the database first
        wiring.install()
        database = Database.from_url(shared_url)
        with database.unit_of_work() as session:
            tenant = make_tenant(session)
            admin = make_user(session, settings, tenant, "admin")
            email, password, tenant_id = admin.user.email, admin.password, tenant.id
        with sp.running(sp.worker_command(port_b), env, port_b, logs / "b.log") as b:
            yield Pair(a.url, b.url, database, settings, tenant_id,
                       bearer(login(a.url, email, password)))
        database.dispose()


def test_failed_logins_spread_over_both_processes_lock_the_account(pair: Pair) -> None:
    email, password = pair.staff()
    for attempt in range(LOCKOUT_THRESHOLD):
        base = (pair.a, pair.b)[attempt % 2]
        assert login(base, email, "wrong-password-000").status_code == 401
    # each process saw only half of the failures: a per-process counter would not lock
    assert login(pair.a, email, password).status_code == 423
    assert login(pair.b, email, password).status_code == 423


def test_a_totp_code_used_on_one_process_is_refused_on_the_other(pair: Pair) -> None:
    email, password = pair.staff()
    headers = bearer(login(pair.a, email, password))
    setup = httpx.post(f"{pair.a}/api/v1/auth/totp/setup", headers=headers, timeout=30)
    totp = pyotp.TOTP(setup.json()["secret"])
    step = totp.timecode(utcnow())
    # the secret set up on A is enabled on B
    enabled = httpx.post(f"{pair.b}/api/v1/auth/totp/enable", headers=headers,
                         json={"code": totp.generate_otp(step)}, timeout=30)
    assert enabled.status_code == 204, enabled.text
    code = totp.generate_otp(step + 1)  # a later step than the one enabling used
    assert login(pair.a, email, password, totp_code=code).status_code == 200
    replay = login(pair.b, email, password, totp_code=code)
    assert replay.status_code == 401 and "invalid authentication code" in replay.text


def test_a_refresh_token_rotated_on_one_process_is_dead_on_the_other(pair: Pair) -> None:
    email, password = pair.staff()
    first = login(pair.a, email, password).json()["refresh_token"]
    rotated = httpx.post(f"{pair.b}/api/v1/auth/refresh", json={"refresh_token": first},
                         timeout=30)
    assert rotated.status_code == 200
    reused = httpx.post(f"{pair.a}/api/v1/auth/refresh", json={"refresh_token": first},
                        timeout=30)
    assert reused.status_code == 401
    # the reuse revoked the whole login, including the token B handed out
    again = httpx.post(f"{pair.b}/api/v1/auth/refresh",
                       json={"refresh_token": rotated.json()["refresh_token"]}, timeout=30)
    assert again.status_code == 401


def test_settings_and_permissions_changed_through_one_process_hold_on_the_other(
        pair: Pair) -> None:
    changed = httpx.patch(f"{pair.a}/api/v1/billing/settings", headers=pair.admin_headers,
                          json={"payment_terms_days": 21}, timeout=30)
    assert changed.status_code == 200, changed.text
    seen = httpx.get(f"{pair.b}/api/v1/billing/settings", headers=pair.admin_headers,
                     timeout=30)
    assert seen.json()["payment_terms_days"] == 21

    role = httpx.post(f"{pair.a}/api/v1/roles", headers=pair.admin_headers, timeout=30,
                      json={"name": f"desk-{uuid.uuid4().hex[:6]}",
                            "permissions": ["tenant:read", "customers:read"]}).json()
    email = f"desk-{uuid.uuid4().hex[:6]}@desk.example"
    user = httpx.post(f"{pair.a}/api/v1/users", headers=pair.admin_headers, timeout=30,
                      json={"email": email, "password": "a-desk-password-1",
                            "role_id": role["id"]}).json()
    desk = bearer(login(pair.b, email, "a-desk-password-1"))
    assert httpx.get(f"{pair.b}/api/v1/customers", headers=desk, timeout=30).status_code == 200
    narrowed = httpx.patch(f"{pair.a}/api/v1/roles/{role['id']}", headers=pair.admin_headers,
                           json={"permissions": ["tenant:read"]}, timeout=30)
    assert narrowed.status_code == 200
    assert httpx.get(f"{pair.b}/api/v1/customers", headers=desk, timeout=30).status_code == 403
    disabled = httpx.patch(f"{pair.a}/api/v1/users/{user['id']}", headers=pair.admin_headers,
                           json={"is_active": False}, timeout=30)
    assert disabled.status_code == 200
    assert httpx.get(f"{pair.b}/api/v1/tenant", headers=desk, timeout=30).status_code == 401


def test_a_page_session_and_its_csrf_token_work_on_either_process(pair: Pair) -> None:
    email, password = pair.staff()
    # one browser: the same cookie goes to both processes (cookies ignore the port)
    with httpx.Client(timeout=30) as browser:
        token = csrf_of(browser.get(f"{pair.a}/admin/login").text)
        signed_in = browser.post(f"{pair.b}/admin/login", data={
            "csrf_token": token, "email": email, "password": password, "next": "/admin"})
        assert signed_in.status_code == 303, signed_in.text
        assert browser.get(f"{pair.a}/admin").status_code == 200
        page_token = csrf_of(browser.get(f"{pair.b}/admin").text)
        kept = dict(browser.cookies)
        out = browser.post(f"{pair.a}/admin/logout", data={"csrf_token": page_token})
        assert out.status_code == 303
    with httpx.Client(timeout=30, cookies=kept) as replay:  # the cookie copied before sign-out
        ended = replay.get(f"{pair.b}/admin")
        assert ended.status_code == 303 and "/admin/login" in ended.headers["location"]


def test_serve_with_two_workers_runs_jobs_and_radius_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    auth_port, acct_port, port = sp.free_udp_port(), sp.free_udp_port(), sp.free_port()
    env = sp.server_env(url, DOTMAC_RADIUS__AUTH_PORT=str(auth_port),
                        DOTMAC_RADIUS__ACCT_PORT=str(acct_port))
    command = [*sp.dotmac_command(), "serve", "--workers", "2", "--port", str(port)]
    with sp.running(command, env, port, tmp_path / "serve.log") as server:
        workers = wait_for(lambda: len(sp.api_workers(server.pid)) == 2
                           and server.output().count("Application startup complete") == 2,
                           lambda: sp.api_workers(server.pid))
        assert len(set(workers)) == 2 and server.pid not in workers
        # RADIUS listens in the supervising process only
        assert sp.udp_port_owners(auth_port, [server.pid, *workers]) == [server.pid]
        wiring.install()
        database = Database.from_url(url)
        try:
            counts = wait_for_first_cycle(database)
        finally:
            database.dispose()
        # jobs due once a minute or less often ran once, not once per process
        assert counts and all(n == 1 for n in counts.values()), counts
        for _ in range(10):  # fresh connections, served by whichever worker accepts
            assert httpx.get(f"{server.url}/api/v1/customers", timeout=30).status_code == 401
        # a request is counted as it ends, after its response: wait for the tenth, then
        # every scrape counts all ten, whichever worker answers it, and shows the jobs the
        # supervising process ran (from its snapshot)
        series = 'dotmac_http_requests_total{method="GET",route="/api/v1/customers",status="401"}'

        def all_counted() -> bool:
            """ten requests and the supervisor's job runs on /metrics"""
            text = scrape(server.url)
            return f"{series} 10.0" in text and "dotmac_job_runs_total{" in text

        wait_for(all_counted, lambda: None, seconds=60)
        for _ in range(6):
            text = scrape(server.url)
            assert f"{series} 10.0" in text and "dotmac_job_runs_total{" in text
    assert server.proc.returncode == 0, server.output()[-2000:]
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def scrape(base: str) -> str:
    return httpx.get(f"{base}/metrics", timeout=30).text


def wait_for(ready: Any, value: Any, seconds: float = 120) -> Any:
    """value() once ready() holds; fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"still not so after {seconds:.0f}s: {ready.__doc__ or ready}")
        time.sleep(0.2)
    return value()


def wait_for_first_cycle(database: Database) -> dict[str, int]:
    """Run counts of the jobs due every five minutes or less often, once the scheduler has
    run each periodic job once, and after as long again as that first cycle took (a second
    scheduler, started with a worker, would have run its own first cycle by then)."""
    periodic = {s.name for s in registry.all_jobs() if s.every is not None}
    slow = {s.name for s in registry.all_jobs() if s.every and s.every >= timedelta(minutes=5)}
    query = select(JobRun.job, func.count(), func.min(JobRun.started_at),
                   func.min(JobRun.finished_at)).group_by(JobRun.job)

    def runs() -> dict[str, tuple[int, datetime, datetime]]:
        with database.unit_of_work(write=False) as session:
            return {job: (n, start, end) for job, n, start, end in session.execute(query)}

    wait_for(lambda: periodic <= set(runs()), lambda: None, seconds=300)
    first = runs()
    cycle = max(end for _, _, end in first.values()) - min(s for _, s, _ in first.values())
    time.sleep(cycle.total_seconds() + 2)
    return {job: n for job, (n, _, _) in runs().items() if job in slow}
