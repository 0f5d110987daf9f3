"""Fixtures the billing tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dotmac_isp.config import MailSettings, Settings, get_settings
from dotmac_isp.main import create_app
from tests.conftest import RollbackDatabase
from tests.support.smtp import Inbox, smtp_server


@pytest.fixture
def mailed(settings: Settings, db: RollbackDatabase,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Inbox]]:
    """The app sending its mail to a real SMTP server on loopback, and that server's inbox."""
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DOTMAC_MAIL__SMTP_PORT", str(port))
        get_settings.cache_clear()
        app_settings = settings.model_copy(update={"mail": MailSettings(
            smtp_host="127.0.0.1", smtp_port=port)})
        with TestClient(create_app(app_settings, db,  # type: ignore[arg-type]
                                   configure_logs=False)) as client:
            yield client, inbox
        get_settings.cache_clear()
