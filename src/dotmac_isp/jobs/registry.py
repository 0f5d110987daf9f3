"""The job registry: a job is a named function that opens its own unit of work.

    @job("services.apply_scheduled_changes", every=timedelta(minutes=1))
    def apply_scheduled_changes(ctx: JobContext) -> str: ...

The function takes a JobContext and returns a one-line summary. It must be idempotent:
running it twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dotmac_isp.config import Settings
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow


@dataclass
class JobContext:
    database: Database
    settings: Settings
    now: datetime = field(default_factory=utcnow)
    params: dict[str, Any] = field(default_factory=dict)


JobFunction = Callable[[JobContext], str]


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    every: timedelta | None  # None: only run on demand
    description: str
    dated: bool = False  # acts on a calendar day: params["date"] runs it as of that day


_jobs: dict[str, JobSpec] = {}


def job(name: str, *, every: timedelta | None = None,
        dated: bool = False) -> Callable[[JobFunction], JobFunction]:
    """Register a job under a dotted name '<domain>.<verb_noun>'. A dated job reads
    ctx.params["date"] (a date) as the day to act on, else today in each tenant's zone."""

    def register(function: JobFunction) -> JobFunction:
        existing = _jobs.get(name)
        if existing is not None and existing.function is not function:
            raise ValueError(f"job {name} registered twice")
        doc = (function.__doc__ or "").strip().splitlines()
        _jobs[name] = JobSpec(name, function, every, doc[0] if doc else "", dated)
        return function

    return register


def get(name: str) -> JobSpec:
    try:
        return _jobs[name]
    except KeyError:
        raise KeyError(f"no job named {name!r}; known: {', '.join(sorted(_jobs))}") from None


def all_jobs() -> list[JobSpec]:
    return sorted(_jobs.values(), key=lambda spec: spec.name)


def run(name: str, ctx: JobContext) -> str:
    return get(name).function(ctx)
