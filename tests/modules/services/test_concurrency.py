"""Two operators act on one subscription at the same moment: only one move wins.

Runs on committed data with one connection per thread, on both databases.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.services import lifecycle
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.modules.services.service import history as sub_history
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import PageParams
from tests.support.customers import make_customer, make_subscription
from tests.support.factories import make_tenant


@pytest.fixture
def committed(engine: Engine, settings: Settings) -> Iterator[tuple[Database, uuid.UUID,
                                                                    uuid.UUID]]:
    database = Database(engine)
    with database.unit_of_work() as session:
        tenant = make_tenant(session, f"race-{uuid.uuid4().hex[:8]}")
        sub = make_subscription(session, settings, tenant, status=SubscriptionStatus.ACTIVE,
                                customer=make_customer(session, tenant, email=None))
        ids = tenant.id, sub.id
    yield database, *ids
    with database.unit_of_work() as session:
        session.execute(delete(Subscription).where(Subscription.tenant_id == ids[0]))
        session.execute(delete(Tenant).where(Tenant.id == ids[0]))


S = SubscriptionStatus


# Pairs where either order, applied one after the other, leaves exactly one legal: so two
# requests made against the same state can never both go through.
@pytest.mark.parametrize(("start", "targets"), [
    (S.ACTIVE, (S.SUSPENDED, S.SUSPENDED)),
    (S.ACTIVE, (S.TERMINATED, S.TERMINATED)),
    (S.PROVISIONING, (S.ACTIVE, S.FAILED)),
], ids=["suspend-twice", "terminate-twice", "activate-or-fail"])
def test_concurrent_transitions_never_both_succeed(
        committed: tuple[Database, uuid.UUID, uuid.UUID], start: SubscriptionStatus,
        targets: tuple[SubscriptionStatus, SubscriptionStatus]) -> None:
    database, tenant_id, sub_id = committed
    if start != S.ACTIVE:
        with database.unit_of_work() as session:
            sub = session.get(Subscription, sub_id)
            assert sub is not None
            sub.status = start.value  # a subscription caught mid-provisioning
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []

    def attempt(target: SubscriptionStatus) -> None:
        barrier.wait()
        try:
            with database.unit_of_work() as session:
                lifecycle.transition(session, tenant_id, sub_id, target, reason="race")
            outcomes.append(f"ok:{target.value}")
        except Conflict as exc:
            outcomes.append(f"refused:{exc.detail}")

    threads = [threading.Thread(target=attempt, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [o for o in outcomes if o.startswith("ok:")]
    assert len(outcomes) == 2 and len(winners) == 1, outcomes
    with database.unit_of_work(write=False) as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None and sub.status == winners[0].removeprefix("ok:")
        moves = sub_history(session, tenant_id, sub_id, PageParams(limit=50)).items
        assert [m.reason for m in moves].count("race") == 1
