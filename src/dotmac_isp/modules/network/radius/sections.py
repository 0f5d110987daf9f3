"""Parts of the RADIUS server's memory that other domains keep (hotspot vouchers).

A section is loaded with the subscribers and refreshed from the same policy-change log (its
own change kinds), is asked about a User-Name no subscriber has, and says which user names
it knows so their open sessions are counted. Accounting hooks run inside the transaction
that stores each accounting batch, UDP or rlm_rest alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from dotmac_isp.modules.network.radius.accounting import AcctRecord
    from dotmac_isp.modules.network.radius.authn import AuthOutcome
    from dotmac_isp.modules.network.radius.cache import PolicyCache
    from dotmac_isp.modules.network.radius.store import Change, NasEntry
    from dotmac_isp.sdks.radius.codec import Request


class CacheSection(Protocol):
    name: str

    def load_all(self, session: Session, now: datetime) -> Any:
        """Everything the section serves (worker thread)."""

    def load_changed(self, session: Session, changes: list[Change], now: datetime) -> Any:
        """What the given change rows changed, or None when none is the section's."""

    def apply(self, found: Any, full: bool) -> None:
        """Take what a load found (event loop)."""

    def knows(self, tenant_id: uuid.UUID, username: str) -> bool:
        """Whether the (lower-cased) user name is one of the section's."""

    def authenticate(self, request: Request, nas: NasEntry,
                     username: str) -> AuthOutcome | None:
        """The answer for a User-Name no subscriber has; None when it is not the section's."""


SectionFactory = Callable[["PolicyCache"], CacheSection]
AccountingHook = Callable[[Session, "list[AcctRecord]"], None]
_sections: dict[str, SectionFactory] = {}
_accounting: dict[str, AccountingHook] = {}


def register(name: str, factory: SectionFactory) -> None:
    """Give every RADIUS server built from now on this section (idempotent per name)."""
    _sections[name] = factory


def build(cache: PolicyCache) -> list[CacheSection]:
    return [factory(cache) for factory in _sections.values()]


def on_accounting(name: str, hook: AccountingHook) -> None:
    """Run hook(session, records) after each accounting batch is stored, in its
    transaction (idempotent per name)."""
    _accounting[name] = hook


def after_accounting(session: Session, records: list[AcctRecord]) -> None:
    for hook in _accounting.values():
        hook(session, records)
