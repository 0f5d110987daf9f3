"""Running a job tenant by tenant. Each tenant's work runs in its own transaction; a tenant
whose work fails is rolled back, logged with its id, counted in the job's summary, and the
tenants after it are still processed.

    outcome = for_each_tenant(ctx, "billing.dunning", tenant_ids, dun_one_tenant)
    return outcome.summary(totals_text)
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from dotmac_isp.jobs import records
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
TENANT_FAILURES = metrics.counter("job_tenant_failures_total",
                                  "Tenants whose share of a job failed", ["job"])
LISTED = 5  # failures named in a summary; the log has every one


@dataclass(frozen=True)
class TenantFailure:
    tenant_id: uuid.UUID
    error: str


@dataclass
class TenantOutcome(Generic[T]):
    job: str
    results: dict[uuid.UUID, T] = field(default_factory=dict)
    failures: list[TenantFailure] = field(default_factory=list)

    def summary(self, text: str) -> str:
        """The job's one-line summary with the failed tenants (if any) appended."""
        if not self.failures:
            return text
        named = "; ".join(f"{f.tenant_id}: {f.error}" for f in self.failures[:LISTED])
        more = len(self.failures) - LISTED
        return (f"{text}; {len(self.failures)} tenant(s) failed ({named}"
                f"{f'; {more} more in the log' if more > 0 else ''})")


def isolated(job: str, tenant_ids: Iterable[uuid.UUID], work: Callable[[uuid.UUID], T],
             database: Database | None = None) -> TenantOutcome[T]:
    """Call work(tenant_id) for each tenant; a failure is recorded (in the tenant's job
    failures when a database is given, which its staff see at /admin/jobs) and the next tenant
    goes on. For work that manages its own transactions (a chunked billing run)."""
    outcome: TenantOutcome[T] = TenantOutcome(job)
    for tenant_id in tenant_ids:
        try:
            outcome.results[tenant_id] = work(tenant_id)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            outcome.failures.append(TenantFailure(tenant_id, error))
            TENANT_FAILURES.labels(job).inc()
            log.exception("job failed for a tenant; the other tenants go on",
                          extra={"job": job, "tenant_id": str(tenant_id)})
            records.record_failure(database, job, tenant_id, error)
    return outcome


def for_each_tenant(ctx: JobContext, job: str, tenant_ids: Iterable[uuid.UUID],
                    work: Callable[[Session, uuid.UUID], T]) -> TenantOutcome[T]:
    """Call work(session, tenant_id) for each tenant in a transaction of its own."""

    def in_transaction(tenant_id: uuid.UUID) -> T:
        with ctx.database.unit_of_work() as session:
            return work(session, tenant_id)

    return isolated(job, tenant_ids, in_transaction, ctx.database)
