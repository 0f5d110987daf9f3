"""What background jobs leave for operators: every run of a job (platform-wide), each
tenant's share of a job that failed (tenant-owned, so a tenant's staff see their own), and the
lease that lets one process at a time run a job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, synonym

from dotmac_isp.shared.db import Base, TenantOwned, UUIDPrimaryKey
from dotmac_isp.shared.types import UTCDateTime


class JobRun(UUIDPrimaryKey, Base):
    """One run of a job, by the scheduler, a Celery worker or the CLI. Written as `running`
    when it starts and finished in place; `skipped` when another process held the lease."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),
                      Index("ix_job_runs_status_job", "status", "job"))

    job: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # running | succeeded | partial (some tenants failed) | failed | skipped
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = synonym("status")  # the name before runs were recorded as running
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")  # or manual, dispatch
    holder: Mapped[str] = mapped_column(String(200), default="")  # host:pid that ran it
    attempt: Mapped[int] = mapped_column(Integer, default=1)  # > 1: a retry after a failure
    tenant_failures: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    log: Mapped[str] = mapped_column(Text, default="")  # the lines the run logged, capped


class JobFailure(UUIDPrimaryKey, TenantOwned, Base):
    """A tenant's share of a job failed and was rolled back; the other tenants went on."""

    __tablename__ = "job_failures"
    __table_args__ = (Index("ix_job_failures_tenant_occurred", "tenant_id", "occurred_at"),)

    job: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text)


class JobLease(Base):
    """Who runs a job right now, until when. A holder renews it while the job runs and
    deletes it at the end; a crashed holder's lease simply expires."""

    __tablename__ = "job_leases"

    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
