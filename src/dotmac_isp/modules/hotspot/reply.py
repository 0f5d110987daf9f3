"""What a voucher gets: the reason it is refused, or the Access-Accept attributes that hand
the NAS what is left of it (time, data, speed). Pure functions over snapshots."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from dotmac_isp.config import RadiusSettings
from dotmac_isp.modules.hotspot.enums import VoucherState
from dotmac_isp.modules.network.radius import policy
from dotmac_isp.modules.network.radius.enums import NasVendor
from dotmac_isp.modules.network.radius.policy import Pair

REJECT_USED_UP = "voucher used up"
REJECT_EXPIRED = "voucher expired"
REJECT_REVOKED = "voucher revoked"
REJECT_DEVICES = "voucher already in use on its maximum number of devices"
# Voucher sessions report often: what they use is taken off what is left.
INTERIM_SECONDS = 60
_MAX_TIMEOUT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class PlanEntry:
    id: uuid.UUID
    time_allowance_seconds: int | None
    data_allowance_bytes: int | None
    validity_seconds: int | None
    download_kbps: int | None
    upload_kbps: int | None
    devices: int
    mac_login: bool


@dataclass(slots=True)
class VoucherEntry:
    id: uuid.UUID
    tenant_id: uuid.UUID
    code: str  # lower case: the key User-Names are looked up by
    plan_id: uuid.UUID
    state: str
    mac: str | None
    activated_at: datetime | None
    expires_at: datetime | None
    used_seconds: int
    used_octets: int


def refusal(entry: VoucherEntry, plan: PlanEntry, now: datetime) -> str | None:
    """Why the voucher may not log in now, or None."""
    if entry.state == VoucherState.REVOKED:
        return REJECT_REVOKED
    if entry.state == VoucherState.EXPIRED or (entry.expires_at is not None
                                               and entry.expires_at <= now):
        return REJECT_EXPIRED
    if entry.state == VoucherState.USED_UP or time_left(entry, plan) == 0 or \
            data_left(entry, plan) == 0:
        return REJECT_USED_UP
    return None


def time_left(entry: VoucherEntry, plan: PlanEntry) -> int | None:
    if plan.time_allowance_seconds is None:
        return None
    return max(0, plan.time_allowance_seconds - entry.used_seconds)


def data_left(entry: VoucherEntry, plan: PlanEntry) -> int | None:
    if plan.data_allowance_bytes is None:
        return None
    return max(0, plan.data_allowance_bytes - entry.used_octets)


def session_timeout(entry: VoucherEntry, plan: PlanEntry, now: datetime) -> int | None:
    """The seconds this login may last: the time allowance left or the validity left,
    whichever ends first (None: neither limits it)."""
    limits = [t for t in (time_left(entry, plan),) if t is not None]
    if entry.expires_at is not None:
        limits.append(max(0, int((entry.expires_at - now).total_seconds())))
    elif entry.activated_at is None and plan.validity_seconds:
        limits.append(plan.validity_seconds)
    return min(min(limits), _MAX_TIMEOUT) if limits else None


def accept_pairs(entry: VoucherEntry, plan: PlanEntry, vendor: str, now: datetime,
                 settings: RadiusSettings) -> list[Pair]:
    pairs: list[Pair] = policy.rate_pairs(vendor, plan.download_kbps, plan.upload_kbps, None,
                                          settings, burst=False)
    timeout = session_timeout(entry, plan, now)
    if timeout is not None:
        pairs.append(("Session-Timeout", max(1, timeout)))
    left = data_left(entry, plan)
    if left is not None and vendor == NasVendor.MIKROTIK:
        # octets in the low 32 bits, 4 GiB units above: MikroTik's Gigawords convention
        pairs += [("Mikrotik-Total-Limit", left & 0xFFFFFFFF),
                  ("Mikrotik-Total-Limit-Gigawords", left >> 32)]
    pairs.append(("Acct-Interim-Interval", INTERIM_SECONDS))
    return pairs
