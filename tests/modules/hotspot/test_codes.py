"""Voucher codes: unguessable, without look-alike characters, unique per tenant."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dotmac_isp.modules.hotspot import codes, service
from dotmac_isp.modules.hotspot.models import Voucher
from dotmac_isp.modules.identity.models import Tenant
from tests.modules.hotspot.support import make_batch, make_voucher_plan

LOOK_ALIKES = set("0O1IL")


def test_ten_thousand_codes_in_a_batch_are_unique_and_have_no_look_alikes(
        session: Session, tenant: Tenant) -> None:
    plan = make_voucher_plan(session, tenant)
    batch = make_batch(session, tenant, plan, 10_000)
    made = session.scalars(select(Voucher.code).where(Voucher.batch_id == batch.id)).all()
    assert len(made) == 10_000 == len(set(made))
    assert all(len(code) == 10 for code in made)
    assert not LOOK_ALIKES & set("".join(made))
    assert set("".join(made)) <= set(codes.ALPHABET)
    # every character of the alphabet is used: the codes are drawn from all of it
    assert set("".join(made)) == set(codes.ALPHABET)


def test_a_new_batch_never_reuses_a_code_the_tenant_has(session: Session, tenant: Tenant,
                                                        monkeypatch: object) -> None:
    plan = make_voucher_plan(session, tenant)
    first = make_batch(session, tenant, plan, 2)
    taken = [v.code for v in service.batch_vouchers(session, tenant.id, first.id)]
    # the generator offers the taken codes first: they are skipped, fresh ones drawn
    offered = iter([*taken, "ABCDEFGHJK", "BCDEFGHJKM"])
    monkeypatch.setattr(codes, "new_code", lambda length=10: next(offered))  # type: ignore[attr-defined]
    second = make_batch(session, tenant, plan, 2)
    assert sorted(v.code for v in service.batch_vouchers(session, tenant.id, second.id)) == [
        "ABCDEFGHJK", "BCDEFGHJKM"]
    assert session.scalar(select(func.count()).select_from(Voucher).where(
        Voucher.tenant_id == tenant.id)) == 4


def test_codes_and_macs_are_read_as_people_and_nases_write_them() -> None:
    assert codes.normal_code(" abcde-fghjk ") == "ABCDEFGHJK"
    assert codes.looks_like_code("abcde fghjk") and not codes.looks_like_code("ABC")
    assert codes.normal_mac("AA-BB-CC-00-11-22") == "aa:bb:cc:00:11:22"
    assert codes.normal_mac("aabb.cc00.1122") == "aa:bb:cc:00:11:22"
    assert codes.normal_mac("not a mac") is None
