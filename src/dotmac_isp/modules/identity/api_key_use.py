"""When an API key was last used: recorded after the response, in its own short transaction.

Writing it inside the request would turn every read request into a writer, and on SQLite a
read transaction that starts writing while another writer holds the lock fails at once with
"database is locked". So the request only decides whether the time is due (at most one write
a minute per key) and the write runs after the response; if it fails, the request has already
succeeded and the failure is logged.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import ApiKey
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.enums import ActorType
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)
RECORD_EVERY = timedelta(minutes=1)


def use_to_record(session: Session, principal: Principal) -> datetime | None:
    """The time to record for the principal's API key, or None when it was recorded lately."""
    if principal.actor_type is not ActorType.API_KEY:
        return None
    key = session.get(ApiKey, principal.actor_id)  # loaded while authenticating: no query
    now = utcnow()
    if key is None or (key.last_used_at is not None and now - key.last_used_at < RECORD_EVERY):
        return None
    return now


def record_use(database: Any, key_id: uuid.UUID, when: datetime) -> None:
    """Store the last-used time (unless another request stored a recent one); never raises."""
    try:
        with database.unit_of_work() as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id,
                       or_(ApiKey.last_used_at.is_(None),
                           ApiKey.last_used_at < when - RECORD_EVERY))
                .values(last_used_at=when)
                .execution_options(synchronize_session=False)
            )
    except SQLAlchemyError as exc:
        log.warning("API key last use not recorded", extra={"key_id": str(key_id),
                                                            "reason": str(exc)[:200]})
