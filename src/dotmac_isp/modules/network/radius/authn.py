"""Access-Request handling for the UDP server: check the packet, the password and the
subscriber's status from memory, and build the signed reply from pre-encoded attributes."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from dotmac_isp.config import RadiusSettings
from dotmac_isp.modules.network.radius import mschap, mschap_keys, policy
from dotmac_isp.modules.network.radius.cache import PolicyCache
from dotmac_isp.modules.network.radius.enums import PostAuthReply
from dotmac_isp.modules.network.radius.policy import Decision, Profile
from dotmac_isp.modules.network.radius.store import NasEntry
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import MalformedPacket, Request


@dataclass(slots=True)
class AuthOutcome:
    """What to send (None: drop silently) and what to log."""

    reply: bytes | None
    drop_reason: str = ""
    accepted: bool = False
    reason: str = ""
    method: str = ""
    username: str = ""
    profile: Profile | None = None


class Authenticator:
    def __init__(self, cache: PolicyCache, settings: RadiusSettings):
        self.cache = cache
        self.settings = settings
        self._reject_attrs: dict[str, bytes] = {}
        self._shared: dict[tuple[Any, ...], bytes] = {}

    def handle(self, request: Request, nas: NasEntry) -> AuthOutcome:
        secret = nas.secret
        if request.code == codec.STATUS_SERVER:  # RFC 5997: alive, and must be signed
            if not codec.message_authenticator_ok(request, secret):
                return AuthOutcome(None, "bad_authenticator")
            return AuthOutcome(codec.response(codec.ACCESS_ACCEPT, request, secret, sign=True),
                               accepted=True, reason="Status-Server")
        if request.code != codec.ACCESS_REQUEST:
            return AuthOutcome(None, "unexpected_code")
        if request.ma_offset:
            if not codec.message_authenticator_ok(request, secret):
                return AuthOutcome(None, "bad_authenticator")
        elif nas.require_message_authenticator:
            return AuthOutcome(None, "missing_message_authenticator")
        username = request.text(codec.USER_NAME)
        if not username:
            raise MalformedPacket("Access-Request without User-Name")
        profile = self.cache.profile(nas.tenant_id, username.lower())
        if profile is None:
            for section in self.cache.sections:  # a hotspot voucher, say
                answered = section.authenticate(request, nas, username)
                if answered is not None:
                    return answered
        decision, method, extra = self._decide(request, secret, nas, profile)
        if not decision.accept:
            reply = codec.response(codec.ACCESS_REJECT, request, secret,
                                   self._reject(decision.reason) + extra, sign=True)
            return AuthOutcome(reply, accepted=False, reason=decision.reason, method=method,
                               username=username, profile=profile)
        assert profile is not None
        attributes = profile.encoded.get(nas.vendor)
        if attributes is None:
            attributes = self._accept_attributes(profile, nas.vendor)
            profile.encoded[nas.vendor] = attributes
        reply = codec.response(codec.ACCESS_ACCEPT, request, secret, attributes + extra,
                               sign=True)
        return AuthOutcome(reply, accepted=True, reason=decision.reason, method=method,
                           username=username, profile=profile)

    def _decide(self, request: Request, secret: bytes, nas: NasEntry,
                profile: Profile | None) -> tuple[Decision, str, bytes]:
        """The decision, the method, and the attributes it adds to the reply (MS-CHAP's
        success and MPPE keys on an accept, MS-CHAP-Error on a reject)."""
        method, verified = "", None
        ms = mschap.is_mschap(request)
        if profile is None:
            return Decision(False, policy.REJECT_UNKNOWN), method, self._ms_error(request, ms)
        if not profile.password:
            # no usable password (none stored, or it does not decrypt): an empty User-Password
            # or a CHAP hash over an empty secret must not match it
            return Decision(False, policy.REJECT_PASSWORD), method, self._ms_error(request, ms)
        if codec.USER_PASSWORD in request.attrs:
            method = "pap"
            password = codec.pap_password(request, secret)
            ok = password is not None and hmac.compare_digest(password, profile.password)
        elif codec.CHAP_PASSWORD in request.attrs:
            method = "chap"
            ok = codec.chap_ok(request, profile.password)
        elif ms:
            method = mschap.method(request)
            verified = mschap.verify(request, profile.password)
            ok = verified is not None
        else:
            return Decision(False, policy.REJECT_NO_CREDENTIALS), method, b""
        if not ok:
            return Decision(False, policy.REJECT_PASSWORD), method, self._ms_error(request, ms)
        refused = policy.status_decision(profile, self.settings)
        if refused is not None:
            return refused, method, self._ms_error(request, ms, mschap.ERROR_ACCOUNT_DISABLED)
        refused = self._cpe_mac(request, profile)
        if refused is not None:
            return refused, method, self._ms_error(request, ms)
        limit = policy.simultaneous_use(self.cache.plans.get(profile.plan_id), self.settings)
        if limit and self.cache.online.others(
                profile.tenant_id, profile.username, nas.id,
                request.text(codec.CALLING_STATION_ID)) >= limit:
            return Decision(False, policy.REJECT_SIMULTANEOUS), method, self._ms_error(
                request, ms)
        reason = "walled garden" if profile.status == "suspended" else "active"
        extra = b""
        if verified is not None:
            extra = mschap_keys.accept_attributes(verified, secret, request.authenticator,
                                                  self._mppe_choice(profile))
        return Decision(True, reason), method, extra

    def _cpe_mac(self, request: Request, profile: Profile) -> Decision | None:
        """A plan requiring the CPE's MAC rejects a Calling-Station-Id that is not one."""
        return policy.cpe_mac_decision(profile, self.cache.plans.get(profile.plan_id),
                                       request.text(codec.CALLING_STATION_ID))

    @staticmethod
    def _ms_error(request: Request, ms: bool,
                  code: int = mschap.ERROR_AUTHENTICATION_FAILURE) -> bytes:
        return mschap.error_attribute(request, code) if ms else b""

    def _mppe_choice(self, profile: Profile) -> mschap_keys.MppeChoice:
        """FreeRADIUS's defaults (keys; encryption allowed, 40- or 128-bit), or what the
        settings require; a plan whose RADIUS attributes carry the policy or types wins."""
        settings = self.settings
        if not settings.mschap_use_mppe:
            return mschap_keys.MppeChoice(keys=False)
        plan = self.cache.plans.get(profile.plan_id)
        own = plan.radius_attributes if plan is not None and profile.status != "suspended" \
            else {}
        policy_value: int | None = (mschap_keys.POLICY_REQUIRED
                                    if settings.mschap_require_encryption
                                    else mschap_keys.POLICY_ALLOWED)
        types: int | None = (mschap_keys.TYPES_128_BIT if settings.mschap_require_strong
                             else mschap_keys.TYPES_40_OR_128_BIT)
        if "MS-MPPE-Encryption-Policy" in own:
            policy_value = None
        if "MS-MPPE-Encryption-Types" in own or "MS-MPPE-Encryption-Type" in own:
            types = None
        return mschap_keys.MppeChoice(True, policy_value, types)

    def _accept_attributes(self, profile: Profile, vendor: str) -> bytes:
        """Encoded once per plan, vendor, status and cap, shared by every subscriber on the
        plan; only the addresses are the subscriber's own."""
        key = (profile.plan_id, vendor, profile.status, profile.capped,
               self.cache.plans_version)
        shared = self._shared.get(key)
        if shared is None:
            anonymous = Profile(profile.tenant_id, profile.subscription_id, "", "",
                                profile.status, profile.plan_id, capped=profile.capped)
            shared = codec.encode_pairs(policy.accept_pairs(
                anonymous, self.cache.plans.get(profile.plan_id), vendor, self.settings))
            if len(self._shared) > 10_000:
                self._shared.clear()
            self._shared[key] = shared
        own = []
        if profile.ipv4 and profile.status != "suspended":
            own.append(("Framed-IP-Address", profile.ipv4))
        if profile.ipv6_prefix and profile.status != "suspended":
            own.append(("Delegated-IPv6-Prefix", profile.ipv6_prefix))
        return shared + codec.encode_pairs(own) if own else shared

    def _reject(self, reason: str) -> bytes:
        encoded = self._reject_attrs.get(reason)
        if encoded is None:
            encoded = codec.encode_pairs([("Reply-Message", reason)])
            self._reject_attrs[reason] = encoded
        return encoded


def postauth_row(outcome: AuthOutcome, nas: NasEntry, request: Request,
                 when: Any) -> dict[str, Any]:
    """A radpostauth row; never a password."""
    profile = outcome.profile
    calling = request.first(codec.CALLING_STATION_ID)
    called = request.first(codec.CALLED_STATION_ID)
    nasip = request.ipv4(codec.NAS_IP_ADDRESS) if len(
        request.first(codec.NAS_IP_ADDRESS) or b"") == 4 else None
    return {
        "tenant_id": nas.tenant_id, "username": outcome.username[:253],
        "reply": (PostAuthReply.ACCEPT if outcome.accepted else PostAuthReply.REJECT).value,
        "reason": outcome.reason[:253], "auth_method": outcome.method,
        "nasipaddress": nasip or "", "nas_id": nas.id,
        "calledstationid": called.decode("utf-8", "replace")[:253] if called else None,
        "callingstationid": calling.decode("utf-8", "replace")[:253] if calling else None,
        "authdate": when, "subscription_id": profile.subscription_id if profile else None,
    }
