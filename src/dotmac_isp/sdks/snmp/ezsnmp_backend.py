"""The fast backend: Net-SNMP's C library through ezsnmp, v2c and v3 (authPriv included).

ezsnmp's calls block, and they release the GIL while they wait and decode, so each runs in a
thread of the client's pool: the devices of a cycle are polled side by side, and an agent that
does not answer holds one thread, not the cycle. A column walk runs whole in one thread (one
hop to the pool per walk, not per request).

Values come back exactly as the pysnmp backend gives them: OCTET STRINGs are asked for in hex
(-Ox) so their bytes are exact and go through the same text-or-hex rule, INTEGERs are printed
numerically (-Oe), OIDs lose their leading dot, absent objects are None.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from dotmac_isp.sdks.core.exceptions import SNMPError
from dotmac_isp.sdks.snmp.common import (
    Reading,
    SnmpAuthError,
    SnmpCredentials,
    SnmpTarget,
    ThreadedBackend,
    Value,
    octets_value,
    oid_suffix,
    timeout_error,
    walk_columns,
)

# Net-SNMP reads snmp.conf files: only ours (an operator can still point elsewhere), so an
# snmp.conf of the host cannot change how values are printed, which the parsing here relies
# on, and no state files pile up under /var/lib/net-snmp.
os.environ.setdefault("SNMPCONFPATH", str(Path(__file__).with_name("netsnmp")))

try:
    import ezsnmp
    from ezsnmp import exceptions as ezsnmp_errors
except ImportError:  # the pysnmp backend works without it
    ezsnmp = None
    ezsnmp_errors = None

AVAILABLE = ezsnmp is not None
AUTH_PROTOCOLS = {"md5": "MD5", "sha": "SHA", "sha224": "SHA-224", "sha256": "SHA-256",
                  "sha384": "SHA-384", "sha512": "SHA-512"}
# Net-SNMP has no 3DES privacy: such devices are polled by the pysnmp backend
PRIV_PROTOCOLS = {"des": "DES", "aes": "AES", "aes192": "AES-192", "aes256": "AES-256"}
_AUTH_FAILURES = ("authentication failure", "unknown user name", "unsupported security level",
                  "decryption error", "not in time window", "unknown engine id",
                  "unknown security name")
_INTEGERS = frozenset({"INTEGER", "Integer32", "Counter32", "Counter64", "Gauge32",
                       "Unsigned32", "UInteger32"})
_MISSING = frozenset({"NOSUCHOBJECT", "NOSUCHINSTANCE"})
_END_OF_MIB = "No more variables left"
T = TypeVar("T")


def _missing(kind: str) -> bool:
    return kind in _MISSING or kind.startswith(_END_OF_MIB)


def _value(result: Any, kind: str | None = None) -> Value:
    """An ezsnmp Result as the same plain int or str the pysnmp backend gives."""
    kind = result.type if kind is None else kind
    if kind in _INTEGERS:
        try:
            return int(result.value)
        except ValueError:  # units or an enum label printed after the number
            return int(result.converted_value)
    if kind == "Hex-STRING":
        return octets_value(bytes(result.converted_value))
    if kind == '""':  # an empty OCTET STRING
        return ""
    if kind == "Timeticks":
        return int(result.converted_value)
    if kind == "OID":
        return str(result.value).lstrip(".")
    if _missing(kind):
        return None
    return str(result.value)  # IpAddress as dotted quad; rarer types as Net-SNMP prints them


class EzsnmpClient(ThreadedBackend):
    """GET and GETBULK walks against many targets, each request in a pooled thread."""

    backend = "ezsnmp"

    def __init__(self, *, workers: int = 16) -> None:
        if not AVAILABLE:
            raise SNMPError("the ezsnmp backend needs the ezsnmp package (pip install ezsnmp)")
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="snmp-ezsnmp")
        self._local = threading.local()

    @staticmethod
    def supports(credentials: SnmpCredentials) -> bool:
        return credentials.version != "v3" or credentials.priv_protocol in (
            "none", *PRIV_PROTOCOLS)

    def _session(self, target: SnmpTarget, max_repetitions: int) -> Any:
        # A session per thread: ezsnmp keeps the repetitions on the session while a bulk
        # request runs, so one session must not serve two threads at once.
        sessions: dict[tuple[SnmpTarget, int], Any] | None = getattr(
            self._local, "sessions", None)
        if sessions is None:
            sessions = self._local.sessions = {}
        key = (target, max_repetitions)
        session = sessions.get(key)
        if session is None:
            session = sessions[key] = ezsnmp.Session(
                hostname=target.host, port_number=target.port,
                timeout=f"{target.timeout:g}", retries=target.retries,
                print_oids_numerically=True, print_enums_numerically=True,
                print_hex_strings=True, set_max_repeaters_to_num=str(max_repetitions),
                **_credentials(target.credentials))
        return session

    def _call(self, target: SnmpTarget, request: Callable[[list[str]], T],
              oids: list[str]) -> T:
        try:
            return request(oids)
        except ezsnmp_errors.TimeoutError as exc:
            raise timeout_error(target) from exc
        except ezsnmp_errors.ConnectionError as exc:
            raise SNMPError(f"cannot reach {target.where}: {exc}") from exc
        except ezsnmp_errors.GenericError as exc:
            text = str(exc).strip()
            if any(word in text.lower() for word in _AUTH_FAILURES):
                raise SnmpAuthError(f"{target.where} refused the SNMP credentials "
                                    f"({text})") from exc
            raise SNMPError(f"SNMP request to {target.where} failed: {text}") from exc

    def get_blocking(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        session = self._session(target, 0)
        wanted = [oid.lstrip(".") for oid in oids]
        results = self._call(target, session.get, wanted)
        values: dict[str, Value] = {oid: None for oid in oids}
        for result in results:
            name = f"{result.oid}.{result.index}" if result.index else result.oid
            values[name.lstrip(".")] = _value(result)
        return values

    def walk_blocking(self, target: SnmpTarget, columns: Sequence[str],
                      max_repetitions: int = 50) -> dict[str, dict[int, Value]]:
        """Walk columns side by side, one GETBULK after another, in this thread."""
        session = self._session(target, max(1, max_repetitions))

        def read(result: Any, root: str) -> Reading:
            oid, index, kind = result.oid, result.index, result.type
            # ezsnmp splits off the last sub-identifier: a row of a table indexed by one
            # integer (ifIndex) is its column plus that index
            if oid == "." + root and index.isdigit():
                suffix: tuple[int, ...] | None = (int(index),)
            else:
                suffix = oid_suffix(f"{oid}.{index}", "." + root + ".")
            if suffix is None or _missing(kind):  # not decoded: the column ends here
                return suffix, True, None
            return suffix, False, _value(result, kind)

        return walk_columns(columns, lambda cursors: self._call(target, session.bulk_get,
                                                                cursors), read)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _credentials(creds: SnmpCredentials) -> dict[str, Any]:
    if creds.version == "v2c":
        return {"version": "2c", "community": creds.community or ""}
    if creds.version != "v3" or not creds.username:
        raise SNMPError("SNMPv3 needs a user name")
    auth = AUTH_PROTOCOLS.get(creds.auth_protocol)
    priv = PRIV_PROTOCOLS.get(creds.priv_protocol)
    if (auth is None and creds.auth_protocol != "none") or (
            priv is None and creds.priv_protocol != "none"):
        raise SNMPError(f"unsupported SNMPv3 protocols {creds.auth_protocol}/"
                        f"{creds.priv_protocol}")
    options: dict[str, Any] = {"version": "3", "security_username": creds.username,
                               "security_level": "noAuthNoPriv"}
    if auth is not None:
        options.update(security_level="authNoPriv", auth_protocol=auth,
                       auth_passphrase=creds.auth_key or "")
        if priv is not None:
            options.update(security_level="authPriv", privacy_protocol=priv,
                           privacy_passphrase=creds.priv_key or "")
    return options
