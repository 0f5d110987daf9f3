"""Which plan a subscription was on, and whether it was billable, day by day within a period
(from its status and plan history); postpaid runs bill these segments."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date

from dotmac_isp.modules.billing.proration import Period


@dataclass(frozen=True)
class Segment:
    period: Period
    plan_id: uuid.UUID


@dataclass(frozen=True)
class History:
    status_changes: list[tuple[date, str]]  # (effective day, new status), oldest first
    plan_changes: list[tuple[date, uuid.UUID, uuid.UUID]]  # (day, old plan, new plan)
    current_plan_id: uuid.UUID

    def status_on(self, day: date) -> str | None:
        status = None
        for changed, to in self.status_changes:
            if changed > day:
                break
            status = to
        return status

    def plan_on(self, day: date) -> uuid.UUID:
        plan = self.current_plan_id
        for changed, old, _new in reversed(self.plan_changes):
            if changed > day:
                plan = old
            else:
                break
        return plan


def billable_segments(full: Period, history: History, *,
                      bill_suspended: bool) -> list[Segment]:
    """The billable stretches of one period, split wherever plan or status changed."""
    cuts = {full.start, full.end}
    cuts.update(d for d, _ in history.status_changes if full.start < d < full.end)
    cuts.update(d for d, _, _ in history.plan_changes if full.start < d < full.end)
    points = sorted(cuts)
    billable = {"active", "suspended"} if bill_suspended else {"active"}
    segments: list[Segment] = []
    for start, end in itertools.pairwise(points):
        if history.status_on(start) not in billable:
            continue
        plan = history.plan_on(start)
        last = segments[-1] if segments else None
        if last is not None and last.period.end == start and last.plan_id == plan:
            segments[-1] = Segment(Period(last.period.start, end), plan)
        else:
            segments.append(Segment(Period(start, end), plan))
    return segments
