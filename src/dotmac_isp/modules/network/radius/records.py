"""From an Accounting-Request (on the wire, or as rlm_rest's JSON) to an AcctRecord."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from dotmac_isp.modules.network.radius.accounting import AcctRecord, counter, unique_id
from dotmac_isp.modules.network.radius.enums import ACCT_STATUS_CODES, AcctStatus
from dotmac_isp.sdks.radius import codec
from dotmac_isp.sdks.radius.codec import MalformedPacket, Request
from dotmac_isp.sdks.radius.dictionary import load_dictionary

# Enumerated attributes stored by their names, as FreeRADIUS stores them.
_NAMED = {
    codec.NAS_PORT_TYPE: ("NAS-Port-Type", "nasporttype"),
    codec.ACCT_TERMINATE_CAUSE: ("Acct-Terminate-Cause", "acctterminatecause"),
    codec.SERVICE_TYPE: ("Service-Type", "servicetype"),
    codec.FRAMED_PROTOCOL: ("Framed-Protocol", "framedprotocol"),
    codec.ACCT_AUTHENTIC: ("Acct-Authentic", "acctauthentic"),
}
_TEXT = {
    codec.NAS_PORT_ID: "nasportid", codec.CALLED_STATION_ID: "calledstationid",
    codec.CALLING_STATION_ID: "callingstationid", codec.CLASS: "class",
}
_MAX_TEXT = 253


@lru_cache(maxsize=len(_NAMED))
def _value_names(attribute: str) -> dict[bytes, str]:
    """The dictionary's names of an enumerated attribute's values, by their encoded value."""
    values = load_dictionary().attributes[attribute].values
    return {bytes(raw): str(name) for raw, name in values.backward.items()}


def value_name(attribute: str, raw: bytes) -> str:
    """A value's name, or its number when the dictionary has none. Nothing is remembered
    per value: a NAS chooses the values, and a memo of them would grow with every new one."""
    name = _value_names(attribute).get(raw)
    if name is not None:
        return name
    return str(int.from_bytes(raw, "big")) if len(raw) == 4 else raw.hex()


def _text(raw: bytes) -> str:
    # NUL is valid UTF-8 but no PostgreSQL text may hold it, and binary values (a Class from
    # some NASes) carry it: it becomes U+FFFD like any octet that is not UTF-8, so one such
    # value cannot fail the batch it is written in.
    return raw.decode("utf-8", "replace").replace("\x00", "\ufffd")[:_MAX_TEXT]


def _ipv6_prefix(raw: bytes) -> str | None:
    # RFC 3162 2.3: reserved octet, prefix length, prefix (up to 16 octets)
    if len(raw) < 2 or raw[1] > 128 or len(raw) - 2 > 16:
        return None
    address = ipaddress.IPv6Address(raw[2:].ljust(16, b"\x00"))
    try:
        return str(ipaddress.IPv6Network((address, raw[1]), strict=False))
    except ValueError:
        return None


def event_time(request: Request, received: datetime) -> datetime:
    """When the event happened: Event-Timestamp, else arrival less Acct-Delay-Time."""
    stamp = request.integer(codec.EVENT_TIMESTAMP)
    if stamp:
        return datetime.fromtimestamp(stamp, UTC)
    delay = request.integer(codec.ACCT_DELAY_TIME) or 0
    return received - timedelta(seconds=min(delay, 7 * 24 * 3600))


def from_request(request: Request, tenant_id: uuid.UUID, nas_id: uuid.UUID | None,
                 source_ip: str, received: datetime,
                 subscription_of: Any = None) -> AcctRecord:
    """Decode the columns radacct keeps; MalformedPacket when a value is not what its type
    says. subscription_of(username) gives the subscription id, if the user is known."""
    status_code = request.integer(codec.ACCT_STATUS_TYPE)
    status = ACCT_STATUS_CODES.get(status_code or 0)
    if status is None:
        raise MalformedPacket(f"unsupported Acct-Status-Type {status_code}")
    nasip = request.ipv4(codec.NAS_IP_ADDRESS)
    if nasip is None:
        raw6 = request.first(codec.NAS_IPV6_ADDRESS)
        nasip = str(ipaddress.IPv6Address(raw6)) if raw6 and len(raw6) == 16 else source_ip
    record = AcctRecord(status=status, tenant_id=tenant_id, nas_id=nas_id,
                        event_time=event_time(request, received), nasipaddress=nasip)
    columns = record.columns
    for number, (attribute, column) in _NAMED.items():
        raw = request.first(number)
        if raw is not None and len(raw) == 4:
            columns[column] = value_name(attribute, raw)
    if status in (AcctStatus.ACCOUNTING_ON, AcctStatus.ACCOUNTING_OFF):
        return record
    username = request.first(codec.USER_NAME)
    session_id = request.first(codec.ACCT_SESSION_ID)
    if username is None or session_id is None:
        raise MalformedPacket("accounting without User-Name or Acct-Session-Id")
    record.username = _text(username)
    record.acctsessionid = _text(session_id)
    for number, column in _TEXT.items():
        raw = request.first(number)
        if raw is not None:
            columns[column] = _text(raw)
    info = request.first(codec.CONNECT_INFO)
    if info is not None:
        columns["connectinfo_stop" if status == AcctStatus.STOP else "connectinfo_start"] = \
            _text(info)
    columns["framedipaddress"] = request.ipv4(codec.FRAMED_IP_ADDRESS)
    raw = request.first(codec.FRAMED_IPV6_ADDRESS)
    if raw is not None and len(raw) == 16:
        columns["framedipv6address"] = str(ipaddress.IPv6Address(raw))
    for number, column in ((codec.FRAMED_IPV6_PREFIX, "framedipv6prefix"),
                           (codec.DELEGATED_IPV6_PREFIX, "delegatedipv6prefix")):
        raw = request.first(number)
        if raw is not None:
            columns[column] = _ipv6_prefix(raw)
    raw = request.first(codec.FRAMED_INTERFACE_ID)
    if raw is not None and len(raw) == 8:  # RFC 3162 2.2; longer would not fit the column
        columns["framedinterfaceid"] = raw.hex(":", 2)
    record.session_time = request.integer(codec.ACCT_SESSION_TIME)
    record.input_octets = counter(request.integer(codec.ACCT_INPUT_OCTETS),
                                  request.integer(codec.ACCT_INPUT_GIGAWORDS))
    record.output_octets = counter(request.integer(codec.ACCT_OUTPUT_OCTETS),
                                   request.integer(codec.ACCT_OUTPUT_GIGAWORDS))
    nas_port = request.integer(codec.NAS_PORT)
    nas_identifier = request.first(codec.NAS_IDENTIFIER)
    record.acctuniqueid = unique_id(tenant_id, record.username, record.acctsessionid, nasip,
                                    _text(nas_identifier) if nas_identifier else "",
                                    columns.get("nasportid") or "",
                                    "" if nas_port is None else str(nas_port))
    if columns.get("nasportid") is None and nas_port is not None:
        columns["nasportid"] = str(nas_port)
    if subscription_of is not None:
        record.subscription_id = subscription_of(record.username.lower())
    return record
