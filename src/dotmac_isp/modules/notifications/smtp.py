"""Hand one message to the SMTP server and keep its answer."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from dotmac_isp.config import MailSettings


class DeliveryFailed(Exception):
    """The server did not take the message; `permanent` says whether trying again can help."""

    def __init__(self, answer: str, *, permanent: bool):
        super().__init__(answer)
        self.answer = answer[:500]
        self.permanent = permanent


def _answer(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(message.split())}"


def transmit(settings: MailSettings, message: EmailMessage, sender: str, recipient: str) -> str:
    """Send over SMTP; returns the server's answer to DATA (e.g. '250 2.0.0 Ok: queued')."""
    if not settings.smtp_host:
        raise DeliveryFailed("no SMTP server is configured (DOTMAC_MAIL__SMTP_HOST)",
                             permanent=False)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=settings.timeout_seconds) as smtp:
            smtp.ehlo_or_helo_if_needed()
            if settings.smtp_starttls:
                smtp.starttls()
                smtp.ehlo()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            code, text = smtp.mail(sender)
            if code != 250:
                raise DeliveryFailed(_answer(code, text), permanent=code >= 500)
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise DeliveryFailed(_answer(code, text), permanent=code >= 500)
            code, text = smtp.data(message.as_bytes())
            if code != 250:
                raise DeliveryFailed(_answer(code, text), permanent=code >= 500)
            return _answer(code, text)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(_answer(exc.smtp_code, exc.smtp_error),
                             permanent=exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP connection failed: {exc}", permanent=False) from exc
