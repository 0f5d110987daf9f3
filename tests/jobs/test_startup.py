"""Who runs the jobs: without a broker `serve` runs the scheduler; with DOTMAC_BROKER_URL it
runs none and sends asked-for jobs to Celery; worker and beat refuse to start without one."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dotmac_isp import cli
from dotmac_isp.config import Settings
from dotmac_isp.jobs import dispatch, scheduler
from dotmac_isp.main import create_app
from tests.conftest import RollbackDatabase


def test_with_a_broker_serve_runs_no_scheduler(settings: Settings, db: RollbackDatabase) -> None:
    with_broker = settings.model_copy(update={"broker_url": "redis://127.0.0.1:9/0"})
    app = create_app(with_broker, db, configure_logs=False,  # type: ignore[arg-type]
                     background=True)
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            assert scheduler.active() is None
            assert dispatch._celery and dispatch._celery[0].conf.broker_url == (
                "redis://127.0.0.1:9/0")
    finally:
        dispatch.send_to(None)


def test_worker_and_beat_need_a_broker() -> None:
    runner = CliRunner()
    cli.get_settings.cache_clear()
    try:
        for command in ("worker", "beat"):
            result = runner.invoke(cli.app, [command], env={"DOTMAC_BROKER_URL": ""})
            assert result.exit_code == 1
            assert "DOTMAC_BROKER_URL is not set" in result.output
    finally:
        cli.get_settings.cache_clear()
