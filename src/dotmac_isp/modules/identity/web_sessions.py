"""Server-side records of page sessions (staff pages and the customer portal).

The session cookie is signed but would stay valid until it expires; the row it names lets
sign-out end it for good. Services flush; the request's unit of work commits.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import WebSession
from dotmac_isp.shared.types import utcnow

LIFETIME = timedelta(hours=12)  # the cookie's max age too
STAFF = "staff"
PORTAL = "portal"


def start(session: Session, tenant_id: uuid.UUID, kind: str, subject_id: uuid.UUID) -> str:
    """Record a new session and return its id, for the cookie."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.subject_id == subject_id,
                                             WebSession.expires_at < now))
    record = WebSession(tenant_id=tenant_id, kind=kind, subject_id=subject_id, created_at=now,
                        expires_at=now + LIFETIME)
    session.add(record)
    session.flush()
    return str(record.id)


def _find(session: Session, sid: object) -> WebSession | None:
    try:
        return session.get(WebSession, uuid.UUID(str(sid)))
    except ValueError:
        return None


def is_live(session: Session, sid: object, kind: str, subject_id: uuid.UUID) -> bool:
    """Whether the cookie's session is still open for this user or account."""
    record = _find(session, sid) if sid else None
    return (record is not None and record.kind == kind and record.subject_id == subject_id
            and record.ended_at is None and record.expires_at > utcnow())


def end(session: Session, sid: object) -> None:
    """End the session (sign-out); unknown ids are ignored."""
    record = _find(session, sid) if sid else None
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
        session.flush()
