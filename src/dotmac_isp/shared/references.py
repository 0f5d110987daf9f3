"""Ids a client sends in a body must name a row of the caller's own tenant.

The lookup goes through a tenant-scoped repository (or a service's get/find, which uses one),
so another tenant's row is simply not found. Another tenant's id and an id that never existed
get the same 422 "<field>: no such <thing>": the answer tells nothing about other tenants.
The lookup runs without autoflush, so a half-applied change (an id already set on a pending
row) cannot reach the database first and fail there with another answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from dotmac_isp.shared.errors import NotFound, ValidationFailed

T = TypeVar("T")


def no_such(field: str, thing: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: no such {thing}")


def referenced(session: Session, find: Callable[[uuid.UUID], T | None], obj_id: uuid.UUID,
               field: str, thing: str) -> T:
    """The row `obj_id` names in the caller's tenant. `find` is a tenant-scoped lookup that
    returns None or raises NotFound when there is no such row."""
    with session.no_autoflush:
        try:
            found = find(obj_id)
        except NotFound:
            found = None
    if found is None:
        raise no_such(field, thing)
    return found


def optional(session: Session, find: Callable[[uuid.UUID], T | None],
             obj_id: uuid.UUID | None, field: str, thing: str) -> T | None:
    """`referenced` for an optional id: None stays None."""
    if obj_id is None:
        return None
    return referenced(session, find, obj_id, field, thing)
