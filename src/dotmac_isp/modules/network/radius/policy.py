"""What a subscriber gets: the Access-Accept attributes for a plan, a vendor and a status, or
the reason for a reject. Pure functions over snapshots, shared by the UDP server (which
encodes the result once per subscriber and vendor) and the rlm_rest endpoints."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from dotmac_isp.config import RadiusSettings
from dotmac_isp.modules.network.radius.enums import NasVendor
from dotmac_isp.sdks.radius.dictionary import load_dictionary
from dotmac_isp.shared import crypto
from dotmac_isp.shared.crypto import DecryptionFailed
from dotmac_isp.shared.macaddr import normalise_mac

log = logging.getLogger(__name__)
Pair = tuple[str, Any]
# Check items a plan's radius_attributes may carry; they are never sent to the NAS.
CHECK_ITEMS = frozenset({"Simultaneous-Use"})

REJECT_UNKNOWN = "Invalid username or password"
REJECT_PASSWORD = "Invalid username or password"
REJECT_TERMINATED = "Subscription terminated"
REJECT_INACTIVE = "Service not active"
REJECT_SUSPENDED = "Account suspended"
REJECT_SIMULTANEOUS = "Already online (simultaneous-use limit)"
REJECT_NO_CREDENTIALS = "No supported password attribute"
REJECT_CPE_MAC = "Device not registered for this service"


@dataclass(frozen=True, slots=True)
class PlanSnapshot:
    id: uuid.UUID
    download_kbps: int | None = None
    upload_kbps: int | None = None
    burst_download_kbps: int | None = None
    burst_upload_kbps: int | None = None
    burst_threshold_download_kbps: int | None = None
    burst_threshold_upload_kbps: int | None = None
    burst_time_seconds: int | None = None
    data_cap_mb: int | None = None
    fup_download_kbps: int | None = None
    fup_upload_kbps: int | None = None
    session_timeout_seconds: int | None = None
    interim_interval_seconds: int = 300
    radius_attributes: dict[str, Any] = field(default_factory=dict)
    require_cpe_mac: bool = False


@dataclass(slots=True)
class Profile:
    """One subscriber as the server knows it, keyed by (tenant, username).

    The password is kept as stored (encrypted) and decrypted the first time the subscriber
    authenticates, then kept: a full load of 10^5 subscribers does not pay for 10^5
    decryptions of passwords most of which are not needed before the next load."""

    tenant_id: uuid.UUID
    subscription_id: uuid.UUID
    username: str
    sealed_password: str  # as stored: encrypted with the key below
    status: str
    plan_id: uuid.UUID
    ipv4: str | None = None
    ipv6_prefix: str | None = None
    capped: bool = False
    cpe_macs: frozenset[str] = frozenset()  # MACs of the CPE installed at the subscription
    encoded: dict[str, bytes] = field(default_factory=dict)  # reply attributes per vendor
    key: str = field(default="", repr=False)
    _password: bytes | None = field(default=None, repr=False)

    @property
    def password(self) -> bytes:
        if self._password is None:
            try:
                self._password = crypto.decrypt(self.key, self.sealed_password).encode()
            except DecryptionFailed:
                self._password = b""  # never matches: the subscriber is rejected
        return self._password


@dataclass(frozen=True, slots=True)
class Decision:
    accept: bool
    reason: str
    pairs: tuple[Pair, ...] = ()


def _k(value: int) -> str:
    return f"{value}k"


def rate_pairs(vendor: str, down: int | None, up: int | None, plan: PlanSnapshot | None,
               settings: RadiusSettings, *, burst: bool = True) -> list[Pair]:
    """The vendor's rate-limit attributes for a download/upload speed in kbit/s."""
    if not down or not up:
        return []
    if vendor == NasVendor.MIKROTIK:
        # rx/tx as the router sees it: rx is the subscriber's upload, tx the download.
        value = f"{_k(up)}/{_k(down)}"
        if burst and plan is not None and plan.burst_download_kbps and plan.burst_upload_kbps:
            thr_up = plan.burst_threshold_upload_kbps or up
            thr_down = plan.burst_threshold_download_kbps or down
            seconds = plan.burst_time_seconds or 10
            value += (f" {_k(plan.burst_upload_kbps)}/{_k(plan.burst_download_kbps)}"
                      f" {_k(thr_up)}/{_k(thr_down)} {seconds}/{seconds}")
        return [("Mikrotik-Rate-Limit", value)]
    if vendor == NasVendor.CISCO:
        # ISG parameterised QoS: police the subscriber's input (upload) and output.
        return [
            ("Cisco-AVPair", f"ip:sub-qos-policy-in=add-class(sub,(class-default),"
                             f"police({up * 1000}))"),
            ("Cisco-AVPair", f"ip:sub-qos-policy-out=add-class(sub,(class-default),"
                             f"police({down * 1000}))"),
        ]
    if vendor == NasVendor.JUNIPER:
        # A dynamic service profile on the BNG, activated with the speeds as parameters.
        return [("ERX-Service-Activate:1",
                 f"{settings.juniper_service_profile}({down * 1000},{up * 1000})")]
    return []


