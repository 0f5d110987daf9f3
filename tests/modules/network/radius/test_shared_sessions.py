"""Simultaneous use across RADIUS processes: a session one server stored counts at the other,
because the servers poll open sessions from radacct, not only what they saw themselves."""

from __future__ import annotations

import time
from typing import Any

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.server import RadiusServer
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import (
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)

ONLINE = "Already online (simultaneous-use limit)"


def _until(server: RadiusServer, login: dict[str, Any], code: str,
           seconds: float = 15) -> list[tuple[str, str | None]]:
    """Ask until the answer is `code` (the other server polls every 0.2 s); every answer."""
    answers: list[tuple[str, str | None]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        replies = radclient(server.auth_port, "auth", [login])
        answers += [(r.code, r.first("Reply-Message")) for r in replies]
        if answers and answers[-1][0] == code:
            return answers
        time.sleep(0.1)
    return answers


def test_a_session_stored_by_one_process_counts_at_another(
        radius_db: Database, settings: Settings) -> None:
    require_radclient()
    isp = seed_isp(radius_db, settings)
    login = {"User-Name": "alice", "User-Password": isp.passwords["alice"],
             "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": "bb:bb:bb:00:00:02"}
    session = {"User-Name": "alice", "Acct-Session-Id": "ONLINE-1",
               "NAS-IP-Address": "127.0.0.1", "Calling-Station-Id": "aa:aa:aa:00:00:01"}
    shared = radius_settings(settings, processes=2)
    with running_server(shared, radius_db) as one, running_server(shared, radius_db) as two:
        assert one.shared_sessions and two.shared_sessions
        assert [r.code for r in radclient(two.auth_port, "auth", [login])] == ["Access-Accept"]

        started = radclient(one.acct_port, "acct", [{**session, "Acct-Status-Type": "Start"}])
        assert [r.code for r in started] == ["Accounting-Response"]
        assert _until(two, login, "Access-Reject")[-1] == ("Access-Reject", ONLINE)

        stopped = radclient(one.acct_port, "acct", [{**session, "Acct-Status-Type": "Stop"}])
        assert [r.code for r in stopped] == ["Accounting-Response"]
        assert _until(two, login, "Access-Accept")[-1][0] == "Access-Accept"
