"""FreeRADIUS in front: the endpoints its rlm_rest module calls (deploy/freeradius/).

FreeRADIUS sends each request's attributes as JSON ({"User-Name": {"type": "string",
"value": ["bob"]}, ...}) with an API key of the tenant in the Authorization header.
- authorize answers 200 with control:Cleartext-Password and the reply attributes, so
  FreeRADIUS's pap/chap/mschap modules check the password; or 401 with a Reply-Message.
- post-auth logs the outcome; accounting stores the record, and FreeRADIUS answers the NAS
  after our 204, so the Accounting-Response again means "stored".
Attribute values are re-encoded with the project's dictionary into a RADIUS packet and go
through the same decoding and policy code as the UDP server.
"""

from __future__ import annotations

import ipaddress
import struct
import uuid
from datetime import datetime
from typing import Any

from pyrad.packet import Packet
from sqlalchemy import select
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.network.radius import accounting, policy, records, store
from dotmac_isp.modules.network.radius.cache import OnlineSessions
from dotmac_isp.modules.network.radius.enums import NasVendor, PostAuthReply
from dotmac_isp.modules.network.radius.models import NasClient, RadPostAuth
from dotmac_isp.modules.network.radius.policy import Pair
from dotmac_isp.modules.services.models import Subscription
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import MalformedPacket
from dotmac_isp.sdks.radius.dictionary import load_dictionary
from dotmac_isp.shared.errors import ValidationFailed
from dotmac_isp.shared.types import utcnow

_NUMERIC = frozenset({"integer", "short", "byte", "signed", "integer64"})
_SKIP = frozenset({"Event-Timestamp", "Message-Authenticator", "User-Password",
                   "CHAP-Password", "Proxy-State"})


def values(body: dict[str, Any], name: str) -> list[str]:
    """The values rlm_rest sent for an attribute (with or without its list prefix)."""
    entry = body.get(name, body.get(f"request:{name}"))
    if isinstance(entry, dict):
        entry = entry.get("value")
    if entry is None:
        return []
    items = entry if isinstance(entry, list) else [entry]
    return [_clean(str(v)) for v in items if isinstance(v, str | int | float)]


def _clean(text: str) -> str:
    # no control characters reach the database (PostgreSQL refuses NUL in text)
    return "".join(ch for ch in text if ch >= " ")[:253]


def first(body: dict[str, Any], name: str) -> str | None:
    found = values(body, name)
    return found[0] if found else None


def _nas(session: Session, tenant_id: uuid.UUID, nas_ip: str | None) -> NasClient | None:
    if not nas_ip:
        return None
    try:
        ip = ipaddress.ip_address(nas_ip)
    except ValueError:
        return None
    for nas in session.scalars(select(NasClient).where(NasClient.tenant_id == tenant_id,
                                                       NasClient.is_active.is_(True))):
        if ip in ipaddress.ip_network(nas.address):
            return nas
    return None


