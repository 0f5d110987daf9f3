"""`dotmac-isp jobs run` as an operator runs it: --date runs a dated job as of that day."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from sqlalchemy import select

from dotmac_isp import db_migrate, wiring
from dotmac_isp.config import Settings
from dotmac_isp.modules.billing.models import DunningAction, Invoice
from dotmac_isp.shared.db import Database
from tests.modules.billing.helpers import world
from tests.support.factories import make_tenant
from tests.test_cli import run

DUNNING = {"reminder_days": [3], "final_notice_days": 10, "suspend_after_days": 14}


def test_jobs_run_takes_a_date(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DOTMAC_DATABASE_URL": url,
           "DOTMAC_LOG_JSON": "false", "DOTMAC_LOG_LEVEL": "WARNING"}
    db_migrate.upgrade(url)
    wiring.install()
    database = Database.from_url(url)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, "cli-dunning")
        w = world(session, settings, tenant, email=None, payment_terms_days=0, dunning=DUNNING)
        w.subscribe(date(2026, 4, 1))  # 30.00 due 1 April
        tenant_id = tenant.id

    early = run(env, "jobs", "run", "billing.dunning", "--date", "2026-04-02")
    assert early.returncode == 0, early.stderr
    assert "0 reminders" in early.stdout  # one day overdue: no reminder yet
    due = run(env, "jobs", "run", "billing.dunning", "--date", "2026-04-04")
    assert due.returncode == 0 and "1 reminders" in due.stdout, due.stdout + due.stderr
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(Invoice.status).where(
            Invoice.tenant_id == tenant_id)).all() == ["overdue"]
        assert session.scalars(select(DunningAction.stage).where(
            DunningAction.tenant_id == tenant_id)).all() == ["reminder_3"]
    database.dispose()

    bad = run(env, "jobs", "run", "billing.dunning", "--date", "4/4/2026")
    assert bad.returncode == 1 and "--date must be YYYY-MM-DD, not '4/4/2026'" in bad.stderr
    undated = run(env, "jobs", "run", "support.check_sla", "--date", "2026-04-04")
    assert undated.returncode == 1
    assert ("support.check_sla does not act on a date; --date is for: "
            "billing.charge_autopay, billing.dunning, billing.run_recurring, "
            "field.send_reminders, resellers.commission_statements" in undated.stderr)
    listed = run(env, "jobs", "list")
    assert "billing.dunning" in listed.stdout and "(takes --date)" in listed.stdout
