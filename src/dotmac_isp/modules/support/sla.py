"""The SLA clock of a ticket: targets in business time that pause while the ticket waits.

One clock runs while the ticket is being worked on (`sla_running_since`). Each target keeps
the business seconds it used before the current run, its due time and the moment it becomes
at risk; the SLA check compares those stored instants with the time now. Every operation
first folds the running time into `used` and then restarts the run at `now`, so the stored
instants always come from one calendar computation.

These functions change the ticket in memory only; the service records timeline events and
flushes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dotmac_isp.modules.support.businesstime import (
    Calendar,
    add_business_time,
    business_time_between,
)
from dotmac_isp.modules.support.enums import COUNTING, SlaState, SlaTarget
from dotmac_isp.shared.enums import Priority

P = Priority
# (first response, resolution) in minutes of business time.
DEFAULT_TARGETS: dict[Priority, tuple[int, int]] = {
    P.CRITICAL: (15, 4 * 60),
    P.URGENT: (60, 8 * 60),
    P.HIGH: (4 * 60, 24 * 60),
    P.MEDIUM: (8 * 60, 48 * 60),
    P.NORMAL: (24 * 60, 72 * 60),
    P.LOW: (48 * 60, 168 * 60),
}
TARGETS = (SlaTarget.FIRST_RESPONSE, SlaTarget.RESOLUTION)


def targets_for(policy_targets: dict[str, dict[str, int]],
                priority: Priority) -> tuple[int, int]:
    """(first response, resolution) in seconds for a priority; built-in defaults fill gaps."""
    default_first, default_resolution = DEFAULT_TARGETS[priority]
    own = policy_targets.get(priority.value, {})
    return (int(own.get("first_response_minutes", default_first)) * 60,
            int(own.get("resolution_minutes", default_resolution)) * 60)


def default_targets_json() -> dict[str, dict[str, int]]:
    return {p.value: {"first_response_minutes": first, "resolution_minutes": resolution}
            for p, (first, resolution) in DEFAULT_TARGETS.items()}


@dataclass
class Clock:
    """One target's columns on the ticket, read and written by name."""

    ticket: Any
    target: SlaTarget

    def _get(self, field: str) -> Any:
        return getattr(self.ticket, f"{self.target.value}_{field}")

    def _set(self, field: str, value: Any) -> None:
        setattr(self.ticket, f"{self.target.value}_{field}", value)

    @property
    def state(self) -> SlaState:
        return SlaState(self._get("state"))

    @state.setter
    def state(self, value: SlaState) -> None:
        self._set("state", value.value)

    @property
    def target_seconds(self) -> int | None:
        value = self._get("target_seconds")
        return None if value is None else int(value)

    @target_seconds.setter
    def target_seconds(self, value: int | None) -> None:
        self._set("target_seconds", value)

    @property
    def used_seconds(self) -> int:
        return int(self._get("used_seconds") or 0)

    @used_seconds.setter
    def used_seconds(self, value: int) -> None:
        self._set("used_seconds", value)

    @property
    def due_at(self) -> datetime | None:
        value: datetime | None = self._get("due_at")
        return value

    @due_at.setter
    def due_at(self, value: datetime | None) -> None:
        self._set("due_at", value)

    @property
    def at_risk_at(self) -> datetime | None:
        value: datetime | None = self._get("at_risk_at")
        return value

    @at_risk_at.setter
    def at_risk_at(self, value: datetime | None) -> None:
        self._set("at_risk_at", value)


def clocks(ticket: Any) -> list[Clock]:
    return [Clock(ticket, target) for target in TARGETS]


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def used_now(clock: Clock, calendar: Calendar, now: datetime) -> int:
    used = clock.used_seconds
    since = clock.ticket.sla_running_since
    if clock.state in COUNTING and since is not None and now > since:
        used += _seconds(business_time_between(calendar, since, now))
    return used


def _fold(ticket: Any, calendar: Calendar, now: datetime) -> None:
    for clock in clocks(ticket):
        if clock.state in COUNTING:
            clock.used_seconds = used_now(clock, calendar, now)
    ticket.sla_running_since = None


def _schedule(clock: Clock, calendar: Calendar, since: datetime, percent: int) -> None:
    target = int(clock.target_seconds or 0)
    left = target - clock.used_seconds
    clock.due_at = add_business_time(calendar, since, timedelta(seconds=max(left, 0)))
    at_risk_budget = math.ceil(target * percent / 100) - clock.used_seconds
    clock.at_risk_at = add_business_time(calendar, since,
                                         timedelta(seconds=max(at_risk_budget, 0)))


def _restart(ticket: Any, calendar: Calendar, now: datetime) -> list[tuple[SlaTarget, SlaState]]:
    counting = [c for c in clocks(ticket) if c.state in COUNTING]
    ticket.sla_running_since = now if counting else None
    for clock in counting:
        _schedule(clock, calendar, now, ticket.at_risk_percent)
    return evaluate(ticket, now)


