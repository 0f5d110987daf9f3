"""The dotmac-isp command."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

from dotmac_isp import db_migrate, wiring
from dotmac_isp.cli_import import import_app
from dotmac_isp.config import Settings, get_settings
from dotmac_isp.jobs import history, registry
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.modules.billing import run as billing_runner
from dotmac_isp.modules.billing.charging import local_date
from dotmac_isp.modules.identity import schemas, service, setup_state
from dotmac_isp.observability import tracing
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import AppError
from dotmac_isp.shared.types import utcnow

app = typer.Typer(help="DotMac ISP: operations platform for internet service providers.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (one per ISP).", no_args_is_help=True)
user_app = typer.Typer(help="Staff users.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
mail_app = typer.Typer(help="Email.", no_args_is_help=True)
radius_app = typer.Typer(help="The RADIUS AAA server.", no_args_is_help=True)
app.add_typer(radius_app, name="radius")
app.add_typer(jobs_app, name="jobs")
billing_app = typer.Typer(help="Billing.", no_args_is_help=True)
app.add_typer(billing_app, name="billing")
app.add_typer(mail_app, name="mail")
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(demo_app, name="demo")
app.add_typer(import_app, name="import")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _database() -> Database:
    wiring.install()
    settings = get_settings()
    return Database.from_url(settings.database_url)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    db_migrate.upgrade(get_settings().database_url, revision=revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="target, e.g. -1 or base")) -> None:
    """Undo migrations down to REVISION."""
    db_migrate.downgrade(get_settings().database_url, revision=revision)
    typer.echo(f"database at {revision}")


@tenant_app.command("create")
def tenant_create(
    name: str = typer.Option(..., help="The ISP's name"),
    slug: str = typer.Option(..., help="Short unique id: lowercase letters, digits, hyphens"),
    currency: str = typer.Option("USD", help="ISO 4217 currency code"),
    timezone: str = typer.Option("UTC", help="IANA time zone, e.g. Africa/Lagos"),
) -> None:
    """Create a tenant with the built-in roles."""
    db = _database()
    try:
        with db.unit_of_work() as session:
            tenant = service.create_tenant(session, name=name, slug=slug,
                                           currency=currency.upper(), timezone=timezone)
            typer.echo(f"tenant {tenant.slug} created (id {tenant.id})")
    except AppError as exc:
        _fail(exc.detail)


@user_app.command("create-admin")
def user_create_admin(
    tenant: str = typer.Option(..., help="Tenant slug"),
    email: str = typer.Option(...),
    full_name: str = typer.Option("", help="Display name"),
    password: str | None = typer.Option(None, help="Omit to be prompted"),
) -> None:
    """Create a staff user with the admin role in a tenant."""
    if password is None:
        if not sys.stdin.isatty():
            _fail("--password is required when not run from a terminal")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            _fail("the passwords differ")
    db = _database()
    try:
        with db.unit_of_work() as session:
            t = service.tenant_by_slug(session, tenant)
            role = service.role_by_name(session, t.id, "admin")
            data = schemas.UserCreate(email=email, full_name=full_name, password=password or "",
                                      role_id=role.id)
            user = service.create_user(session, get_settings(), t.id, data)
            typer.echo(f"admin {user.email} created in tenant {t.slug}")
    except AppError as exc:
        _fail(exc.detail)
    except ValueError as exc:
        _fail(str(exc).splitlines()[0] if str(exc) else "invalid input")


@demo_app.command("seed")
def demo_seed() -> None:
    """Fill a demo ISP (idempotent: running it again adds nothing)."""
    from dotmac_isp import demo

    db = _database()
    with db.unit_of_work() as session:
        result = demo.seed(session, get_settings())
    typer.echo(result.summary())


@jobs_app.command("list")
def jobs_list() -> None:
    """List the registered jobs and how often the scheduler runs them."""
    wiring.install()
    for spec in registry.all_jobs():
        every = f"every {spec.every}" if spec.every else "on demand"
        dated = " (takes --date)" if spec.dated else ""
        typer.echo(f"{spec.name:40} {every:20} {spec.description}{dated}")


@jobs_app.command("history")
def jobs_history(
    name: str | None = typer.Argument(None, help="Only this job"),
    limit: int = typer.Option(20, min=1, max=1000, help="How many runs"),
) -> None:
    """The latest job runs: when, how long, outcome, tenants that failed, summary."""
    db = _database()
    with db.unit_of_work(write=False) as session:
        for run in history.recent_runs(session, name, limit):
            took = ("running" if run.finished_at is None else
                    f"{(run.finished_at - run.started_at).total_seconds():7.1f}s")
            typer.echo(f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.job:40} {took:>8} "
                       f"{run.status:9} {run.summary}")


@jobs_app.command("run")
def jobs_run(
    name: str,
    date_: str | None = typer.Option(None, "--date", help="Run as of YYYY-MM-DD (default "
                                     "today in each tenant's time zone); dated jobs only"),
) -> None:
    """Run one job now."""
    db = _database()
    try:
        spec = registry.get(name)
    except KeyError as exc:
        _fail(str(exc.args[0]))
        return
    params: dict[str, object] = {}
    if date_ is not None:
        if not spec.dated:
            dated = ", ".join(s.name for s in registry.all_jobs() if s.dated)
            _fail(f"{name} does not act on a date; --date is for: {dated}")
        try:
            params["date"] = date.fromisoformat(date_)
        except ValueError:
            _fail(f"--date must be YYYY-MM-DD, not {date_!r}")
    settings = get_settings()
    with tracing.process(settings, "cli") as provider:
        if settings.broker_url:  # what the job queues (a CoA, an email) goes to the workers
            from dotmac_isp.jobs import dispatch
            from dotmac_isp.jobs.celery_app import create_celery
            from dotmac_isp.jobs.tracing import instrument_celery

            dispatch.send_to(create_celery(settings))
            instrument_celery(provider)  # ... in the job's trace
        with tracing.job_span(name):
            typer.echo(history.run_recorded(name, JobContext(db, settings, params=params)))


@jobs_app.command("enqueue")
def jobs_enqueue(
    name: str,
    date_: str | None = typer.Option(None, "--date", help="As of YYYY-MM-DD; dated jobs only"),
) -> None:
    """Queue one job for the Celery workers (needs DOTMAC_BROKER_URL)."""
    from dotmac_isp.jobs.celery_app import create_celery

    settings = get_settings()
    if not settings.broker_url:
        _fail("DOTMAC_BROKER_URL is not set; `dotmac-isp jobs run NAME` runs a job here")
    wiring.install()
    try:
        registry.get(name)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    params: dict[str, str] = {}
    if date_ is not None:
        try:
            params["date"] = date.fromisoformat(date_).isoformat()
        except ValueError:
            _fail(f"--date must be YYYY-MM-DD, not {date_!r}")
    create_celery(settings).send_task(name, kwargs={"trigger": "manual", "params": params})
    typer.echo(f"{name} queued")


@billing_app.command("run")
def billing_run(
    date_: str | None = typer.Option(None, "--date", help="Bill as of YYYY-MM-DD (default today)"),
    tenant: str | None = typer.Option(None, help="Only this tenant (slug)"),
    chunk_size: int = typer.Option(1000, min=1, max=100_000,
                                   help="Subscriptions per transaction"),
    pause: float = typer.Option(0.0, min=0, max=60,
                                help="Seconds to rest between chunks (eases the load)"),
) -> None:
    """Run recurring billing now. Safe to repeat: a subscription-period is billed once."""
    db = _database()
    try:
        day = date.fromisoformat(date_) if date_ else None
    except ValueError:
        _fail(f"--date must be YYYY-MM-DD, not {date_!r}")
        return
    with db.unit_of_work(write=False) as session:
        ids = service.active_tenant_ids(session)
        tenants = ([service.tenant_by_slug(session, tenant)] if tenant
                   else [service.get_tenant(session, t) for t in ids])
        targets = [(t.id, t.slug, t.timezone) for t in tenants]
    with tracing.process(get_settings(), "cli"):
        for tenant_id, slug, timezone in targets:
            with tracing.job_span("billing.run"):
                record = billing_runner.run(db, tenant_id,
                                            day or local_date(utcnow(), timezone),
                                            chunk_size=chunk_size, pause_seconds=pause)
            typer.echo(f"{slug}: {record.subscriptions_seen} subscriptions, "
                       f"{record.periods_billed} periods billed, {record.invoices_created} "
                       f"invoices created, {record.invoices_issued} issued, "
                       f"{len(record.errors)} errors")


@mail_app.command("receive")
def mail_receive(
    host: str | None = typer.Option(None, help="Bind address (default "
                                              "DOTMAC_NOTIFICATIONS_INBOUND_HOST, 127.0.0.1)"),
    port: int | None = typer.Option(None, help="SMTP port (default "
                                              "DOTMAC_NOTIFICATIONS_INBOUND_PORT, 2525)"),
) -> None:
    """Receive emailed replies over SMTP and file them on their tickets (until Ctrl-C)."""
    import signal
    import threading

    from dotmac_isp.modules.notifications.receiver import InboundServer
    from dotmac_isp.modules.notifications.settings import get_notification_settings

    db = _database()
    server = InboundServer(db, get_notification_settings(), app_settings=get_settings(),
                           host=host, port=port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    typer.echo(f"receiving mail on {server.host}:{server.port}", err=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        db.dispose()


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default DOTMAC_HOST)"),
    port: int | None = typer.Option(None, help="HTTP port (default DOTMAC_PORT)"),
    demo: bool = typer.Option(False, "--demo", help="Seed the demo ISP before starting"),
    migrate: bool = typer.Option(True, help="Apply migrations first"),
    radius: bool = typer.Option(True, help="Also run the RADIUS server"),
    workers: int | None = typer.Option(None, min=1, max=64, help="API processes on the port "
                                       "(default DOTMAC_WEB_CONCURRENCY, 1)"),
) -> None:
    """Start the platform: HTTP API and pages, RADIUS and the job scheduler (migrations are
    applied first). With DOTMAC_BROKER_URL set, jobs run on `dotmac-isp worker` and
    `dotmac-isp beat` instead of here."""
    import uvicorn

    from dotmac_isp.main import create_app
    from dotmac_isp.modules.network.radius.runner import RadiusThread

    settings = get_settings()
    if migrate:
        db_migrate.upgrade(settings.database_url)
    # before the RADIUS thread and the app, so both (and the scheduler's jobs) are traced
    tracing.setup(settings, "api")
    if demo:
        typer.echo("filling the demo ISP (on the first start this takes a little while)...")
        demo_seed()
    if radius and settings.radius.enabled:
        try:
            RadiusThread(settings, _database()).start()
            typer.echo(f"RADIUS on udp {settings.radius.host}:{settings.radius.auth_port} "
                       f"(auth), :{settings.radius.acct_port} (accounting)")
        except OSError as exc:  # e.g. the port is taken: the web side still starts
            typer.secho(f"RADIUS not started: {exc} (DOTMAC_RADIUS__HOST, __AUTH_PORT, "
                        "__ACCT_PORT)", fg=typer.colors.YELLOW, err=True)
    if settings.broker_url:
        typer.echo("jobs: on Celery workers and beat (DOTMAC_BROKER_URL); no scheduler here")
    else:
        typer.echo(f"jobs: in this process, up to {settings.jobs.concurrency} at once")
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"DotMac ISP listening on http://{bind_host}:{bind_port}  (pages at /admin, "
               f"API docs at /docs)")
    if not demo and _no_isp_yet():
        typer.echo(f"no ISP set up yet: open http://{bind_host}:{bind_port}/ to create it and "
                   "its first administrator")
    processes = workers or settings.web_concurrency
    try:
        if processes == 1:
            uvicorn.run(create_app(settings, background=True), host=bind_host, port=bind_port,
                        log_config=None, access_log=False, proxy_headers=False)
        else:
            _serve_processes(settings, bind_host, bind_port, processes)
    finally:
        tracing.shutdown()  # the spans still queued go out before the process ends


def _no_isp_yet() -> bool:
    """An empty database: the pages offer the first-run setup instead of a sign-in."""
    db = _database()
    try:
        with db.unit_of_work(write=False) as session:
            return setup_state.is_empty(session)
    finally:
        db.dispose()


PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def _celery_for_command() -> Any:
    from dotmac_isp.jobs.celery_app import create_celery
    from dotmac_isp.observability.logs import configure_logging

    settings = get_settings()
    if not settings.broker_url:
        _fail("DOTMAC_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/0); without a broker "
              "`dotmac-isp serve` runs the jobs itself")
    configure_logging(settings.log_level, json_lines=settings.log_json)
    return create_celery(settings)


@app.command(context_settings=PASS_THROUGH)
def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(4, min=1, max=256, help="Jobs run at once"),
    pool: str = typer.Option("threads", help="Celery pool: threads, prefork or solo"),
    loglevel: str = typer.Option("INFO", help="Celery's own log level"),
) -> None:
    """Run the jobs on a Celery worker (needs DOTMAC_BROKER_URL). Other options go to
    `celery worker`."""
    from dotmac_isp.jobs.celery_app import QUEUE

    celery = _celery_for_command()
    celery.worker_main(["worker", f"--pool={pool}", f"--concurrency={concurrency}",
                        f"--loglevel={loglevel}", f"--queues={QUEUE}", *ctx.args])


@app.command(context_settings=PASS_THROUGH)
def beat(
    ctx: typer.Context,
    schedule_file: Path = typer.Option(Path("var/celerybeat-schedule"),
                                       help="Where beat remembers each job's last run"),
    loglevel: str = typer.Option("INFO", help="Celery's own log level"),
) -> None:
    """Send each periodic job to the workers on its interval (run exactly one beat; needs
    DOTMAC_BROKER_URL). Other options go to `celery beat`."""
    celery = _celery_for_command()
    schedule_file.parent.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", f"--schedule={schedule_file}", f"--loglevel={loglevel}", *ctx.args])


def _serve_processes(settings: Settings, host: str, port: int, processes: int) -> None:
    """Several API processes on one port (uvicorn's supervisor, each built by the app
    factory). This process supervises them and runs the jobs, once, beside the RADIUS
    thread; the workers serve HTTP only."""
    import uvicorn

    from dotmac_isp.main import start_jobs
    from dotmac_isp.sdks.services import metrics, metrics_shared

    typer.echo(f"{processes} API processes; jobs and RADIUS in this one (pid {os.getpid()})")
    database = _database()
    scheduler = start_jobs(database, settings)
    try:
        # any worker answers /metrics for all of them and for this process's jobs and RADIUS
        with metrics_shared.shared_with_workers(metrics.REGISTRY):
            uvicorn.run("dotmac_isp.main:create_worker_app", factory=True,
                        workers=processes, host=host, port=port, log_config=None,
                        access_log=False, proxy_headers=False)
    finally:
        if scheduler is not None:
            scheduler.stop()
        database.dispose()


@radius_app.command("serve")
def radius_serve(
    host: str | None = typer.Option(None, help="Bind address (default DOTMAC_RADIUS__HOST)"),
    auth_port: int | None = typer.Option(None, help="Authentication port"),
    acct_port: int | None = typer.Option(None, help="Accounting port"),
    reuse_port: bool = typer.Option(False, help="SO_REUSEPORT: several processes, one port"),
    processes: int | None = typer.Option(
        None, min=1, max=64, help="Worker processes sharing the ports (default "
        "DOTMAC_RADIUS__PROCESSES, 1)"),
    metrics_port: int | None = typer.Option(
        None, min=0, max=65535, help="Serve /metrics here (worker N on this port + N; default "
        "DOTMAC_RADIUS__METRICS_PORT, 0: off)"),
    worker: int | None = typer.Option(None, hidden=True, help="This worker's index"),
) -> None:
    """Run the RADIUS server alone, in the foreground."""
    from dotmac_isp.modules.network.radius import supervisor
    from dotmac_isp.modules.network.radius.runner import serve_forever
    from dotmac_isp.observability.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    overrides = {k: v for k, v in (("host", host), ("auth_port", auth_port),
                                   ("acct_port", acct_port), ("processes", processes),
                                   ("metrics_port", metrics_port)) if v is not None}
    radius = settings.radius.model_copy(update=overrides)
    if radius.processes > 1 and worker is None:
        ports = [p or supervisor.free_udp_port(radius.host)
                 for p in (radius.auth_port, radius.acct_port)]
        env = {**os.environ, "DOTMAC_RADIUS__METRICS_PORT": str(radius.metrics_port),
               "DOTMAC_RADIUS__PROCESSES": str(radius.processes)}
        typer.echo(f"RADIUS on udp {radius.host}:{ports[0]} (auth), :{ports[1]} (accounting),"
                   f" {radius.processes} processes")
        code = supervisor.Supervisor(radius.processes, lambda i: supervisor.worker_command(
            i, radius.host, ports[0], ports[1]), env).run()
        raise typer.Exit(code)
    settings = settings.model_copy(update={"radius": radius})
    if worker is None:
        typer.echo(f"RADIUS on udp {radius.host}:{radius.auth_port} (auth), "
                   f":{radius.acct_port} (accounting)")
    with tracing.process(settings, "radius"):
        serve_forever(settings, _database(), reuse_port=reuse_port, worker=worker)


if __name__ == "__main__":
    app()
