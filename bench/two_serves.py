"""Two `dotmac-isp serve` processes on one PostgreSQL database: is every job's work done once?

    .venv/bin/python -m bench.two_serves [--minutes 10] [--devices 50] [--url ADMIN_URL]

A scratch database holds one ISP (bench/two_serves_seed.py): devices polled every --interval
seconds, all pointing at one snmpd on loopback; a NAS (a stand-in on loopback that ACKs);
subscribers with email addresses, some with an open RADIUS session, due for billing; SMTP on
loopback (aiosmtpd). Two `serve --no-radius` processes run against it, each with its own
HTTP port and, with no broker, its own in-process scheduler. Once the billing run is done,
subscribers are suspended and restored through the API of either process at random moments
(CoA and emails queued from both) and password resets are asked for (more email). At the
end the queues are left to drain, both processes get SIGTERM by PID, and
bench/two_serves_checks.py checks that each device was polled once per interval, each CoA
and each email sent once, the billing run done once, and that no periodic job ran more often
than its interval. Prints the figures; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from tests.support.smtp import smtp_server
from tests.support.snmpd import snmpd_agent

from bench import two_serves_checks as checks
from bench import two_serves_peers as peers
from bench.scratch import add_url_argument, scratch_database
from bench.two_serves_seed import NAS_SECRET, Seeded, seed
from dotmac_isp import wiring
from dotmac_isp.config import Settings
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.modules.network.radius.models import CoaRequest
from dotmac_isp.modules.notifications.models import Delivery
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

SECRET_KEY = "two-serves-secret-key-0123456789abcdef"
API = "/api/v1"


@dataclass
class Plan:
    seconds: float  # how long both processes run before the queues are left to drain
    devices: int = 50
    interval: int = 60  # each device's poll interval
    subscribers: int = 40
    sessions: int = 20  # subscribers with an open RADIUS session (suspended and restored)
    pause: float = 3.0  # mean seconds between two API actions
    drain_seconds: float = 90.0  # the most the queues get to empty at the end
    seed: int = 1


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    actions: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    resets: Counter[str] = field(default_factory=Counter)  # password resets asked, by email

    def say(self, text: str) -> None:
        self.lines.append(text)
        print(text, flush=True)


def run(database_url: str, plan: Plan, workdir: Path) -> Outcome:
    """The whole run against a migrated, empty database; the outcome's problems are the
    violations found."""
    wiring.install()  # every job registered: the checks go through all of them
    outcome = Outcome()
    settings = Settings(environment="test", secret_key=SECRET_KEY,
                        database_url=database_url)
    database = Database.from_url(database_url)
    try:
        with snmpd_agent(workdir / "snmpd") as agent, smtp_server() as (inbox, smtp_port), \
                peers.nas(NAS_SECRET) as nas:
            seeded = seed(database, settings, nas_port=nas.port, snmp_port=agent.port,
                          devices=plan.devices, interval=plan.interval,
                          subscribers=plan.subscribers, sessions=plan.sessions)
            outcome.say(f"seeded: {plan.devices} devices (every {plan.interval} s, snmpd on "
                        f"udp {agent.port}), {plan.subscribers} subscribers "
                        f"({plan.sessions} online), NAS on udp {nas.port}, SMTP on "
                        f"{smtp_port}")
            env = peers.environment(database_url, SECRET_KEY, smtp_port)
            started_at = utcnow()
            serves: list[peers.Serve] = []
            try:
                for name in ("serve-a", "serve-b"):
                    serves.append(peers.start(name, env, workdir))
                outcome.say("started: " + ", ".join(
                    f"{s.name} pid {s.process.pid} at {s.base}" for s in serves))
                drive(database, seeded, serves, plan, outcome)
                drained = drain(database, plan.drain_seconds)
                outcome.say(f"queues {'drained' if drained else 'NOT drained'} at the end")
            finally:
                stopped_at = utcnow()
                killed = peers.stop(serves)
            outcome.problems += [f"{name} did not stop on SIGTERM (killed)" for name in killed]
            window = checks.Window(started_at, stopped_at)
            pids = {s.process.pid: s.name for s in serves}
            for problems in (
                    checks.check_polls(database, seeded.device_ids, plan.interval, window,
                                       outcome.say),
                    checks.check_coa(database, list(nas.received), _resend_seconds(settings),
                                     outcome.say),
                    checks.check_mail(database, list(inbox.messages), outcome.resets,
                                      outcome.say),
                    checks.check_billing(database, seeded.subscription_ids, outcome.say),
                    checks.check_jobs(database, pids, window, outcome.say)):
                outcome.problems += problems
    finally:
        database.dispose()
    for serve_log in sorted(workdir.glob("serve-*.log")):
        errors = [line for line in serve_log.read_text(errors="replace").splitlines()
                  if "Traceback" in line or " ERROR " in line]
        if errors:
            outcome.say(f"{serve_log.name}: {len(errors)} error lines, first: {errors[0][:200]}")
    return outcome


def drive(database: Database, seeded: Seeded, serves: list[peers.Serve], plan: Plan,
          outcome: Outcome) -> None:
    """Wait for the billing run, then suspend/restore and ask for password resets at random
    moments through either process's API until the plan's time is up."""
    chance = random.Random(plan.seed)
    deadline = time.monotonic() + plan.seconds
    billed = _wait_for(lambda: _billing_done(database), min(120.0, plan.seconds))
    outcome.say(f"billing run {'done' if billed else 'NOT done'} before the actions")
    suspended: set[uuid.UUID] = set()
    clients = {s.name: httpx.Client(base_url=s.base, timeout=30,
                                    headers={"Authorization": f"Bearer {seeded.token}"})
               for s in serves}
    try:
        while time.monotonic() < deadline:
            time.sleep(min(chance.expovariate(1 / plan.pause),
                           max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
            name = chance.choice(sorted(clients))
            client = clients[name]
            if chance.random() < 0.75 and seeded.with_session:
                sub_id = chance.choice(seeded.with_session)
                target = "active" if sub_id in suspended else "suspended"
                response = client.post(f"{API}/subscriptions/{sub_id}/status",
                                       json={"status": target, "reason": "two serves",
                                             "notify": True})
                if response.status_code == 200:
                    suspended.symmetric_difference_update({sub_id})
                action = "restore" if target == "active" else "suspend"
            else:
                email = chance.choice(seeded.staff_emails)
                response = client.post(f"{API}/auth/password-reset/request",
                                       json={"email": email})
                if response.status_code == 202:
                    outcome.resets[email] += 1
                action = "password reset"
            outcome.actions[(name, action, response.status_code)] += 1
    finally:
        for client in clients.values():
            client.close()
    outcome.say("actions: " + ", ".join(f"{n} {a} -> {code}: {count}" for (n, a, code), count
                                        in sorted(outcome.actions.items())))
    unexpected = [key for key in outcome.actions if key[2] not in (200, 202)]
    outcome.problems += [f"{n}: {a} answered {code}" for n, a, code in unexpected]


def _resend_seconds(settings: Settings) -> float:
    radius = settings.radius
    return radius.coa_timeout_seconds * (radius.coa_retries + 1)


def _billing_done(database: Database) -> bool:
    with database.unit_of_work(write=False) as session:
        return bool(session.scalar(select(func.count()).select_from(JobRun).where(
            JobRun.job == "billing.run_recurring", JobRun.status == "succeeded")))


def _pending(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        coa = session.scalar(select(func.count()).select_from(CoaRequest).where(
            CoaRequest.state == "pending")) or 0
        mail = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status.in_(["queued", "retrying", "sending"]))) or 0
    return int(coa + mail)


def drain(database: Database, seconds: float) -> bool:
    """Wait (up to `seconds`) until no CoA and no email is waiting to be sent."""
    return _wait_for(lambda: _pending(database) == 0, seconds)


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if condition():  # type: ignore[operator]
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--interval", type=int, default=60, help="device poll interval (s)")
    parser.add_argument("--subscribers", type=int, default=40)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--pause", type=float, default=3.0,
                        help="mean seconds between API actions")
    add_url_argument(parser)
    args = parser.parse_args()
    plan = Plan(seconds=args.minutes * 60, devices=args.devices, interval=args.interval,
                subscribers=args.subscribers, sessions=args.sessions, pause=args.pause)
    started = time.monotonic()
    with scratch_database(args.url) as url, \
            tempfile.TemporaryDirectory(prefix="dotmac-two-serves-") as tmp:
        outcome = run(url, plan, Path(tmp))
    print(f"\nran {timedelta(seconds=int(time.monotonic() - started))}; "
          f"{len(outcome.problems)} violation(s)")
    for problem in outcome.problems[:50]:
        print(f"  VIOLATION {problem}")
    if len(outcome.problems) > 50:
        print(f"  ... and {len(outcome.problems) - 50} more")
    sys.exit(1 if outcome.problems else 0)


if __name__ == "__main__":
    main()
