"""The real freeradius daemon with our shipped rlm_rest configuration, in front of our API on
a live HTTP server: radclient -> FreeRADIUS -> /api/v1/radius/rest/* -> the database."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import schemas as identity_schemas
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.identity.auth import principal_for_user
from dotmac_isp.modules.network.radius.models import RadAcct, RadPostAuth
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import SECRET, radclient, seed_isp
from tests.support.factories import make_user
from tests.support.freeradius import (
    SHIPPED,
    FreeRadius,
    enable_module,
    enable_site,
    free_udp_port,
    prepare_raddb,
    require_freeradius,
    running,
    with_ports,
)
from tests.support.live_server import live_server


def _api_key(database: Database, settings: Settings, isp_tenant: object) -> str:
    with database.unit_of_work() as session:
        staff = make_user(session, settings, isp_tenant, "network_engineer")  # type: ignore[arg-type]
        _key, raw = identity_service.create_api_key(
            session, principal_for_user(staff.user),
            identity_schemas.ApiKeyCreate(name="freeradius", scopes=["network:write"]))
    return raw


def _wait_rows(database: Database, model: type, tenant_id: object, count: int) -> list:
    deadline = time.monotonic() + 10
    rows: list = []
    while time.monotonic() < deadline:
        with database.unit_of_work(write=False) as session:
            rows = list(session.scalars(select(model).where(
                model.tenant_id == tenant_id)))  # type: ignore[attr-defined]
        if len(rows) >= count:
            break
        time.sleep(0.1)
    return rows


def test_freeradius_authenticates_and_accounts_through_our_rest_endpoints(
        settings: Settings, tmp_path: Path) -> None:
    require_freeradius("rest")
    with live_server(settings, tmp_path) as live:
        isp = seed_isp(live.database, settings)
        key = _api_key(live.database, settings, isp.tenant)
        raddb = prepare_raddb(tmp_path, SECRET)
        enable_module(raddb, SHIPPED / "mods-available" / "dotmac")
        auth_port, acct_port = free_udp_port(), free_udp_port()
        enable_site(raddb, with_ports((SHIPPED / "sites-available" / "dotmac").read_text(),
                                      auth_port, acct_port), "dotmac")
        env = {"DOTMAC_RADIUS_REST_URL": f"{live.url}/api/v1/radius/rest",
               "DOTMAC_RADIUS_API_KEY": key}
        with running(FreeRadius(raddb, auth_port, acct_port, SECRET), env) as freeradius:
            auth = radclient(freeradius.auth_port, "auth", [
                {"User-Name": "alice", "User-Password": isp.passwords["alice"],
                 "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": "aa:bb:cc:00:00:07"},
                {"User-Name": "alice", "CHAP-Password": isp.passwords["alice"],
                 "NAS-IP-Address": "127.0.0.1"},
                {"User-Name": "alice", "User-Password": "wrong-password",
                 "NAS-IP-Address": "127.0.0.1"},
                {"User-Name": "tom", "User-Password": isp.passwords["tom"],
                 "NAS-IP-Address": "127.0.0.1"},
                {"User-Name": "sam", "User-Password": isp.passwords["sam"],
                 "NAS-IP-Address": "127.0.0.1"},
            ], parallel=1, wait=5)
            acct = radclient(freeradius.acct_port, "acct", [
                {"Acct-Status-Type": "Start", "User-Name": "alice", "Acct-Session-Id": "FR-1",
                 "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "100.64.1.1"},
                {"Acct-Status-Type": "Interim-Update", "User-Name": "alice",
                 "Acct-Session-Id": "FR-1", "NAS-IP-Address": "127.0.0.1",
                 "Acct-Session-Time": 60, "Acct-Input-Octets": 100,
                 "Acct-Input-Gigawords": 1},
                {"Acct-Status-Type": "Stop", "User-Name": "alice", "Acct-Session-Id": "FR-1",
                 "NAS-IP-Address": "127.0.0.1", "Acct-Session-Time": 120,
                 "Acct-Input-Octets": 200, "Acct-Input-Gigawords": 1,
                 "Acct-Terminate-Cause": "User-Request"},
            ], parallel=1, wait=5)
            log = freeradius.log()
        assert [r.code for r in auth] == ["Access-Accept", "Access-Accept", "Access-Reject",
                                          "Access-Reject", "Access-Accept"], log[-3000:]
        assert auth[0].first("Mikrotik-Rate-Limit") == \
            "10000k/50000k 20000k/80000k 8000k/40000k 16/16"
        assert auth[0].first("Session-Timeout") == "86400"
        assert auth[3].first("Reply-Message") == "Subscription terminated"
        assert auth[4].first("Mikrotik-Address-List") == "walled-garden"
        assert [r.code for r in acct] == ["Accounting-Response"] * 3
        [row] = _wait_rows(live.database, RadAcct, isp.tenant.id, 1)
        assert row.acctstoptime is not None and row.acctterminatecause == "User-Request"
        assert row.acctinputoctets == 2**32 + 200 and row.acctsessiontime == 120
        assert row.subscription_id == isp.subs["alice"].id
        assert row.framedipaddress == "100.64.1.1"
        logged = _wait_rows(live.database, RadPostAuth, isp.tenant.id, 5)
        replies = sorted((r.username, r.reply) for r in logged)
        assert replies == [("alice", "Access-Accept"), ("alice", "Access-Accept"),
                           ("alice", "Access-Reject"), ("sam", "Access-Accept"),
                           ("tom", "Access-Reject")]
