"""Mail the identity flows send (password reset), queued until the transaction commits."""

from __future__ import annotations

import logging
from urllib.parse import quote

from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.sdks import mail
from dotmac_isp.shared.db import after_commit
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)


def queue_password_reset_email(session: Session, settings: Settings, email: str,
                               raw_token: str, page: str = "/admin/reset-password") -> None:
    """Email a reset link (to the staff page, or the portal's when page says so)."""
    link = f"{settings.public_url.rstrip('/')}{page}?token={quote(raw_token)}"
    message = mail.build_message(
        settings.mail, email, "Reset your DotMac ISP password",
        f"Someone asked to reset the password of {email}.\n\n"
        f"Open this link within {settings.auth.password_reset_minutes} minutes to choose a new "
        f"password:\n{link}\n\nIf it was not you, ignore this message.\n",
    )

    def deliver() -> None:
        try:
            mail.send(settings.mail, message)
        except AppError as exc:
            log.warning("password reset email not sent", extra={"reason": exc.detail})

    after_commit(session, deliver)
