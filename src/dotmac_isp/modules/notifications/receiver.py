"""The SMTP receiver for replies (aiosmtpd on a loopback port by default).

Put it behind the MTA that receives mail for the reply domain (a transport or alias that
forwards support+*@ to this port), or point a test client straight at it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiosmtpd.controller import Controller

from dotmac_isp.config import Settings
from dotmac_isp.modules.notifications.inbound import InboundContext, dispatch, parse
from dotmac_isp.modules.notifications.settings import NotificationSettings
from dotmac_isp.shared.types import utcnow

log = logging.getLogger(__name__)


def _reply_line(code: str, detail: str) -> str:
    return f"{code} {' '.join(detail.split())[:400]}"


class InboundHandler:
    """aiosmtpd handler: every message is parsed and dispatched off the event loop; nothing
    a sender does makes it crash (a surprise becomes a 451 and a log line)."""

    def __init__(self, database: Any, settings: Settings | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.database = database
        self.settings = settings
        self.clock = clock

    def process(self, content: bytes, envelope_from: str, recipients: list[str]) -> str:
        mail = parse(content, envelope_from=envelope_from, recipients=recipients)
        outcome = dispatch(self.database, mail, InboundContext(self.clock(), self.settings))
        if outcome.accepted:
            return _reply_line("250 2.0.0", outcome.detail)
        return _reply_line("550 5.7.1", outcome.detail)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        loop = asyncio.get_running_loop()
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "replace")
        try:
            return await loop.run_in_executor(None, self.process, content,
                                              str(envelope.mail_from or ""),
                                              [str(r) for r in envelope.rcpt_tos])
        except Exception:
            log.exception("inbound mail could not be processed")
            return "451 4.3.0 Temporary failure; please try again later"


class InboundServer:
    """Start and stop the receiver; used by `dotmac-isp mail receive` and the tests."""

    def __init__(self, database: Any, settings: NotificationSettings, *,
                 app_settings: Settings | None = None, host: str | None = None,
                 port: int | None = None):
        self.host = host or settings.inbound_host
        self.port = port if port is not None else settings.inbound_port
        self.controller = Controller(InboundHandler(database, app_settings),
                                     hostname=self.host, port=self.port,
                                     data_size_limit=settings.inbound_max_bytes)

    def start(self) -> None:
        self.controller.start()
        log.info("inbound mail receiver listening", extra={"host": self.host,
                                                           "port": self.port})

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> InboundServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
