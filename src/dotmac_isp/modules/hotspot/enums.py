"""Hotspot enumerations."""

from __future__ import annotations

from enum import StrEnum


class VoucherState(StrEnum):
    UNUSED = "unused"
    ACTIVE = "active"  # logged in at least once, time, data and validity left
    USED_UP = "used_up"  # its time or data allowance is spent
    EXPIRED = "expired"  # its validity after the first login has run out
    REVOKED = "revoked"


# States a voucher never leaves.
FINISHED = frozenset({VoucherState.USED_UP, VoucherState.EXPIRED, VoucherState.REVOKED})


class PortalFlow(StrEnum):
    """How the captive portal hands the voucher code to the NAS."""

    MIKROTIK = "mikrotik"  # MikroTik's hotspot redirect: post back to link-login-only
    EXTERNAL = "external"  # a fixed NAS login URL configured for the site


class HotspotChange(StrEnum):
    """Policy-change kinds the RADIUS servers' voucher section follows."""

    VOUCHER = "hotspot_voucher"
    BATCH = "hotspot_batch"
    PLAN = "hotspot_plan"


class PurchaseStatus(StrEnum):
    """A voucher bought online: waiting for the payment, or paid (its voucher issued)."""

    OPEN = "open"
    PAID = "paid"
