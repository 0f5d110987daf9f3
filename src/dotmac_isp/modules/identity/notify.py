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


def queue_invitation_email(session: Session, settings: Settings, email: str, raw_token: str,
                           *, invited_by: str) -> None:
    """Invite a new staff user: the link is a password-reset link that sets their first one."""
    link = f"{settings.public_url.rstrip('/')}/admin/reset-password?token={quote(raw_token)}"
    message = mail.build_message(
        settings.mail, email, "You are invited to DotMac ISP",
        f"{invited_by} has created a DotMac ISP staff account for {email}.\n\n"
        f"Open this link within {settings.auth.password_reset_minutes} minutes to choose your "
        f"password:\n{link}\n\nIf the link has expired, use \"Forgot your password?\" on the "
        f"sign-in page.\n",
    )

    def deliver() -> None:
        try:
            mail.send(settings.mail, message)
        except AppError as exc:
            log.warning("invitation email not sent", extra={"reason": exc.detail})

    after_commit(session, deliver)