def _json_reply(pairs: list[Pair]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        key = f"reply:{name}"
        if key in out:
            existing = out[key]
            if not isinstance(existing, dict):
                existing = {"op": "+=", "value": [existing]}
            existing["value"].append(str(value))
            out[key] = existing
        else:
            out[key] = str(value)
    return out


def authorize(session: Session, settings: Settings, tenant_id: uuid.UUID,
              body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, rlm_rest body) for an Access-Request FreeRADIUS received."""
    username = first(body, "User-Name")
    if not username:
        return 401, {"reply:Reply-Message": policy.REJECT_UNKNOWN}
    radius = settings.radius
    profile = store.profile_for(session, settings.secret_key.get_secret_value(), tenant_id,
                                username, utcnow().date())
    refused = policy.status_decision(profile, radius)
    if profile is None or refused is not None:
        reason = refused.reason if refused else policy.REJECT_UNKNOWN
        return 401, {"reply:Reply-Message": reason}
    nas = _nas(session, tenant_id, first(body, "NAS-IP-Address"))
    vendor = nas.vendor if nas else NasVendor.GENERIC.value
    plans = store.load_plans(session, [profile.plan_id])
    plan = plans.get(profile.plan_id)
    limit = policy.simultaneous_use(plan, radius)
    if limit:
        online = OnlineSessions()
        online.replace(store.open_sessions_of_user(session, tenant_id, profile.username))
        if online.others(tenant_id, profile.username, nas.id if nas else uuid.UUID(int=0),
                         first(body, "Calling-Station-Id")) >= limit:
            return 401, {"reply:Reply-Message": policy.REJECT_SIMULTANEOUS}
    refused = policy.cpe_mac_decision(profile, plan, first(body, "Calling-Station-Id"))
    if refused is not None:
        return 401, {"reply:Reply-Message": refused.reason}
    reply = {"control:Cleartext-Password": profile.password.decode()}
    reply.update(_json_reply(policy.accept_pairs(profile, plan, vendor, radius)))
    return 200, reply


def post_auth(session: Session, tenant_id: uuid.UUID, body: dict[str, Any],
              result: str) -> None:
    """Log what FreeRADIUS decided (never the password it was given)."""
    nas_ip = first(body, "NAS-IP-Address") or ""
    nas = _nas(session, tenant_id, nas_ip)
    username = first(body, "User-Name") or ""
    profile_id = None
    if username:
        profile_id = session.scalar(select(Subscription.id).where(
            Subscription.tenant_id == tenant_id,
            Subscription.radius_username == username.lower()))
    method = ("chap" if first(body, "CHAP-Password") is not None else
              "pap" if first(body, "User-Password") is not None else "")
    session.add(RadPostAuth(
        tenant_id=tenant_id, username=username,
        reply=(PostAuthReply.REJECT if result == "reject" else PostAuthReply.ACCEPT).value,
        reason=first(body, "Module-Failure-Message") or "via FreeRADIUS", auth_method=method,
        nasipaddress=nas_ip[:45], calledstationid=first(body, "Called-Station-Id"),
        callingstationid=first(body, "Calling-Station-Id"), authdate=utcnow(),
        nas_id=nas.id if nas else None, subscription_id=profile_id))
    session.flush()


def as_packet(body: dict[str, Any]) -> bytes:
    """The JSON attributes as an Accounting-Request on the wire (secret unused)."""
    dictionary = load_dictionary()
    packet = Packet(code=codec.ACCOUNTING_REQUEST, id=0, secret=b"-",
                    authenticator=bytes(16), dict=dictionary)
    for raw_name in body:
        name = raw_name.removeprefix("request:")
        attr = dictionary.attributes.get(name)
        if attr is None or name in _SKIP or ":" in name:
            continue
        for value in values(body, raw_name):
            try:
                converted: Any = value
                if attr.type in _NUMERIC and not attr.values.HasForward(value):
                    converted = int(value)
                packet.AddAttribute(name, converted)
            except (ValueError, TypeError, KeyError, OverflowError, struct.error):
                continue  # a value that does not fit its type is left out, as FreeRADIUS would
    return packet.ReplyPacket()


def accounting_request(session: Session, tenant_id: uuid.UUID, body: dict[str, Any],
                       received: datetime | None = None) -> accounting.AcctRecord:
    """Store one Accounting-Request that FreeRADIUS received."""
    try:
        request = codec.decode(as_packet(body))
        nas_ip = first(body, "NAS-IP-Address") or ""
        nas = _nas(session, tenant_id, nas_ip)

        def subscription_of(name: str) -> uuid.UUID | None:
            return session.scalar(select(Subscription.id).where(
                Subscription.tenant_id == tenant_id, Subscription.radius_username == name))

        record = records.from_request(request, tenant_id, nas.id if nas else None,
                                      nas_ip or "0.0.0.0", received or utcnow(),
                                      subscription_of)
    except (MalformedPacket, ValueError, struct.error) as exc:
        raise ValidationFailed(f"not a usable Accounting-Request: {exc}") from exc
    accounting.write_batch(session, [record])
    return record
