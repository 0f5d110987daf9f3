"""`dotmac-isp import ...`: move subscribers in from another system from CSV files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from dotmac_isp import wiring
from dotmac_isp.config import get_settings
from dotmac_isp.modules.billing import opening
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services import importing
from dotmac_isp.shared import csv_import
from dotmac_isp.shared.csv_import import ImportReport, LineStatus
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import AppError

import_app = typer.Typer(help="Move subscribers in from another system (CSV files).",
                         no_args_is_help=True)
FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The CSV file")
TENANT = typer.Option(..., help="Tenant slug")
DRY_RUN = typer.Option(False, "--dry-run", help="Check and report every line; store nothing")
Importer = Callable[[Session, str, bool, uuid.UUID], ImportReport]


def _run(file: Path, tenant: str, dry_run: bool,
         importer: Importer) -> None:
    wiring.install()
    settings = get_settings()
    database = Database.from_url(settings.database_url)
    try:
        text = csv_import.decode(file.read_bytes())
        with database.unit_of_work() as session:
            tenant_id = identity_service.tenant_by_slug(session, tenant).id
            report = importer(session, text, dry_run, tenant_id)
    except AppError as exc:
        typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    for line in report.lines:
        if line.status != LineStatus.OK:
            typer.echo(f"line {line.line}: {line.status.value}: {'; '.join(line.messages)}",
                       err=line.status == LineStatus.ERROR)
    verb = "would be created (dry run)" if dry_run else "created"
    typer.echo(f"{report.ok} {verb}, {report.duplicates} already imported, "
               f"{report.failed} with errors")
    if report.failed:
        raise typer.Exit(code=2)


@import_app.command("subscriptions")
def import_subscriptions(file: Path = FILE, tenant: str = TENANT,
                         dry_run: bool = DRY_RUN) -> None:
    """Running subscriptions: customer, plan, radius_username, radius_password, started_on,
    next_billing_on, static_ip, status. Nothing before next_billing_on is billed."""
    settings = get_settings()
    _run(file, tenant, dry_run, lambda session, text, dry, tenant_id:
         importing.import_subscriptions(session, settings, tenant_id,
                                        text, dry_run=dry))


@import_app.command("opening-balances")
def import_opening_balances(file: Path = FILE, tenant: str = TENANT,
                            dry_run: bool = DRY_RUN) -> None:
    """Opening balances: customer, amount (positive owed, negative credit), as_of, reference."""
    _run(file, tenant, dry_run, lambda session, text, dry, tenant_id:
         opening.import_opening_balances(session, tenant_id,
                                         text, dry_run=dry))
