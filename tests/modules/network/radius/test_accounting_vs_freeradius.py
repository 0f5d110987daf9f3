"""The same Accounting-Requests, in the same order, to our server and to FreeRADIUS + rlm_sql
with its default queries: radacct compared column by column, session by session.

On PostgreSQL the reference is FreeRADIUS's PostgreSQL queries (rlm_sql_postgresql); on
SQLite, its SQLite queries (rlm_sql_sqlite). Where we differ on purpose, acct_scenarios.py says
so with the reason; any other difference, or a documented one that is gone, fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.acct_scenarios import SCENARIOS, Scenario
from tests.modules.network.radius.freeradius_sql import (
    COMPARED,
    SqlReference,
    normalise,
    session_id,
    sql_reference,
)
from tests.modules.network.radius.support import (
    radclient,
    radius_settings,
    require_radclient,
    running_server,
    seed_isp,
)
from tests.support.freeradius import require_freeradius


@pytest.fixture(scope="module")
def reference(radius_url: str, _postgres: Any,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlReference]:
    """One FreeRADIUS for the module (per database), on a radacct of its own."""
    require_radclient()
    require_freeradius("sql")
    dialect = "sqlite" if radius_url.startswith("sqlite") else "postgresql"
    if not Path("/usr/lib/freeradius", f"rlm_sql_{dialect}.so").exists():
        package = "freeradius-postgresql" if dialect == "postgresql" else "freeradius"
        pytest.skip(f"FreeRADIUS driver rlm_sql_{dialect} is not installed (Debian package "
                    f"{package})")
    server, reason = _postgres
    if dialect == "postgresql" and server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with sql_reference(tmp_path_factory.mktemp("freeradius-sql"), dialect, server) as ref:
        yield ref


def _packets(scenario: Scenario, ids: dict[str, str], nas_ip: str,
             base: int) -> list[dict[str, Any]]:
    packets = []
    for status, letter, offset, extra in scenario.packets:
        packet: dict[str, Any] = {"Acct-Status-Type": status, "NAS-IP-Address": nas_ip,
                                  "Event-Timestamp": base + offset}
        if letter:
            packet.update({"User-Name": f"user-{letter.lower()}", "Acct-Session-Id": ids[letter],
                           "NAS-Port-Id": f"ether1-{letter}", "NAS-Port-Type": "Ethernet",
                           "Calling-Station-Id": f"aa:bb:cc:00:00:0{ord(letter) - 64}",
                           "Framed-IP-Address": f"100.64.0.{ord(letter) - 64}"})
        packet.update(extra)
        packets.append(packet)
    return packets


def _ours(database: Database, tenant_id: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    with database.unit_of_work(write=False) as session:
        rows = session.scalars(select(RadAcct).where(RadAcct.tenant_id == tenant_id,
                                                     RadAcct.acctsessionid.in_(ids)))
        return {r.acctsessionid: {c: normalise(getattr(r, c)) for c in COMPARED} for r in rows}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_radacct_matches_freeradius_sql(scenario: Scenario, reference: SqlReference,
                                        radius_db: Database, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings)
    letters = sorted({letter for _s, letter, _t, _a in scenario.packets if letter})
    ids = {letter: session_id(f"{scenario.name}-{letter}") for letter in letters}
    # a NAS address of the scenario's own: Accounting-On closes only its sessions
    nas_ip = f"10.{SCENARIOS.index(scenario) + 1}.{int(time.time()) % 250}.1"
    packets = _packets(scenario, ids, nas_ip, int(time.time()) - 3600)
    with running_server(radius_settings(settings), radius_db) as server:
        answered = radclient(server.acct_port, "acct", packets, parallel=1)
    # One radclient run per packet: FreeRADIUS leaves a request unanswered when none of its
    # queries changed a row (a late Interim after the Stop), and radclient sends nothing
    # after a request that timed out. We answer it: the request was handled, nothing to store.
    for packet in packets:
        radclient(reference.acct_port, "acct", [packet], parallel=1, wait=1, retries=1)
    assert [r.code for r in answered] == ["Accounting-Response"] * len(packets)

    ours = _ours(radius_db, isp.tenant.id, list(ids.values()))
    theirs = reference.sessions(list(ids.values()))
    assert sorted(ours) == sorted(theirs) == sorted(ids.values())
    found = {(letter, column): (ours[sid][column], theirs[sid][column])
             for letter, sid in ids.items() for column in COMPARED
             if ours[sid][column] != theirs[sid][column]}
    expected = scenario.differs.get(reference.dialect, {})
    assert set(found) == set(expected), (
        f"ours vs FreeRADIUS ({reference.dialect}): {found}; documented: {sorted(expected)}")
