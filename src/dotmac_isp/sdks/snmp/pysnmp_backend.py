"""The pure-Python backend: an asyncio SNMP v2c/v3 client on pysnmp 7, GET of scalars and
GETBULK walks of table columns, with numeric OIDs only (no MIB files are needed or loaded).

One PysnmpClient holds one pysnmp engine; share it across the devices of a poll cycle and run
their requests concurrently on one event loop. It needs no C library, but decoding is slow
(a few thousand values a second): the ezsnmp backend is the fast path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usm3DESEDEPrivProtocol,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)
from pysnmp.proto import rfc1902, rfc1905

from dotmac_isp.sdks.core.exceptions import SNMPError
from dotmac_isp.sdks.snmp.common import (
    MAX_WALK_REQUESTS,
    SnmpAuthError,
    SnmpCredentials,
    SnmpTarget,
    Value,
    octets_value,
    table_index,
    timeout_error,
)

AUTH_PROTOCOLS: dict[str, Any] = {
    "none": usmNoAuthProtocol, "md5": usmHMACMD5AuthProtocol, "sha": usmHMACSHAAuthProtocol,
    "sha224": usmHMAC128SHA224AuthProtocol, "sha256": usmHMAC192SHA256AuthProtocol,
    "sha384": usmHMAC256SHA384AuthProtocol, "sha512": usmHMAC384SHA512AuthProtocol,
}
PRIV_PROTOCOLS: dict[str, Any] = {
    "none": usmNoPrivProtocol, "des": usmDESPrivProtocol, "3des": usm3DESEDEPrivProtocol,
    "aes": usmAesCfb128Protocol, "aes192": usmAesCfb192Protocol,
    "aes256": usmAesCfb256Protocol,
}
_AUTH_FAILURES = ("wrongdigest", "unknownusername", "unknownsecurityname", "decryptionerror",
                  "unsupportedseclevel", "authenticationfailure", "notintimewindow",
                  "unknownengineid")
_MISSING = (rfc1905.NoSuchObject.tagSet, rfc1905.NoSuchInstance.tagSet,
            rfc1905.EndOfMibView.tagSet)
def auth_data(creds: SnmpCredentials) -> Any:
    if creds.version == "v2c":
        return CommunityData(creds.community or "", mpModel=1)
    if creds.version != "v3" or not creds.username:
        raise SNMPError("SNMPv3 needs a user name")
    auth = AUTH_PROTOCOLS.get(creds.auth_protocol)
    priv = PRIV_PROTOCOLS.get(creds.priv_protocol)
    if auth is None or priv is None:
        raise SNMPError(f"unsupported SNMPv3 protocols {creds.auth_protocol}/"
                        f"{creds.priv_protocol}")
    return UsmUserData(creds.username,
                       authKey=creds.auth_key if auth is not usmNoAuthProtocol else None,
                       privKey=creds.priv_key if priv is not usmNoPrivProtocol else None,
                       authProtocol=auth, privProtocol=priv)


def raw_value(value: Any) -> bytes | int | str | None:
    """A pysnmp value with octet strings left as bytes, numbers as int, addresses and OIDs
    as text; None for noSuchObject/noSuchInstance/endOfMibView."""
    if value.tagSet in _MISSING:
        return None
    if isinstance(value, rfc1902.IpAddress):  # an OctetString subclass: checked first
        return ".".join(str(b) for b in bytes(value))
    if isinstance(value, rfc1902.OctetString):
        return bytes(value)
    if isinstance(value, rfc1902.ObjectIdentifier):
        return str(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value.prettyPrint())


def convert(value: Any) -> Value:
    """A pysnmp value as a plain int or str; None for noSuchObject/noSuchInstance/endOfMib."""
    raw = raw_value(value)
    return octets_value(raw) if isinstance(raw, bytes) else raw


class PysnmpClient:
    """GET and GETBULK walks against many targets from one engine."""

    backend = "pysnmp"

    def __init__(self) -> None:
        self._engine = SnmpEngine()
        self._transports: dict[tuple[str, int, float, int], Any] = {}

    async def _transport(self, target: SnmpTarget) -> Any:
        key = (target.host, target.port, target.timeout, target.retries)
        transport = self._transports.get(key)
        if transport is None:
            try:
                transport = await UdpTransportTarget.create(
                    (target.host, target.port), timeout=target.timeout, retries=target.retries)
            except Exception as exc:  # pysnmp wraps resolver and socket errors variously
                raise SNMPError(f"cannot reach {target.host}:{target.port}: {exc}") from exc
            self._transports[key] = transport
        return transport

    @staticmethod
    def _check(target: SnmpTarget, error_indication: Any, error_status: Any,
               error_index: Any, var_binds: Sequence[Any]) -> None:
        if error_indication:
            name = type(error_indication).__name__.lower()
            where = target.where
            if "timedout" in name or "timeout" in str(error_indication).lower():
                raise timeout_error(target)
            if any(word in name for word in _AUTH_FAILURES):
                raise SnmpAuthError(f"{where} refused the SNMP credentials ({error_indication})")
            raise SNMPError(f"SNMP request to {where} failed: {error_indication}")
        if error_status and int(error_status) != 0:
            position = int(error_index or 0)
            oid = var_binds[position - 1][0] if 0 < position <= len(var_binds) else "?"
            raise SNMPError(f"{target.host} answered {error_status.prettyPrint()} at {oid}")

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        """GET scalars by numeric OID; absent objects come back as None."""
        transport = await self._transport(target)
        result = await get_cmd(self._engine, auth_data(target.credentials), transport,
                               ContextData(), *[ObjectType(ObjectIdentity(o)) for o in oids],
                               lookupMib=False)
        error_indication, error_status, error_index, var_binds = result
        self._check(target, error_indication, error_status, error_index, var_binds)
        values: dict[str, Value] = {oid: None for oid in oids}
        for name, value in var_binds:
            values[str(name)] = convert(value)
        return values

    async def walk(self, target: SnmpTarget, columns: Sequence[str], *,
                   max_repetitions: int = 50) -> dict[str, dict[int, Value]]:
        """Walk table columns side by side with GETBULK: {column: {index: value}}.

        Indexes are the single sub-identifier after the column (ifIndex and the like).
        """
        transport = await self._transport(target)
        auth = auth_data(target.credentials)
        roots = [rfc1902.ObjectName(c) for c in columns]
        cursors = list(roots)
        found: dict[str, dict[int, Value]] = {c: {} for c in columns}
        active = list(range(len(columns)))
        for _ in range(MAX_WALK_REQUESTS):
            if not active:
                break
            result = await bulk_cmd(
                self._engine, auth, transport, ContextData(), 0, max_repetitions,
                *[ObjectType(ObjectIdentity(cursors[i])) for i in active], lookupMib=False)
            error_indication, error_status, error_index, var_binds = result
            self._check(target, error_indication, error_status, error_index, var_binds)
            finished = self._absorb(var_binds, active, roots, cursors, columns, found)
            if not var_binds:
                finished.update(active)
            active = [i for i in active if i not in finished]
        return found

    @staticmethod
    def _absorb(var_binds: Sequence[Any], active: list[int], roots: list[Any],
                cursors: list[Any], columns: Sequence[str],
                found: dict[str, dict[int, Value]]) -> set[int]:
        finished: set[int] = set()
        width = len(active)
        for position, (name, value) in enumerate(var_binds):
            column = active[position % width]
            if column in finished:
                continue
            root = roots[column]
            if value.tagSet in _MISSING or not root.isPrefixOf(name) or name <= cursors[column]:
                finished.add(column)
                continue
            cursors[column] = name
            suffix = tuple(name)[len(root):]
            if suffix:
                found[columns[column]][table_index(suffix)] = convert(value)
        return finished

    def close(self) -> None:
        self._engine.close_dispatcher()

