"""Queued CoA requests for the delivery tests, written straight into the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import SECRET
from tests.support.factories import make_tenant


@dataclass(frozen=True)
class Outbox:
    database: Database
    tenant_id: uuid.UUID
    nas_id: uuid.UUID

    def queue(self, port: int, count: int, prefix: str, due: datetime,
              attributes: list[list[str]] | None = None) -> list[str]:
        """Queue `count` disconnects to 127.0.0.1:port, due at `due` in the order given;
        returns their Acct-Session-Ids."""
        session_ids = [f"{prefix}-{n:04d}" for n in range(count)]
        rows = [{"id": uuid.uuid4(), "tenant_id": self.tenant_id, "nas_id": self.nas_id,
                 "username": f"user-{sid}", "acctsessionid": sid,
                 "target_address": "127.0.0.1", "target_port": port, "kind": "disconnect",
                 "reason": "suspended", "attributes": attributes or [
                     ["User-Name", f"user-{sid}"], ["Acct-Session-Id", sid]],
                 "state": "pending", "attempts": 0,
                 "next_attempt_at": due + timedelta(microseconds=n), "requested_by": "system",
                 "created_at": due} for n, sid in enumerate(session_ids)]
        with self.database.unit_of_work() as session:
            session.execute(insert(CoaRequest), rows)
        return session_ids

    def rows(self) -> dict[str, CoaRequest]:
        with self.database.unit_of_work(write=False) as session:
            return {row.acctsessionid: row for row in session.scalars(
                select(CoaRequest).where(CoaRequest.tenant_id == self.tenant_id))}


@contextmanager
def outbox_of(radius_db: Database, settings: Settings) -> Iterator[Outbox]:
    """A tenant with a NAS on loopback and an outbox that holds only this test's requests."""
    with radius_db.unit_of_work() as session:
        session.execute(delete(CoaRequest))
        tenant = make_tenant(session)
        nas, _secret = nas_service.create_nas(session, settings, tenant.id, schemas.NasCreate(
            name="bng-1", address="127.0.0.1", secret=SECRET, vendor="mikrotik"))  # type: ignore[arg-type]
        box = Outbox(radius_db, tenant.id, nas.id)
    try:
        yield box
    finally:
        with radius_db.unit_of_work() as session:
            session.execute(delete(CoaRequest))
