"""A job asked for inside a unit of work is sent only once the transaction commits, once
however often it was asked for, and never when it rolls back: to the in-process scheduler
without a broker, to Redis (a real redis-server) through Celery with one."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select

from dotmac_isp.config import Settings
from dotmac_isp.jobs import dispatch
from dotmac_isp.jobs import scheduler as scheduler_module
from dotmac_isp.jobs.celery_app import QUEUE, create_celery
from dotmac_isp.jobs.models import JobRun
from dotmac_isp.jobs.scheduler import Scheduler
from dotmac_isp.shared.db import Database
from tests.conftest import RollbackDatabase
from tests.jobs.conftest import RegisterJob
from tests.support.redis_server import redis_server

JOB = "tests.after_commit"


class Rollback(Exception):
    pass


def ask_and_roll_back(db: RollbackDatabase) -> None:
    with pytest.raises(Rollback), db.unit_of_work() as session:
        dispatch.run_job_after_commit(session, JOB)
        raise Rollback


def ask_twice_and_commit(db: RollbackDatabase) -> None:
    with db.unit_of_work() as session:
        dispatch.run_job_after_commit(session, JOB)
        with session.begin_nested():  # a savepoint released is not the commit
            dispatch.run_job_after_commit(session, JOB)


@pytest.fixture
def idle_scheduler(db: RollbackDatabase, settings: Settings,
                   register_job: RegisterJob) -> Iterator[Scheduler]:
    """This process's scheduler, its loop not started: run_due() shows what was asked for."""
    runs: list[int] = []
    register_job(JOB, lambda ctx: str(runs.append(1)))
    scheduler = Scheduler(db, settings, only=[JOB])  # type: ignore[arg-type]
    scheduler_module._active[:] = [scheduler]
    dispatch.send_to(None)
    try:
        yield scheduler
    finally:
        scheduler_module._active[:] = []
        scheduler.stop()


def test_without_a_broker_the_scheduler_is_woken_only_after_commit(
        db: RollbackDatabase, idle_scheduler: Scheduler) -> None:
    ask_and_roll_back(db)
    assert idle_scheduler.run_due() == []
    ask_twice_and_commit(db)
    assert idle_scheduler.run_due() == [JOB]
    assert idle_scheduler.stop(timeout=30) == []
    assert idle_scheduler.run_due() == []  # asked for once


def test_without_a_broker_or_scheduler_nothing_is_sent(db: RollbackDatabase) -> None:
    dispatch.send_to(None)
    assert scheduler_module.active() is None
    assert dispatch.run_job_soon("radius.deliver_coa") is False


def test_with_a_broker_the_task_is_queued_once_after_commit(
        db: RollbackDatabase, settings: Settings, register_job: RegisterJob) -> None:
    register_job(JOB, lambda ctx: "ran")
    with redis_server() as url:
        celery = create_celery(settings.model_copy(update={"broker_url": url}))
        broker = redis.Redis.from_url(url)
        dispatch.send_to(celery)
        try:
            ask_and_roll_back(db)
            assert broker.llen(QUEUE) == 0
            ask_twice_and_commit(db)
            assert broker.llen(QUEUE) == 1
            [raw] = broker.lrange(QUEUE, 0, -1)
            message = json.loads(raw)
            _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            assert message["headers"]["task"] == JOB and kwargs == {"trigger": "dispatch"}
        finally:
            dispatch.send_to(None)
            broker.close()


def test_an_api_worker_without_a_scheduler_runs_an_asked_for_job_on_its_own_thread(
        committing_db: Database, settings: Settings, register_job: RegisterJob) -> None:
    ran = threading.Event()
    register_job(JOB, lambda ctx: str(ran.set()))
    dispatch.send_to(None)
    assert scheduler_module.active() is None
    dispatch.run_in_this_process(committing_db, settings)
    try:
        ask_twice_and_commit(committing_db)  # type: ignore[arg-type]
        assert ran.wait(30)
        deadline = time.monotonic() + 30
        runs: list[tuple[str, str]] = []
        while time.monotonic() < deadline:
            with committing_db.unit_of_work(write=False) as session:
                runs = [(r.trigger, r.status) for r in session.scalars(
                    select(JobRun).where(JobRun.job == JOB))]
            if runs and all(status != "running" for _, status in runs):
                break
            time.sleep(0.05)
        assert runs == [("dispatch", "succeeded")]  # under its lease and recorded, once
    finally:
        dispatch._local.clear()
