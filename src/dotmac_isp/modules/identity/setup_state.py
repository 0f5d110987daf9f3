"""Whether this installation still needs its first-run setup (no tenant yet).

Once a tenant exists the answer never changes back, so a process remembers it and stops asking
the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.modules.identity.models import Tenant


def is_empty(session: Session) -> bool:
    """No tenant at all: nobody could sign in."""
    return session.scalar(select(Tenant.id).limit(1)) is None


def setup_pending(state: Any, session: Session) -> bool:
    """is_empty, remembered on the app's state once it is False."""
    if getattr(state, "setup_done", False):
        return False
    if is_empty(session):
        return True
    state.setup_done = True
    return False
