"""The bulk geocoding job: run by the in-process scheduler, the CLI or a Celery worker."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import timedelta

from dotmac_isp.jobs.registry import JobContext, job
from dotmac_isp.jobs.tenants import isolated
from dotmac_isp.modules.map import geocode, tenant_settings
from dotmac_isp.shared.errors import AppError

log = logging.getLogger(__name__)
JOB = "map.geocode_missing"


@job(JOB, every=timedelta(minutes=15))
def geocode_missing(ctx: JobContext) -> str:
    """Geocode service addresses without coordinates with each tenant's geocoder, at most
    map.geocode_batch per run and one request a second (Nominatim's policy); an address the
    geocoder does not know, or a failed request, is recorded and the next goes on."""
    conf = ctx.settings.map
    budget = int(ctx.params.get("limit", conf.geocode_batch))
    retry_after = timedelta(hours=conf.geocode_retry_hours)
    with ctx.database.unit_of_work(write=False) as session:
        tenants = geocode.tenants_with_geocoder(session)

    def geocode_tenant(tenant_id: uuid.UUID) -> Counter[str]:
        nonlocal budget
        counts: Counter[str] = Counter()
        if budget <= 0:
            return counts
        with ctx.database.unit_of_work(write=False) as session:
            geocoder = geocode.geocoder_of(tenant_settings.map_settings(session, tenant_id))
            due = geocode.due_addresses(session, tenant_id, ctx.now, retry_after, budget)
        if geocoder is None:
            return counts
        for address_id, query in due:
            budget -= 1
            outcome = geocode.ask(geocoder, address_id, query)  # outside any transaction
            try:
                with ctx.database.unit_of_work() as session:
                    geocode.record(session, tenant_id, outcome, ctx.now)
            except AppError as exc:  # the address went meanwhile
                log.info("geocoded address not recorded", extra={
                    "tenant_id": str(tenant_id), "address_id": str(address_id),
                    "error": exc.detail})
                counts["gone"] += 1
                continue
            counts[outcome.status] += 1
            if outcome.status == geocode.FAILED:
                log.warning("geocoding failed", extra={
                    "tenant_id": str(tenant_id), "address_id": str(address_id),
                    "error": outcome.error})
        return counts

    outcome = isolated(JOB, tenants, geocode_tenant, ctx.database)
    total: Counter[str] = Counter()
    for counts in outcome.results.values():
        total.update(counts)
    return outcome.summary(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in
                                     sorted(total.items())) or "no address to geocode")
