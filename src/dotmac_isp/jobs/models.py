"""What background jobs leave for operators: every run of a job (platform-wide), and each
tenant's share of a job that failed (tenant-owned, so a tenant's staff see their own)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Base, TenantOwned, UUIDPrimaryKey
from dotmac_isp.shared.types import UTCDateTime


class JobRun(UUIDPrimaryKey, Base):
    """One run of a job, by the scheduler or the CLI."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    job: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | partial | failed
    tenant_failures: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")


class JobFailure(UUIDPrimaryKey, TenantOwned, Base):
    """A tenant's share of a job failed and was rolled back; the other tenants went on."""

    __tablename__ = "job_failures"
    __table_args__ = (Index("ix_job_failures_tenant_occurred", "tenant_id", "occurred_at"),)

    job: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text)
