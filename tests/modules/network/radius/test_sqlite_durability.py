"""On SQLite an Accounting-Response is sent only after a commit that survives a power loss:
the connection that writes accounting syncs the log at every commit (synchronous = FULL)."""

from __future__ import annotations

import hashlib
import socket
import struct
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import accounting
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.sdks.radius import codec
from dotmac_isp.shared.db import Database, make_engine
from tests.modules.network.radius.support import (
    SECRET,
    radius_settings,
    running_server,
    seed_isp,
)

FULL, NORMAL = 2, 1


def _interim(session_id: str, username: str) -> bytes:
    attributes = b"".join(codec.encode_raw(kind, value) for kind, value in (
        (codec.ACCT_STATUS_TYPE, (3).to_bytes(4, "big")),
        (codec.USER_NAME, username.encode()),
        (codec.ACCT_SESSION_ID, session_id.encode()),
        (codec.ACCT_SESSION_TIME, (600).to_bytes(4, "big")),
        (codec.ACCT_INPUT_OCTETS, (123_456).to_bytes(4, "big")),
    ))
    header = struct.pack("!BBH", codec.ACCOUNTING_REQUEST, 9, 20 + len(attributes))
    authenticator = hashlib.md5(header + bytes(16) + attributes + SECRET.encode()).digest()
    return header + authenticator + attributes


def test_accounting_is_committed_with_synchronous_full_before_it_is_answered(
        radius_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    if radius_db.engine.dialect.name != "sqlite":
        pytest.skip("PRAGMA synchronous is SQLite's")
    isp = seed_isp(radius_db, settings)
    seen: list[Any] = []
    write_batch = accounting.write_batch

    def watched(session: Session, records: list[accounting.AcctRecord]) -> None:
        seen.append(session.connection().exec_driver_sql("PRAGMA synchronous").scalar())
        write_batch(session, records)

    monkeypatch.setattr(accounting, "write_batch", watched)
    with running_server(radius_settings(settings), radius_db) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(_interim("durable-1", "alice"), ("127.0.0.1", server.acct_port))
        reply = sock.recv(4096)
    assert reply[0] == codec.ACCOUNTING_RESPONSE
    assert seen == [FULL]
    with radius_db.unit_of_work(write=False) as session:
        row = session.execute(select(RadAcct.acctsessionid, RadAcct.acctinputoctets).where(
            RadAcct.tenant_id == isp.tenant.id)).one()
    assert tuple(row) == ("durable-1", 123_456)


def test_every_sqlite_connection_syncs_each_commit_unless_the_url_says_otherwise(
        tmp_path: Path) -> None:
    def synchronous(url: str) -> int:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())
        finally:
            engine.dispose()

    assert synchronous(f"sqlite:///{tmp_path / 'a.db'}") == FULL
    assert synchronous(f"sqlite:///{tmp_path / 'b.db'}?synchronous=normal") == NORMAL
    with pytest.raises(ValueError, match="synchronous"):
        make_engine(f"sqlite:///{tmp_path / 'c.db'}?synchronous=sometimes")
