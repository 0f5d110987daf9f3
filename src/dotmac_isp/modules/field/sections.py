"""Parts other modules add to a work order's pages (the staff page and the technician's job
page), so a module that builds on work orders shows itself there without the field module
knowing it:

    from dotmac_isp.modules.field import sections

    @sections.on_work_order_page
    def equipment(session, principal, work_order, view) -> sections.Section | None: ...

A section is a template (rendered inside the page, with the page's own variables: order,
errors, form, view, csrf_token) and the data it needs, as `section.data`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dotmac_isp.modules.field.models import WorkOrder
from dotmac_isp.modules.identity.principal import Principal


@dataclass(frozen=True)
class Section:
    template: str
    data: Any


SectionMaker = Callable[[Session, Principal, WorkOrder, str], Section | None]
_makers: list[SectionMaker] = []


def on_work_order_page(maker: SectionMaker) -> SectionMaker:
    """Register a section of the work order's pages; `view` is "detail" or "job"."""
    if maker not in _makers:
        _makers.append(maker)
    return maker


def remove(maker: SectionMaker) -> None:
    if maker in _makers:
        _makers.remove(maker)


def for_page(session: Session, principal: Principal, work_order: WorkOrder,
             view: str) -> list[Section]:
    found = (maker(session, principal, work_order, view) for maker in list(_makers))
    return [s for s in found if s is not None]
