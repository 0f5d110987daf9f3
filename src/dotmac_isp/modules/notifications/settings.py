"""Settings of the notifications module, read from DOTMAC_NOTIFICATIONS_* variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOTMAC_NOTIFICATIONS_", env_file=".env",
                                      extra="ignore")

    reply_address: str = Field("support@localhost", pattern=r"^[^@\s+]+@[^@\s]+$",
                               description="replies go to <local>+<thread tag>@<domain>")
    message_id_domain: str = Field("dotmac.localhost", pattern=r"^[A-Za-z0-9.-]+$")
    inbound_host: str = "127.0.0.1"
    inbound_port: int = Field(2525, ge=1, le=65535)
    inbound_max_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    max_attempts: int = Field(6, ge=1, le=50)
    batch_size: int = Field(200, ge=1, le=10_000)
    lease_seconds: int = Field(300, ge=10, le=3600)


@lru_cache
def get_notification_settings() -> NotificationSettings:
    return NotificationSettings()
