"""The tenant-scoping chokepoint: every read of a tenant-owned table goes through here."""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dotmac_isp.shared.db import TenantOwned
from dotmac_isp.shared.errors import NotFound, ValidationFailed
from dotmac_isp.shared.keyset import KeyOrder, paginate_keyset
from dotmac_isp.shared.pagination import MAX_OFFSET, OFFSET_TOO_LARGE, Page, PageParams

ModelT = TypeVar("ModelT", bound=TenantOwned)


class TenantRepository(Generic[ModelT]):
    """Reads and writes rows of one model for one tenant; no query escapes the tenant filter."""

    model: type[ModelT]
    not_found_message = "not found"

    def __init__(self, session: Session, tenant_id: uuid.UUID):
        self.session = session
        self.tenant_id = tenant_id

    def select(self, *entities: Any) -> Select[Any]:
        stmt = select(*entities) if entities else select(self.model)
        return stmt.where(self.model.tenant_id == self.tenant_id)

    def get(self, obj_id: uuid.UUID, *, for_update: bool = False) -> ModelT:
        stmt = self.select().where(self.model.id == obj_id)  # type: ignore[attr-defined]
        if for_update:
            stmt = stmt.with_for_update(of=self.model)
        obj = self.session.scalars(stmt).one_or_none()
        if obj is None:
            raise self.not_found()
        return obj

    @classmethod
    def not_found(cls) -> NotFound:
        return NotFound(cls.not_found_message)

    def find(self, obj_id: uuid.UUID) -> ModelT | None:
        stmt = self.select().where(self.model.id == obj_id)  # type: ignore[attr-defined]
        return self.session.scalars(stmt).one_or_none()

    def list(self, params: PageParams, stmt: Select[Any] | None = None) -> Page[ModelT]:
        return paginate(self.session, stmt if stmt is not None else self.select(), params)

    def list_by_key(self, params: PageParams, stmt: Select[Any], order: KeyOrder,
                    ) -> Page[ModelT]:
        """A page of a big table: ordered by `order`, has-more and cursors, no COUNT."""
        return paginate_keyset(self.session, stmt, params, order)

    def add(self, obj: ModelT) -> ModelT:
        obj.tenant_id = self.tenant_id
        self.session.add(obj)
        self.session.flush()
        return obj

    def delete(self, obj: ModelT) -> None:
        if obj.tenant_id != self.tenant_id:
            raise NotFound(self.not_found_message)
        self.session.delete(obj)
        self.session.flush()


def paginate(session: Session, stmt: Select[Any], params: PageParams) -> Page[Any]:
    """A page by offset with the total; for tables small enough to count."""
    if params.cursor:
        raise ValidationFailed("this list pages by offset; cursor is not supported here")
    if params.offset > MAX_OFFSET:
        raise ValidationFailed(OFFSET_TOO_LARGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(params.limit).offset(params.offset)))
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)
