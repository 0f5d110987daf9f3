"""The application factory: routers, middleware, error handlers, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from dotmac_isp import __version__, wiring
from dotmac_isp.config import Settings, get_settings
from dotmac_isp.jobs import dispatch
from dotmac_isp.jobs import web as jobs_web
from dotmac_isp.jobs.celery_app import create_celery
from dotmac_isp.jobs.scheduler import Scheduler
from dotmac_isp.jobs.tracing import instrument_celery
from dotmac_isp.modules.billing import api as billing_api
from dotmac_isp.modules.billing import bank_api as billing_bank_api
from dotmac_isp.modules.billing import bank_web as billing_bank_web
from dotmac_isp.modules.billing import portal_invoice as billing_portal_invoice
from dotmac_isp.modules.billing import portal_web as billing_portal_web
from dotmac_isp.modules.billing import settings_web as billing_settings_web
from dotmac_isp.modules.billing import web as billing_web
from dotmac_isp.modules.billing import web_lists as billing_lists
from dotmac_isp.modules.billing import web_payments as billing_payments_web
from dotmac_isp.modules.billing import web_tax_categories as tax_categories_web
from dotmac_isp.modules.billing import web_tenant_settings as tenant_settings_web
from dotmac_isp.modules.billing.einvoice import web as einvoice_web
from dotmac_isp.modules.billing.gateways import card_web as gateways_card_web
from dotmac_isp.modules.billing.gateways import direct_debit_api as gateways_direct_debit_api
from dotmac_isp.modules.billing.gateways import (
    direct_debit_portal_web as gateways_direct_debit_portal_web,
)
from dotmac_isp.modules.billing.gateways import (
    direct_debit_staff_web as gateways_direct_debit_staff_web,
)
from dotmac_isp.modules.billing.gateways import (
    gocardless_settings_web as gateways_gocardless_settings_web,
)
from dotmac_isp.modules.billing.gateways import portal_web as gateways_portal_web
from dotmac_isp.modules.billing.gateways import settings_web as gateways_settings_web
from dotmac_isp.modules.billing.gateways import staff_web as gateways_staff_web
from dotmac_isp.modules.billing.gateways import webhook_api as gateways_webhook_api
from dotmac_isp.modules.customers import api as customers_api
from dotmac_isp.modules.customers import portal_account_web as customers_portal_account_web
from dotmac_isp.modules.customers import portal_web as customers_portal_web
from dotmac_isp.modules.customers import web as customers_web
from dotmac_isp.modules.customers import web_lists as customers_lists
from dotmac_isp.modules.field import api as field_api
from dotmac_isp.modules.field import web as field_web
from dotmac_isp.modules.hotspot import api as hotspot_api
from dotmac_isp.modules.hotspot import portal_buy_web as hotspot_portal_buy_web
from dotmac_isp.modules.hotspot import portal_web as hotspot_portal_web
from dotmac_isp.modules.hotspot import web as hotspot_web
from dotmac_isp.modules.hotspot import web_batches as hotspot_web_batches
from dotmac_isp.modules.identity import api as identity_api
from dotmac_isp.modules.identity import web as identity_web
from dotmac_isp.modules.identity import web_audit as identity_audit_web
from dotmac_isp.modules.identity import web_roles as identity_roles_web
from dotmac_isp.modules.identity import web_sessions
from dotmac_isp.modules.identity import web_setup as identity_setup_web
from dotmac_isp.modules.identity import web_users as identity_users_web
from dotmac_isp.modules.inventory import api as inventory_api
from dotmac_isp.modules.inventory import api_jobs as inventory_api_jobs
from dotmac_isp.modules.inventory import web as inventory_web
from dotmac_isp.modules.inventory import web_jobs as inventory_web_jobs
from dotmac_isp.modules.map import api as map_api
from dotmac_isp.modules.map import web as map_web
from dotmac_isp.modules.map import web_customers as map_customers_web
from dotmac_isp.modules.map import web_settings as map_settings_web
from dotmac_isp.modules.network.alerts import api as alerts_api
from dotmac_isp.modules.network.devices import api as devices_api
from dotmac_isp.modules.network.devices import web as devices_web
from dotmac_isp.modules.network.devices import web_edit as devices_edit_web
from dotmac_isp.modules.network.devices.backups import api as backups_api
from dotmac_isp.modules.network.ipam import api as ipam_api
from dotmac_isp.modules.network.ipam import web as ipam_web
from dotmac_isp.modules.network.radius import api as radius_api
from dotmac_isp.modules.network.radius import web as radius_web
from dotmac_isp.modules.network.topology import api as topology_api
from dotmac_isp.modules.network.topology import web as topology_web
from dotmac_isp.modules.notifications import api as notifications_api
from dotmac_isp.modules.reports import web as reports_web
from dotmac_isp.modules.resellers import api as resellers_api
from dotmac_isp.modules.resellers import portal_web as resellers_portal_web
from dotmac_isp.modules.resellers import web as resellers_web
from dotmac_isp.modules.resellers import web_statements as resellers_statements_web
from dotmac_isp.modules.sales import api as sales_api
from dotmac_isp.modules.sales import public_web as sales_public_web
from dotmac_isp.modules.sales import web as sales_web
from dotmac_isp.modules.services import api as services_api
from dotmac_isp.modules.services import web as services_web
from dotmac_isp.modules.services import web_lists as services_lists
from dotmac_isp.modules.services import web_plans as services_plans_web
from dotmac_isp.modules.support import api as support_api
from dotmac_isp.modules.support import portal_web as support_portal_web
from dotmac_isp.modules.support import web as support_web
from dotmac_isp.modules.support import web_lists as support_lists
from dotmac_isp.observability import tracing
from dotmac_isp.observability.http import RequestContextMiddleware
from dotmac_isp.observability.logs import configure_logging
from dotmac_isp.sdks.services import metrics
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.web_errors import install_error_handlers
from dotmac_isp.web import search as global_search
from dotmac_isp.web.error_pages import install_error_pages
from dotmac_isp.web.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from dotmac_isp.web.templating import STATIC_DIR, install_web_handlers

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, database: Database | None = None,
               *, configure_logs: bool = True, background: bool = False) -> FastAPI:
    """Build the ASGI application. Tests pass their own settings and database.

    background=True (as `serve` does) also runs the job scheduler beside the HTTP server.
    """
    settings = settings or get_settings()
    db = database or Database.from_url(settings.database_url, echo=settings.database_echo)
    if configure_logs:
        configure_logging(settings.log_level, json_lines=settings.log_json)
    wiring.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = start_jobs(db, settings) if background else None
        yield
        if scheduler is not None:
            scheduler.stop()
        provider = getattr(app.state, "tracer_provider", None)
        if provider is not None:
            provider.shutdown()
        if database is None:
            db.dispose()

    app = FastAPI(
        title="DotMac ISP",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    install_error_handlers(app)
    install_web_handlers(app)
    install_error_pages(app)

    app.include_router(identity_api.router, prefix=API_PREFIX)
    app.include_router(customers_api.router, prefix=API_PREFIX)
    app.include_router(services_api.router, prefix=API_PREFIX)
    app.include_router(billing_api.router, prefix=API_PREFIX)
    app.include_router(support_api.router, prefix=API_PREFIX)
    app.include_router(field_api.router, prefix=API_PREFIX)
    app.include_router(field_api.templates_router, prefix=API_PREFIX)
    app.include_router(notifications_api.router, prefix=API_PREFIX)
    app.include_router(radius_api.router, prefix=API_PREFIX)
    app.include_router(hotspot_api.router, prefix=API_PREFIX)
    app.include_router(resellers_api.router, prefix=API_PREFIX)
    app.include_router(sales_api.router, prefix=API_PREFIX)
    app.include_router(identity_web.router)
    app.include_router(reports_web.router)
    app.include_router(identity_users_web.router)
    app.include_router(identity_setup_web.router)
    app.include_router(identity_roles_web.router)
    app.include_router(identity_audit_web.router)
    app.include_router(jobs_web.router)
    app.include_router(customers_lists.router)  # before /admin/customers/{id}
    app.include_router(customers_web.router)
    app.include_router(customers_portal_web.router)
    app.include_router(customers_portal_account_web.router)
    app.include_router(services_lists.router)  # before /admin/subscriptions/{id}
    app.include_router(services_web.router)
    app.include_router(services_plans_web.router)
    app.include_router(ipam_api.router, prefix=API_PREFIX)
    app.include_router(ipam_web.router)
    app.include_router(devices_api.router, prefix=API_PREFIX)
    app.include_router(backups_api.router, prefix=API_PREFIX)
    app.include_router(alerts_api.router, prefix=API_PREFIX)
    app.include_router(topology_api.router, prefix=API_PREFIX)
    app.include_router(inventory_api.router, prefix=API_PREFIX)
    app.include_router(inventory_api_jobs.router, prefix=API_PREFIX)
    app.include_router(inventory_web.router)
    app.include_router(topology_web.router)
    app.include_router(map_api.router, prefix=API_PREFIX)
    app.include_router(map_web.router)
    app.include_router(map_settings_web.router)
    app.include_router(map_customers_web.router)
    app.include_router(devices_edit_web.router)  # before /devices/{id}: it owns /devices/new
    app.include_router(devices_web.router)
    app.include_router(support_lists.router)  # before /admin/support/tickets/{id}
    app.include_router(support_web.router)
    app.include_router(support_portal_web.router)
    app.include_router(field_web.router)
    app.include_router(inventory_web_jobs.router)
    app.include_router(billing_bank_api.router, prefix=API_PREFIX)
    app.include_router(gateways_direct_debit_api.router, prefix=API_PREFIX)
    app.include_router(billing_lists.router)  # before /admin/invoices/{id}
    app.include_router(billing_web.router)
    app.include_router(einvoice_web.api_router, prefix=API_PREFIX)
    app.include_router(einvoice_web.admin_router)
    app.include_router(einvoice_web.portal_router)
    app.include_router(billing_payments_web.router)
    app.include_router(billing_portal_web.router)
    app.include_router(billing_portal_invoice.router)
    app.include_router(gateways_card_web.router)  # before /portal/{slug}/pay/...
    app.include_router(gateways_direct_debit_portal_web.router)
    app.include_router(gateways_direct_debit_staff_web.router)
    app.include_router(gateways_gocardless_settings_web.router)
    app.include_router(gateways_portal_web.router)
    app.include_router(gateways_settings_web.router)
    app.include_router(gateways_staff_web.router)
    app.include_router(gateways_webhook_api.router)
    app.include_router(billing_bank_web.router)
    app.include_router(billing_settings_web.router)
    app.include_router(tenant_settings_web.router)
    app.include_router(tax_categories_web.router)
    app.include_router(radius_web.router)
    app.include_router(hotspot_web.router)
    app.include_router(hotspot_web_batches.router)
    app.include_router(hotspot_portal_web.router)
    app.include_router(hotspot_portal_buy_web.router)
    app.include_router(resellers_statements_web.router)  # before /admin/resellers/{id}
    app.include_router(resellers_web.router)
    app.include_router(resellers_portal_web.router)
    app.include_router(sales_web.router)
    app.include_router(sales_public_web.router)
    app.include_router(global_search.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_operational_routes(app)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="dotmac_session",
        max_age=int(web_sessions.LIFETIME.total_seconds()),
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.http.max_body_bytes,
                       max_upload_bytes=settings.http.max_upload_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    provider = tracing.instrument_app(app, db, settings)
    celery = create_celery(settings) if settings.broker_url else None
    dispatch.send_to(celery)  # jobs asked for after a commit go to the workers, or in-process
    if celery is not None:
        instrument_celery(provider)
    return app


def start_jobs(db: Database, settings: Settings) -> Scheduler | None:
    """Start this deployment's one in-process job scheduler (stop() it at shutdown), or none
    when a broker is set: Celery beat and workers run the jobs then."""
    if settings.broker_url:
        log.info("jobs run on Celery workers and beat (DOTMAC_BROKER_URL is set): this "
                 "process runs no scheduler")
        return None
    scheduler = Scheduler(db, settings)
    scheduler.start()
    return scheduler


def create_worker_app() -> FastAPI:
    """The app of one of several API processes (`serve --workers N`), built in each worker
    from the environment. It runs no jobs: the supervising process runs them, once."""
    settings = get_settings()
    app = create_app(settings, background=False)
    if not settings.broker_url:  # a CoA or email asked for here goes out now, not in 30 s
        dispatch.run_in_this_process(app.state.db, settings)
    return app


def _add_operational_routes(app: FastAPI) -> None:
    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        """Browsers ask for /favicon.ico whatever the page says."""
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", tags=["health"], include_in_schema=False)
    def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], include_in_schema=False)
    def readyz(request: Request) -> JSONResponse:
        """The process can serve: the database answers."""
        db: Database = request.app.state.db
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means not ready
            log.warning("readiness check failed", extra={"error": str(exc)})
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
