"""Outbound mail over SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from dotmac_isp.config import MailSettings
from dotmac_isp.sdks.core.exceptions import ConfigurationError, MailDeliveryError


def build_message(settings: MailSettings, to: str, subject: str, text: str,
                  html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand a message to the configured SMTP server, raising MailDeliveryError on refusal."""
    if not settings.smtp_host:
        raise ConfigurationError("no SMTP server is configured (DOTMAC_MAIL__SMTP_HOST)")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=settings.timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailDeliveryError(f"SMTP delivery to {message['To']} failed: {exc}") from exc
