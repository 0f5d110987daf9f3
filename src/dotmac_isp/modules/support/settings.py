"""Settings of the support module, read from DOTMAC_SUPPORT_* environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ATTACHMENT_TYPES = (
    "pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "log", "csv", "json", "zip", "docx",
    "xlsx", "eml",
)


class SupportSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOTMAC_SUPPORT_", env_file=".env",
                                      extra="ignore")

    attachments_dir: str = Field("./var/attachments",
                                 description="where attachment files are stored")
    max_attachment_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    attachment_types: tuple[str, ...] = Field(DEFAULT_ATTACHMENT_TYPES,
                                              description="allowed file name extensions")
    max_attachments_per_message: int = Field(10, ge=1, le=100)
    at_risk_percent: int = Field(80, ge=1, le=99,
                                 description="share of a target used before it is at risk")


@lru_cache
def get_support_settings() -> SupportSettings:
    return SupportSettings()
