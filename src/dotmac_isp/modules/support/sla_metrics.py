"""Open tickets at risk of or past their SLA targets, for Prometheus.

The SLA job sets the gauges after each run, in total over every tenant: tenant ids as label
values would make a series per ISP. Two grouped counts a run (one per target), over the
tickets whose target state is at risk or breached (the leading column of each target's due
index) that are still open.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.support.enums import ACTIVE, SlaState, SlaTarget
from dotmac_isp.modules.support.models import Ticket
from dotmac_isp.sdks.services import metrics

WATCHED = (SlaState.AT_RISK, SlaState.BREACHED)
SLA_TICKETS = metrics.gauge("support_sla_tickets",
                            "Open tickets whose SLA target is at risk or breached, every tenant",
                            ["target", "state"])


def open_ticket_counts(session: Session) -> dict[tuple[str, str], int]:
    """(target, state) -> how many open tickets have that target in that state."""
    counts = {(target.value, state.value): 0 for target in SlaTarget for state in WATCHED}
    open_statuses = sorted(s.value for s in ACTIVE)
    for target in SlaTarget:
        column = getattr(Ticket, f"{target.value}_state")
        for state, count in session.execute(
                select(column, func.count()).where(Ticket.status.in_(open_statuses),
                                                   column.in_([s.value for s in WATCHED]))
                .group_by(column)):
            counts[(target.value, state)] = int(count)
    return counts


def refresh(session: Session) -> dict[tuple[str, str], int]:
    """Set the gauges from the database; the counts set."""
    counts = open_ticket_counts(session)
    for (target, state), count in counts.items():
        SLA_TICKETS.labels(target, state).set(count)
    return counts
