"""Hand messages to the SMTP server and keep its answers: one connection per message
(transmit), or a bounded pool of connections each reused for many messages (SmtpPool)."""

from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage

from dotmac_isp.config import MailSettings


class DeliveryFailed(Exception):
    """The server did not take the message; `permanent` says whether trying again can help."""

    def __init__(self, answer: str, *, permanent: bool, connection_lost: bool = False,
                 nothing_sent: bool = False):
        super().__init__(answer)
        self.answer = answer[:500]
        self.permanent = permanent
        self.connection_lost = connection_lost  # the connection cannot carry another message
        self.nothing_sent = nothing_sent  # lost before the server saw any of this message


def _answer(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(message.split())}"


def _refused(smtp: smtplib.SMTP, code: int, text: bytes) -> DeliveryFailed:
    """The server said no to this message; reset the transaction so the connection can carry
    the next one (421 means the server is closing it)."""
    if code != 421:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            code = 421
    return DeliveryFailed(_answer(code, text), permanent=code >= 500, connection_lost=code == 421)


def _send_on(smtp: smtplib.SMTP, message: EmailMessage, sender: str, recipient: str) -> str:
    """One SMTP transaction on an open connection; its answer to DATA."""
    try:
        code, text = smtp.mail(sender)
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        # an idle connection the server has since closed: nothing of this message went out
        raise DeliveryFailed(f"SMTP connection failed: {exc}", permanent=False,
                             connection_lost=True, nothing_sent=True) from exc
    if code == 421:  # the server is closing the connection (often: idle too long)
        raise DeliveryFailed(_answer(code, text), permanent=False, connection_lost=True,
                             nothing_sent=True)
    try:
        if code != 250:
            raise _refused(smtp, code, text)
        code, text = smtp.rcpt(recipient)
        if code not in (250, 251):
            raise _refused(smtp, code, text)
        # CRLF line ends, as SMTP wants them: smtplib sends bytes as given, and a server reads
        # a large message with bare LF endings as one over-long line ("500 Line too long")
        code, text = smtp.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        if code != 250:
            raise DeliveryFailed(_answer(code, text), permanent=code >= 500,
                                 connection_lost=code == 421)
        return _answer(code, text)
    except smtplib.SMTPServerDisconnected as exc:
        raise DeliveryFailed(f"SMTP connection failed: {exc}", permanent=False,
                             connection_lost=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(_answer(exc.smtp_code, exc.smtp_error),
                             permanent=exc.smtp_code >= 500, connection_lost=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP connection failed: {exc}", permanent=False,
                             connection_lost=True) from exc


def connect(settings: MailSettings) -> smtplib.SMTP:
    """An open, greeted (and, if configured, encrypted and logged-in) connection."""
    if not settings.smtp_host:
        raise DeliveryFailed("no SMTP server is configured (DOTMAC_MAIL__SMTP_HOST)",
                             permanent=False)
    smtp: smtplib.SMTP | None = None
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                            timeout=settings.timeout_seconds)
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_starttls:
            smtp.starttls()
            smtp.ehlo()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        return smtp
    except smtplib.SMTPResponseException as exc:
        _close(smtp)
        raise DeliveryFailed(_answer(exc.smtp_code, exc.smtp_error),
                             permanent=exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        _close(smtp)
        raise DeliveryFailed(f"SMTP connection failed: {exc}", permanent=False) from exc


def _close(smtp: smtplib.SMTP | None, *, polite: bool = False) -> None:
    if smtp is None:
        return
    try:
        if polite:
            smtp.quit()
        else:
            smtp.close()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def transmit(settings: MailSettings, message: EmailMessage, sender: str, recipient: str) -> str:
    """Send over a connection of its own; returns the server's answer to DATA (e.g.
    '250 2.0.0 Ok: queued')."""
    smtp = connect(settings)
    try:
        return _send_on(smtp, message, sender, recipient)
    finally:
        _close(smtp, polite=True)


class SmtpPool:
    """At most `size` open connections, each reused for up to `per_connection` messages.

    A connection the server dropped is replaced; a message that found its reused connection
    already closed is tried once more on a new one (nothing had been sent). A refusal of one
    message (e.g. 550 for its recipient) leaves the connection for the next message. After
    a failed connection attempt the pool is suspect and the sender claims no more in this run
    (the messages already claimed are still tried, each on a new attempt).
    """

    def __init__(self, settings: MailSettings, size: int, per_connection: int = 100):
        self.settings = settings
        self.per_connection = max(1, per_connection)
        self.opened = 0  # connections made, for the log and the tests
        self.failed_connects = 0  # connection attempts that failed since the last success
        self._size = max(1, size)
        self._slots = threading.BoundedSemaphore(self._size)
        self._lock = threading.Lock()
        self._idle: list[tuple[smtplib.SMTP, int]] = []

    def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        with self._slots:
            with self._lock:
                smtp, used = self._idle.pop() if self._idle else (None, 0)
            if smtp is not None:
                try:
                    return self._send(smtp, used, message, sender, recipient)
                except DeliveryFailed as failure:
                    if not failure.nothing_sent:
                        raise
            return self._send(self._open(), 0, message, sender, recipient)

    @property
    def suspect(self) -> bool:
        """The last connection attempt failed and none has succeeded since: claim no more
        messages in this run (those claimed are still tried), so a server that is down costs
        at most the messages already claimed, however the sends interleave."""
        return self.failed_connects > 0

    def _open(self) -> smtplib.SMTP:
        try:
            smtp = connect(self.settings)
        except DeliveryFailed:
            with self._lock:
                self.failed_connects += 1
            raise
        with self._lock:
            self.opened += 1
            self.failed_connects = 0
        return smtp

    def _send(self, smtp: smtplib.SMTP, used: int, message: EmailMessage, sender: str,
              recipient: str) -> str:
        try:
            answer = _send_on(smtp, message, sender, recipient)
        except DeliveryFailed as failure:
            if failure.connection_lost:
                _close(smtp)
            else:
                self._give_back(smtp, used + 1)
            raise
        self._give_back(smtp, used + 1)
        return answer

    def _give_back(self, smtp: smtplib.SMTP, used: int) -> None:
        if used >= self.per_connection:
            _close(smtp, polite=True)
            return
        with self._lock:
            self._idle.append((smtp, used))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for smtp, _used in idle:
            _close(smtp, polite=True)