def extra_pairs(attributes: dict[str, Any]) -> list[Pair]:
    """The plan's own extra reply attributes; unknown names are skipped (and logged)."""
    known = load_dictionary().attributes
    pairs: list[Pair] = []
    for name, value in attributes.items():
        base = name.partition(":")[0]
        if name in CHECK_ITEMS:
            continue
        if base not in known:
            log.warning("plan RADIUS attribute not in the dictionary", extra={"attribute": name})
            continue
        values = value if isinstance(value, list) else [value]
        pairs.extend((name, v) for v in values)
    return pairs


def simultaneous_use(plan: PlanSnapshot | None, settings: RadiusSettings) -> int:
    """How many sessions a subscriber may have at once; 0 means no limit."""
    if plan is not None and "Simultaneous-Use" in plan.radius_attributes:
        try:
            return max(0, int(plan.radius_attributes["Simultaneous-Use"]))
        except (TypeError, ValueError):
            pass
    return settings.default_simultaneous_use


def accept_pairs(profile: Profile, plan: PlanSnapshot | None, vendor: str,
                 settings: RadiusSettings) -> list[Pair]:
    """The Access-Accept attributes for an active subscriber (or a suspended one in the
    walled garden)."""
    if profile.status == "suspended":
        return garden_pairs(vendor, settings)
    pairs: list[Pair] = []
    if plan is not None:
        if profile.capped and plan.fup_download_kbps and plan.fup_upload_kbps:
            pairs += rate_pairs(vendor, plan.fup_download_kbps, plan.fup_upload_kbps, plan,
                                settings, burst=False)
        else:
            pairs += rate_pairs(vendor, plan.download_kbps, plan.upload_kbps, plan, settings)
        if plan.session_timeout_seconds:
            pairs.append(("Session-Timeout", plan.session_timeout_seconds))
        if plan.interim_interval_seconds:
            pairs.append(("Acct-Interim-Interval", plan.interim_interval_seconds))
    if profile.ipv4:
        pairs.append(("Framed-IP-Address", profile.ipv4))
    if profile.ipv6_prefix:
        pairs.append(("Delegated-IPv6-Prefix", profile.ipv6_prefix))
    if plan is not None:
        pairs += extra_pairs(plan.radius_attributes)
    return pairs


def garden_pairs(vendor: str, settings: RadiusSettings) -> list[Pair]:
    rate = settings.walled_garden_rate_kbps
    pairs: list[Pair] = [("Reply-Message", REJECT_SUSPENDED),
                         ("Session-Timeout", settings.walled_garden_session_timeout)]
    pairs += rate_pairs(vendor, rate, rate, None, settings, burst=False)
    if vendor == NasVendor.MIKROTIK and settings.walled_garden_address_list:
        pairs.append(("Mikrotik-Address-List", settings.walled_garden_address_list))
    if settings.walled_garden_pool:
        pairs.append(("Framed-Pool", settings.walled_garden_pool))
    if settings.walled_garden_filter:
        pairs.append(("Filter-Id", settings.walled_garden_filter))
    return pairs


def status_decision(profile: Profile | None, settings: RadiusSettings) -> Decision | None:
    """A reject that follows from who the subscriber is, before any password is looked at;
    None when the subscriber may log in (active, or suspended into the walled garden)."""
    if profile is None:
        return Decision(False, REJECT_UNKNOWN)
    if profile.status == "active":
        return None
    if profile.status == "suspended":
        if settings.suspended_policy == "walled_garden":
            return None
        return Decision(False, REJECT_SUSPENDED)
    if profile.status == "terminated":
        return Decision(False, REJECT_TERMINATED)
    return Decision(False, REJECT_INACTIVE)


def cpe_mac_decision(profile: Profile, plan: PlanSnapshot | None,
                     calling_station_id: str | None) -> Decision | None:
    """On a plan that requires the CPE's MAC, a reject unless the Calling-Station-Id is (in
    any written form) the MAC of equipment installed at the subscription; None otherwise."""
    if plan is None or not plan.require_cpe_mac:
        return None
    if normalise_mac(calling_station_id) in profile.cpe_macs:
        return None
    return Decision(False, REJECT_CPE_MAC)
