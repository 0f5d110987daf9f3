"""How long accounting and the authentication log are kept. Open sessions are never
deleted, however old: only sessions that stopped before the retention period go."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dotmac_isp.modules.network.radius.models import RadAcct, RadPostAuth
from dotmac_isp.shared.retention import delete_in_batches, tenant_ids


def prune_accounting(database: Any, now: datetime, *, days: int, batch_size: int) -> int:
    """Delete sessions that stopped, and were last written, more than `days` ago (their
    usage marks go with them; the daily usage totals stay)."""
    cutoff = now - timedelta(days=days)
    # the indexed changed_at finds the candidates; a late Stop written yesterday for an old
    # session is kept until it too is past the period
    return delete_in_batches(
        database, RadAcct,
        (RadAcct.changed_at < cutoff) & RadAcct.acctstoptime.is_not(None)
        & (RadAcct.acctstoptime < cutoff), batch_size=batch_size)


def prune_postauth(database: Any, now: datetime, *, days: int, batch_size: int) -> int:
    """Delete authentication log rows older than `days`, tenant by tenant (the (tenant_id,
    authdate) index serves each)."""
    cutoff = now - timedelta(days=days)
    return sum(delete_in_batches(
        database, RadPostAuth,
        (RadPostAuth.tenant_id == tenant_id) & (RadPostAuth.authdate < cutoff),
        batch_size=batch_size) for tenant_id in tenant_ids(database))
