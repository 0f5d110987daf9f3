"""The CoA job goes on past a request it cannot handle: the others are still sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.network.radius import coa, tasks
from tests.conftest import RollbackDatabase


def test_one_request_that_raises_does_not_stop_the_others(
        db: RollbackDatabase, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    broken, fine = uuid.uuid4(), uuid.uuid4()
    sent: list[uuid.UUID] = []
    monkeypatch.setattr(coa, "due_ids", lambda session, now: [broken, fine])

    def deliver(database: Any, settings: Settings, request_id: uuid.UUID,
                now: datetime) -> str:
        if request_id == broken:
            raise KeyError("dictionary attribute missing")
        sent.append(request_id)
        return "acked"

    monkeypatch.setattr(coa, "deliver", deliver)
    summary = tasks.deliver_coa(JobContext(db, settings))  # type: ignore[arg-type]
    assert summary == "1 acked, 1 error" and sent == [fine]
