"""In-process domain events. Handlers run inside the publisher's transaction, so what they
write commits or rolls back with it; work for after the commit goes through after_commit().

A domain publishes its events; another domain subscribes without the publisher knowing it.
Handler modules are imported by dotmac_isp.wiring so every entry point sees the same set.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    tenant_id: uuid.UUID
    occurred_at: datetime


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]
_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[Session, E], None], *,
              first: bool = False) -> None:
    """Run `handler` for each such event; `first`: before the handlers registered so far
    (for work other handlers build on, such as charges waiting for an invoice they make)."""
    handlers = _handlers[event_type]
    if handler not in handlers:
        if first:
            handlers.insert(0, handler)
        else:
            handlers.append(handler)


def on(event_type: type[E], *, first: bool = False) -> Callable[
        [Callable[[Session, E], None]], Callable[[Session, E], None]]:
    """Decorator form of subscribe()."""

    def register(handler: Callable[[Session, E], None]) -> Callable[[Session, E], None]:
        subscribe(event_type, handler, first=first)
        return handler

    return register


def publish(session: Session, event: DomainEvent) -> None:
    """Run every handler of the event's type (and its base types) now, in this transaction."""
    for klass in type(event).__mro__:
        for handler in list(_handlers.get(klass, ())):
            handler(session, event)
    session.info.setdefault("published_events", []).append(event)


def handlers_for(event_type: type[DomainEvent]) -> list[Handler]:
    return list(_handlers.get(event_type, ()))
