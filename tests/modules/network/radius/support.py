"""Test kit for the RADIUS server: a seeded ISP, the server on loopback, radclient."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dotmac_isp.config import RadiusSettings, Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas
from dotmac_isp.modules.network.radius.runner import RadiusThread
from dotmac_isp.modules.network.radius.server import RadiusServer
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.db import Database
from tests.support.customers import make_plan, make_subscription
from tests.support.factories import make_tenant

SECRET = "testing-secret-123"
S = SubscriptionStatus


@dataclass
class Isp:
    tenant: Tenant
    nas_id: uuid.UUID
    plan: Plan
    subs: dict[str, Subscription] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)


def radius_settings(settings: Settings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"host": "127.0.0.1", "auth_port": 0, "acct_port": 0,
                              "refresh_seconds": 0.2, "acct_batch_ms": 2.0,
                              "use_uvloop": False}
    values.update(overrides)
    return settings.model_copy(update={"radius": RadiusSettings(**values)})


def seed_isp(database: Database, settings: Settings, *, vendor: str = "mikrotik",
             address: str = "127.0.0.1", require_ma: bool = False,
             statuses: dict[str, SubscriptionStatus] | None = None,
             plan: dict[str, Any] | None = None) -> Isp:
    """A tenant with a NAS on loopback, a plan with burst, and one subscriber per status."""
    statuses = statuses or {"alice": S.ACTIVE, "sam": S.SUSPENDED, "tom": S.TERMINATED,
                            "pat": S.PENDING}
    with database.unit_of_work() as session:
        tenant = make_tenant(session)
        nas, _secret = nas_service.create_nas(session, settings, tenant.id, schemas.NasCreate(
            name="bng-1", address=address, secret=SECRET, vendor=vendor,  # type: ignore[arg-type]
            require_message_authenticator=require_ma))
        plan_values: dict[str, Any] = {
            "download_kbps": 50_000, "upload_kbps": 10_000, "burst_download_kbps": 80_000,
            "burst_upload_kbps": 20_000, "burst_threshold_download_kbps": 40_000,
            "burst_threshold_upload_kbps": 8_000, "burst_time_seconds": 16,
            "session_timeout_seconds": 86_400, "interim_interval_seconds": 300,
            "price": Decimal("30.00")}
        plan_values.update(plan or {})
        plan_obj = make_plan(session, tenant, **plan_values)
        isp = Isp(tenant, nas.id, plan_obj)
        for name, status in statuses.items():
            password = f"pw-{name}-{uuid.uuid4().hex[:6]}"
            isp.subs[name] = make_subscription(session, settings, tenant, plan=plan_obj,
                                               status=status, radius_username=name,
                                               radius_password=password)
            isp.passwords[name] = password
    return isp


@contextmanager
def running_server(settings: Settings, database: Database) -> Iterator[RadiusServer]:
    thread = RadiusThread(settings, database).start()
    assert thread.server is not None
    try:
        yield thread.server
    finally:
        thread.stop()


def require_radclient() -> str:
    path = shutil.which("radclient")
    if path is None:
        pytest.skip("radclient is not installed (Debian package freeradius-utils)")
    return path


@dataclass
class Reply:
    code: str
    attributes: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        values = self.attributes.get(name)
        return values[0] if values else None


_RECEIVED = re.compile(r"^Received (\S+) Id (\d+) ")
_ATTR = re.compile(r"^\s+(\S+) = (.*)$")


def radclient(port: int, kind: str, requests: list[dict[str, Any]], *, secret: str = SECRET,
              parallel: int = 20, timeout: float = 60, retries: int = 1,
              wait: float = 3) -> list[Reply]:
    """Send requests with radclient (one block per request) and parse what came back, in
    the order radclient printed it."""
    require_radclient()
    with tempfile.NamedTemporaryFile("w", suffix=".rad", delete=False) as handle:
        for request in requests:
            for name, value in request.items():
                handle.write(f"{name} = {_quote(value)}\n")
            handle.write("\n")
        path = Path(handle.name)
    try:
        done = subprocess.run(
            ["timeout", str(timeout), "radclient", "-x", "-f", str(path), "-p", str(parallel),
             "-t", str(wait), "-r", str(retries), f"127.0.0.1:{port}", kind, secret],
            capture_output=True, text=True, check=False)
    finally:
        path.unlink(missing_ok=True)
    return parse_replies(done.stdout)


def _quote(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if text.startswith("0x") else '"' + text.replace('"', '\\"') + '"'


def parse_replies(output: str) -> list[Reply]:
    replies: list[Reply] = []
    current: Reply | None = None
    for line in output.splitlines():
        match = _RECEIVED.match(line)
        if match:
            current = Reply(match.group(1), {})
            replies.append(current)
            continue
        if not line.startswith(("\t", " ")):
            current = None  # "Sent ..." and the like: what follows is not a reply
            continue
        attr = _ATTR.match(line)
        if attr and current is not None:
            current.attributes.setdefault(attr.group(1), []).append(
                attr.group(2).strip().strip('"'))
    return replies