def start(ticket: Any, calendar: Calendar, now: datetime, first_response_seconds: int | None,
          resolution_seconds: int | None, at_risk_percent: int,
          ) -> list[tuple[SlaTarget, SlaState]]:
    """Start both clocks of a new ticket."""
    ticket.at_risk_percent = at_risk_percent
    for clock, seconds in zip(clocks(ticket), (first_response_seconds, resolution_seconds),
                              strict=True):
        clock.target_seconds, clock.used_seconds = seconds, 0
        clock.state = SlaState.NONE if seconds is None else SlaState.RUNNING
        clock.due_at = clock.at_risk_at = None
    return _restart(ticket, calendar, now)


def pause(ticket: Any, calendar: Calendar, now: datetime) -> list[tuple[SlaTarget, SlaState]]:
    """Stop the clock while the ticket waits on the customer or a third party."""
    changes = evaluate(ticket, now)
    _fold(ticket, calendar, now)
    for clock in clocks(ticket):
        if clock.state in COUNTING:
            clock.state = SlaState.PAUSED
            clock.due_at = clock.at_risk_at = None
    return changes


def resume(ticket: Any, calendar: Calendar, now: datetime) -> list[tuple[SlaTarget, SlaState]]:
    """Start the clock again (the customer or third party answered); reopens a met
    resolution target too."""
    _fold(ticket, calendar, now)
    for clock in clocks(ticket):
        reopened = clock.target == SlaTarget.RESOLUTION and clock.state == SlaState.MET
        if clock.state == SlaState.PAUSED or reopened:
            clock.state = SlaState.RUNNING
    return _restart(ticket, calendar, now)


def complete(ticket: Any, target: SlaTarget, calendar: Calendar,
             now: datetime) -> list[tuple[SlaTarget, SlaState]]:
    """The target is achieved now: met if in time, else it stays breached."""
    changes = evaluate(ticket, now)
    _fold(ticket, calendar, now)
    clock = Clock(ticket, target)
    if clock.state in COUNTING or clock.state == SlaState.PAUSED:
        clock.state = SlaState.MET
        clock.at_risk_at = None
    _restart(ticket, calendar, now)
    return changes


def retarget(ticket: Any, calendar: Calendar, now: datetime, first_response_seconds: int | None,
             resolution_seconds: int | None) -> list[tuple[SlaTarget, SlaState]]:
    """New targets (the priority changed) for targets not yet met or breached."""
    _fold(ticket, calendar, now)
    for clock, seconds in zip(clocks(ticket), (first_response_seconds, resolution_seconds),
                              strict=True):
        if seconds is not None and clock.state in (*COUNTING, SlaState.PAUSED):
            clock.target_seconds = seconds
            if clock.state == SlaState.AT_RISK:
                clock.state = SlaState.RUNNING
            if clock.state == SlaState.PAUSED and clock.used_seconds >= seconds:
                clock.state = SlaState.BREACHED
    return _restart(ticket, calendar, now)


def evaluate(ticket: Any, now: datetime) -> list[tuple[SlaTarget, SlaState]]:
    """Move running targets to at risk or breached by their stored instants."""
    changes = []
    for clock in clocks(ticket):
        if clock.state not in COUNTING:
            continue
        if clock.due_at is not None and now >= clock.due_at:
            clock.state = SlaState.BREACHED
            changes.append((clock.target, SlaState.BREACHED))
        elif (clock.state == SlaState.RUNNING and clock.at_risk_at is not None
              and now >= clock.at_risk_at):
            clock.state = SlaState.AT_RISK
            changes.append((clock.target, SlaState.AT_RISK))
    return changes


@dataclass(frozen=True)
class ClockView:
    """What the pages and the API show for one target."""

    target: SlaTarget
    state: SlaState
    target_seconds: int | None
    due_at: datetime | None
    remaining_seconds: int | None  # negative: overdue
    percent_used: int | None


def view(ticket: Any, target: SlaTarget, calendar: Calendar | None, now: datetime) -> ClockView:
    clock = Clock(ticket, target)
    state, target_seconds = clock.state, clock.target_seconds
    remaining: int | None = None
    percent: int | None = None
    if calendar is not None and target_seconds:
        used = used_now(clock, calendar, now)
        if state in COUNTING and clock.due_at is not None:
            remaining = _seconds(business_time_between(calendar, now, clock.due_at))
        elif state == SlaState.PAUSED:
            remaining = target_seconds - used
        elif state == SlaState.BREACHED and clock.due_at is not None and not achieved(
                ticket, target):
            remaining = -_seconds(business_time_between(calendar, clock.due_at, now))
        percent = min(999, round(100 * used / target_seconds))
    return ClockView(target, state, target_seconds, clock.due_at, remaining, percent)


def achieved(ticket: Any, target: SlaTarget) -> bool:
    if target == SlaTarget.FIRST_RESPONSE:
        return ticket.first_responded_at is not None
    return ticket.status in ("resolved", "closed")
