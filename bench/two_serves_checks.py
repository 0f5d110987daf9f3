"""What a two-serves run must show: each device polled once per interval, each CoA and each
email sent once, the billing run done once, and no periodic job run more often than its
interval allows across both processes. Each check returns the violations it found (empty:
it holds) and prints its figures."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from itertools import pairwise

from sqlalchemy import func, select

from dotmac_isp.jobs import registry
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.modules.billing.enums import LineKind
from dotmac_isp.modules.billing.models import BilledPeriod, InvoiceLine
from dotmac_isp.modules.network.devices.polling.models import DeviceSample
from dotmac_isp.modules.network.radius.enums import CoaKind, CoaState
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.sdks.radius import codec
from dotmac_isp.shared.db import Database

Say = Callable[[str], None]
RESET_SUBJECT = "Reset your DotMac ISP password"
KIND_OF_CODE = {codec.COA_REQUEST: CoaKind.COA.value,
                codec.DISCONNECT_REQUEST: CoaKind.DISCONNECT.value}


@dataclass(frozen=True)
class Window:
    """When both processes ran: from the later one's start to the first stop."""

    started_at: datetime
    stopped_at: datetime

    @property
    def seconds(self) -> float:
        return (self.stopped_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Received:
    """One CoA/Disconnect request as the NAS received it."""

    code: int
    session_id: str
    identifier: int
    authenticator: bytes
    at: float  # time.monotonic() on arrival


def check_polls(database: Database, device_ids: list[uuid.UUID], interval: int,
                window: Window, say: Say) -> list[str]:
    """Samples of each device never closer than the interval less a slack, and as many as
    the time from its first poll to the end holds intervals, within one. The slack is the
    poll job's period and a second: a poll starts when the job comes round after the device
    is due, so one poll may start up to that much late and the next on time."""
    period = registry.get("devices.poll_devices").every
    slack = (period.total_seconds() if period else 0.0) + 1.0
    with database.unit_of_work(write=False) as session:
        rows = session.execute(select(DeviceSample.device_id, DeviceSample.sampled_at)
                               .where(DeviceSample.device_id.in_(device_ids))
                               .order_by(DeviceSample.device_id, DeviceSample.sampled_at)).all()
    times: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for device_id, sampled_at in rows:
        times[device_id].append(sampled_at)
    expected = window.seconds / interval
    problems: list[str] = []
    gaps = [(b - a).total_seconds() for series in times.values()
            for a, b in pairwise(series)]
    counts = [len(times.get(d, [])) for d in device_ids]
    say(f"polls: {len(device_ids)} devices, interval {interval} s, window {window.seconds:.0f} s"
        f" -> {expected:.1f} polls expected each; counts {min(counts)}..{max(counts)}, "
        f"gaps {min(gaps, default=0):.1f}..{max(gaps, default=0):.1f} s "
        f"(mean {sum(gaps) / len(gaps) if gaps else 0:.1f} s; none under {interval - slack:.0f} s "
        f"allowed)")
    for device_id in device_ids:
        series = times.get(device_id, [])
        # from its first poll, one per interval until the processes stopped
        due = int((window.stopped_at - series[0]).total_seconds() // interval) + 1 \
            if series else expected
        if abs(len(series) - due) > 1:
            problems.append(f"device {device_id}: {len(series)} polls, {due} due")
        for a, b in pairwise(series):
            if (b - a).total_seconds() < interval - slack:
                problems.append(f"device {device_id}: polled at {a:%H:%M:%S.%f} and again at "
                                f"{b:%H:%M:%S.%f}")
    return problems


def check_coa(database: Database, received: list[Received], resend_seconds: float,
              say: Say) -> list[str]:
    """Every CoA row ACKed after one attempt, and the NAS got each request once: per session
    and kind, as many requests as rows. A datagram repeating the identifier and
    authenticator of one received less than `resend_seconds` before is the client's
    retransmission of that request (its timeout times its tries), not another request."""
    with database.unit_of_work(write=False) as session:
        rows = session.execute(select(CoaRequest.acctsessionid, CoaRequest.kind,
                                      CoaRequest.state, CoaRequest.attempts)).all()
    problems = [f"CoA for {sid} ({kind}): {state} after {attempts} attempt(s)"
                for sid, kind, state, attempts in rows
                if state != CoaState.ACKED.value or attempts != 1]
    queued = Counter((sid, kind) for sid, kind, _s, _a in rows)
    got: Counter[tuple[str, str]] = Counter()
    last_seen: dict[tuple[str, int, int, bytes], float] = {}
    resent = 0
    for r in sorted(received, key=lambda r: r.at):
        packet = (r.session_id, r.code, r.identifier, r.authenticator)
        if r.at - last_seen.get(packet, float("-inf")) < resend_seconds:
            resent += 1
        else:
            got[(r.session_id, KIND_OF_CODE.get(r.code, str(r.code)))] += 1
        last_seen[packet] = r.at
    for key in sorted(set(queued) | set(got)):
        if queued[key] != got[key]:
            problems.append(f"CoA {key[1]} for session {key[0]}: {queued[key]} queued, "
                            f"{got[key]} received")
    say(f"CoA: {len(rows)} requests queued, {len(received)} datagrams received "
        f"({resent} retransmissions), "
        f"{sum(1 for r in rows if r[2] == CoaState.ACKED.value)} ACKed")
    return problems


def check_mail(database: Database, messages: list[Message], resets: Counter[str],
               say: Say) -> list[str]:
    """Every outbox delivery sent, and received exactly once (by Message-ID); each password
    reset asked for (sent after commit, not through the outbox) received once (by recipient
    and subject); nothing else came."""
    with database.unit_of_work(write=False) as session:
        rows = session.execute(select(Delivery.message_id, Delivery.status, Delivery.attempts,
                                      Delivery.event_key)).all()
    outboxed = [m for m in messages if m["Message-ID"] is not None]
    received = Counter(str(m["Message-ID"]) for m in outboxed)
    problems = [f"delivery {mid} ({event}): {status} after {attempts} attempt(s)"
                for mid, status, attempts, event in rows if status != "sent" or attempts != 1]
    known = {mid for mid, *_rest in rows}
    for mid, *_rest in rows:
        if received[mid] != 1:
            problems.append(f"message {mid} received {received[mid]} times")
    problems += [f"message {mid} received but not in the outbox" for mid in received
                 if mid not in known]
    direct = Counter((str(m["To"]), str(m["Subject"])) for m in messages
                     if m["Message-ID"] is None)
    got = Counter({to: n for (to, subject), n in direct.items() if subject == RESET_SUBJECT})
    problems += [f"{n} messages without a Message-ID to {to}: {subject!r}"
                 for (to, subject), n in direct.items() if subject != RESET_SUBJECT]
    problems += [f"password reset for {to}: {resets[to]} asked for, {got[to]} received"
                 for to in sorted(set(resets) | set(got)) if resets[to] != got[to]]
    by_event = Counter(event for *_rest, event in rows)
    events = ", ".join(f"{v} {k}" for k, v in sorted(by_event.items()))
    say(f"email: {len(rows)} outbox deliveries ({events}), {len(outboxed)} received by SMTP "
        f"({len(received)} distinct); {sum(resets.values())} password resets asked for, "
        f"{sum(got.values())} received")
    return problems


def check_billing(database: Database, subscription_ids: list[uuid.UUID],
                  say: Say) -> list[str]:
    """Each subscription-period billed once (one billed period, one subscription line), and
    the current period billed for every subscription."""
    with database.unit_of_work(write=False) as session:
        periods = session.execute(select(BilledPeriod.subscription_id,
                                         BilledPeriod.period_start, func.count())
                                  .group_by(BilledPeriod.subscription_id,
                                            BilledPeriod.period_start)).all()
        lines = session.execute(select(InvoiceLine.subscription_id, InvoiceLine.period_start,
                                       func.count())
                                .where(InvoiceLine.kind == LineKind.SUBSCRIPTION.value)
                                .group_by(InvoiceLine.subscription_id,
                                          InvoiceLine.period_start)).all()
    problems = [f"subscription {s} billed {n} times for the period from {p}"
                for s, p, n in periods if n != 1]
    problems += [f"subscription {s} has {n} subscription lines for the period from {p}"
                 for s, p, n in lines if n != 1]
    billed = Counter(s for s, _p, _n in periods)
    problems += [f"subscription {s}: {billed[s]} periods billed, 2 expected (activation's "
                 f"and the run's)" for s in subscription_ids if billed[s] < 2]
    say(f"billing: {len(periods)} subscription-periods billed for {len(subscription_ids)} "
        f"subscriptions, {sum(n for *_r, n in lines)} subscription lines")
    return problems


def check_jobs(database: Database, pids: dict[int, str], window: Window,
               say: Say) -> list[str]:
    """Per job and process: runs by status. No job failed; billing.run_recurring succeeded
    once per hour it was due, the other process's attempt skipped; no periodic job ran (by
    its schedule) more often than its interval allows over the window, across both."""
    with database.unit_of_work(write=False) as session:
        rows = session.execute(select(JobRun.job, JobRun.holder, JobRun.status, JobRun.trigger,
                                      JobRun.summary, JobRun.error)).all()
    table: dict[str, dict[tuple[str, str], int]] = defaultdict(Counter)
    problems: list[str] = []
    for job, holder, status, _trigger, _summary, error in rows:
        table[job][(_process(holder, pids), status)] += 1
        if status in ("failed", "partial", "running"):
            problems.append(f"{job} {status} on {_process(holder, pids)}: {error[:200]}")
    names = sorted(pids.values())
    say("job runs (succeeded/skipped/failed) per process:")
    say(f"  {'job':34} " + " ".join(f"{n:>16}" for n in names))
    for job in sorted(table):
        cells = [f"{table[job][(n, 'succeeded')]}/{table[job][(n, 'skipped')]}/"
                 f"{table[job][(n, 'failed')]}" for n in names]
        say(f"  {job:34} " + " ".join(f"{c:>16}" for c in cells))
    hours = max(1, int(window.seconds // 3600) + 1)
    billing = [r for r in rows if r[0] == "billing.run_recurring"]
    done = sum(1 for r in billing if r[2] == "succeeded")
    if done != hours:
        problems.append(f"billing.run_recurring succeeded {done} times in {hours} due hour(s)")
    if not any(r[2] == "skipped" for r in billing):
        problems.append("billing.run_recurring: the other process's attempt was not skipped")
    specs = registry.all_jobs()
    if not specs:
        problems.append("no job registered in this process: the jobs were not checked")
    for spec in specs:
        if spec.every is None:
            continue
        ran = sum(1 for r in rows if r[0] == spec.name and r[3] == "schedule"
                  and r[2] in ("succeeded", "partial", "failed"))
        allowed = int(window.seconds / spec.every.total_seconds()) + 1
        if ran > allowed:
            problems.append(f"{spec.name} ran {ran} times on schedule, at most {allowed} due "
                            f"in {window.seconds:.0f} s (every {_every(spec.every)})")
    return problems


def _process(holder: str, pids: dict[int, str]) -> str:
    try:
        pid = int(holder.split("/", 1)[0].rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return holder
    return pids.get(pid, f"pid {pid}")


def _every(every: timedelta) -> str:
    seconds = int(every.total_seconds())
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
