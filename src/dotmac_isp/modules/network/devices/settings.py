"""Settings of the devices module, read from DOTMAC_DEVICES_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DevicesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOTMAC_DEVICES_", env_file=".env",
                                      extra="ignore")

    # Raw points (one per watched port per poll) for the last day, hourly averages and peaks
    # for 400 days: at 5,000 devices polled every 5 minutes that is ~17 million raw rows,
    # where a week of raw points at one-minute polls would be a billion.
    raw_retention_days: int = Field(1, ge=1, le=90, description="keep raw poll points")
    rollup_retention_days: int = Field(400, ge=7, le=3650, description="keep hourly rollups")
    poll_concurrency: int = Field(64, ge=1, le=1000, description="devices polled at once")
    poll_batch_limit: int = Field(5000, ge=1, le=100_000, description="devices per cycle")
    poll_lease_seconds: int = Field(
        300, ge=30, le=86_400,
        description="a claimed device is not claimed again for this long unless its poll is "
                    "recorded; longer than the slowest cycle, and when a poller dies its "
                    "devices are polled again after it")
    discovery_interval_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    snmp_backend: Literal["auto", "easysnmp", "ezsnmp", "pysnmp"] = Field(
        "auto", description="easysnmp (Net-SNMP's C library, v2c; SNMPv3 devices go through "
                            "ezsnmp), ezsnmp (Net-SNMP's C library, v2c and v3) or pysnmp "
                            "(pure Python); auto: the first of them that is installed")
    snmp_max_repetitions: int = Field(
        50, ge=1, le=200, description="rows asked per GETBULK of the interface table")
    interface_status_interval_seconds: int = Field(
        900, ge=0, le=86_400,
        description="interfaces' admin/oper status is read at most this often (polls between "
                    "read counters only); 0: every poll. A device not fully up, or whose "
                    "agent restarted, has its status read at every poll")
    backup_timeout_seconds: float = Field(30.0, gt=0, le=600)
    backup_concurrency: int = Field(4, ge=1, le=64)


@lru_cache
def get_devices_settings() -> DevicesSettings:
    return DevicesSettings()
