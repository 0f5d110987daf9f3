"""Request dependencies and response helpers of the support pages and API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request, Response

from dotmac_isp.modules.support.models import TicketAttachment
from dotmac_isp.modules.support.settings import SupportSettings, get_support_settings
from dotmac_isp.shared.errors import AppError

T = TypeVar("T")


def support_settings(request: Request) -> SupportSettings:
    """The app's support settings (tests and embedders set app.state.support_settings)."""
    own = getattr(request.app.state, "support_settings", None)
    return own if isinstance(own, SupportSettings) else get_support_settings()


SupportConf = Annotated[SupportSettings, Depends(support_settings)]


def file_response(attachment: TicketAttachment, data: bytes) -> Response:
    """A download: never rendered inline, never sniffed into another type."""
    ascii_name = attachment.filename.encode("ascii", "replace").decode().replace('"', "")
    return Response(data, media_type=attachment.content_type, headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}"; '
                               f"filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff"})


def attach(call: Callable[[], T]) -> T:
    """Stores an attachment; a refusal (too big, a forbidden type) names the file field, so
    a form shows it beside the file input."""
    try:
        return call()
    except AppError as exc:
        exc.extra.setdefault("field", "file")
        raise
