"""The full policy load does not pay, per subscriber, for what most subscribers do not need
before the next load: passwords are decrypted when the subscriber authenticates (once, then
kept), and addresses from IPAM, validated when allocated, are not parsed again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.network.radius import addresses, policy
from dotmac_isp.modules.network.radius.cache import PolicyCache
from dotmac_isp.modules.services.enums import SubscriptionStatus
from dotmac_isp.shared import crypto
from tests.conftest import RollbackDatabase
from tests.modules.network.radius.test_policy_load_scale import _addressed_plan
from tests.support.customers import make_subscription


def test_passwords_are_decrypted_at_authentication_once_not_at_load(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _addressed_plan(session, tenant)
    subs = [make_subscription(session, settings, tenant, plan=plan,
                              status=SubscriptionStatus.ACTIVE,
                              radius_password=f"secret-{n}") for n in range(5)]
    session.flush()
    decrypted: list[str] = []
    real = crypto.decrypt

    def counting(key: str, token: str) -> str:
        decrypted.append(token)
        return real(key, token)

    monkeypatch.setattr(crypto, "decrypt", counting)
    profiles = {p.subscription_id: p
                for p in PolicyCache(db, settings).load_all().profiles}  # type: ignore[arg-type]
    assert decrypted == []
    first = profiles[subs[2].id]
    assert first.password == b"secret-2"
    assert first.password == b"secret-2"
    assert len(decrypted) == 1
    assert profiles[subs[4].id].password == b"secret-4"
    assert len(decrypted) == 2


def test_a_password_that_cannot_be_decrypted_never_matches(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant) -> None:
    plan = _addressed_plan(session, tenant)
    sub = make_subscription(session, settings, tenant, plan=plan,
                            status=SubscriptionStatus.ACTIVE, radius_password="right-one")
    session.flush()
    profile = next(p for p in PolicyCache(db, settings).load_all().profiles  # type: ignore[arg-type]
                   if p.subscription_id == sub.id)
    stranger = policy.Profile(profile.tenant_id, profile.subscription_id, profile.username,
                              profile.sealed_password, profile.status, profile.plan_id,
                              key="another-secret-key-0123456789-abcdefghij")
    assert stranger.password == b""
    assert profile.password == b"right-one"


def test_addresses_from_ipam_are_not_parsed_again(
        db: RollbackDatabase, session: Session, settings: Settings, tenant: Tenant,
        monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _addressed_plan(session, tenant)
    for _ in range(3):
        make_subscription(session, settings, tenant, plan=plan,
                          status=SubscriptionStatus.ACTIVE)
    session.flush()

    def refuse(value: Any) -> Any:
        raise AssertionError(f"{value} parsed again")

    monkeypatch.setattr(addresses, "_ipv4", refuse)
    monkeypatch.setattr(addresses, "_ipv6_prefix", refuse)
    # this tenant's: other tests may have left committed subscribers in the database
    profiles = [p for p in PolicyCache(db, settings).load_all().profiles  # type: ignore[arg-type]
                if p.tenant_id == tenant.id]
    assert len(profiles) == 3
    assert all(p.ipv4 and p.ipv4.startswith("100.70.0.") for p in profiles)
    assert all(p.ipv6_prefix and p.ipv6_prefix.endswith("/56") for p in profiles)
