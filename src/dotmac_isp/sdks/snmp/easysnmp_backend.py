"""The v2c fast path: Net-SNMP's C library through easysnmp's C extension.

ezsnmp 2.x (the C++ rewrite) parses each value out of Net-SNMP's printed text with a regular
expression it compiles per value, which caps a counter walk near 10,000 values a second.
easysnmp hands each value over raw (numbers as digits, OCTET STRINGs as their bytes), several
times faster. It serves SNMP v2c; SNMPv3 stays on ezsnmp or pysnmp.

Its calls block and release the GIL while they wait for the agent, so, as with ezsnmp, each
runs in a thread of the client's pool on a session no other thread holds meanwhile, and a
column walk runs whole in one thread. Values come back exactly as the other backends give them.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from dotmac_isp.sdks.core.exceptions import SNMPError
from dotmac_isp.sdks.snmp.common import (
    Reading,
    SnmpCredentials,
    SnmpTarget,
    ThreadedBackend,
    Value,
    octets_value,
    oid_suffix,
    timeout_error,
    walk_columns,
)

# Net-SNMP reads only our snmp.conf (no MIBs, no state files), as for the ezsnmp backend
os.environ.setdefault("SNMPCONFPATH", str(Path(__file__).with_name("netsnmp")))

try:
    import easysnmp
    from easysnmp import exceptions as easysnmp_errors
except ImportError:  # the other backends work without it
    easysnmp = None
    easysnmp_errors = None

AVAILABLE = easysnmp is not None
_INTEGERS = frozenset({"INTEGER", "INTEGER32", "COUNTER", "COUNTER64", "GAUGE", "TICKS",
                       "UINTEGER", "UNSIGNED32"})
_OCTETS = frozenset({"OCTETSTR", "OPAQUE"})
_MISSING = frozenset({"NOSUCHOBJECT", "NOSUCHINSTANCE", "ENDOFMIBVIEW"})
# sessions (sockets) kept open between requests, beyond those in use
IDLE_SESSIONS = 256
T = TypeVar("T")


def value_of(kind: str, text: str) -> Value:
    """One easysnmp value (its type name and raw text) as the plain int or str the other
    backends give."""
    if kind in _INTEGERS:
        return int(text)
    if kind in _OCTETS:  # the C extension decodes the raw bytes as latin-1: lossless
        return octets_value(text.encode("latin-1"))
    if kind == "OBJECTID":
        return text.lstrip(".")
    if kind in _MISSING:
        return None
    if kind == "NULL":
        return ""
    return text  # IPADDR as a dotted quad, BITS as Net-SNMP prints them


def _name(variable: Any) -> str:
    oid = str(variable.oid).lstrip(".")
    index = variable.oid_index
    return f"{oid}.{index}" if index else oid


class EasysnmpClient(ThreadedBackend):
    """GET and GETBULK walks of v2c targets, each request in a pooled thread."""

    backend = "easysnmp"

    def __init__(self, *, workers: int = 16) -> None:
        if not AVAILABLE:
            raise SNMPError("the easysnmp backend needs the easysnmp package "
                            "(pip install easysnmp; it builds against libsnmp-dev)")
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="snmp-easysnmp")
        self._lock = threading.Lock()
        self._idle: OrderedDict[SnmpTarget, list[Any]] = OrderedDict()
        self._count = 0  # idle sessions

    @staticmethod
    def supports(credentials: SnmpCredentials, host: str = "") -> bool:
        # an IPv6 literal would be read as host:port by easysnmp
        return credentials.version == "v2c" and ":" not in host

    @contextmanager
    def _session(self, target: SnmpTarget) -> Iterator[Any]:
        """A session to the target that no other thread uses meanwhile.

        Sessions are kept between requests (a socket each): at most IDLE_SESSIONS idle ones,
        the least recently used closed first, so a cycle over thousands of devices does not
        hold a socket per device and thread.
        """
        with self._lock:
            idle = self._idle.get(target)
            session = idle.pop() if idle else None
        if session is None:
            session = self._open(target)
        try:
            yield session
        finally:
            with self._lock:
                self._idle.setdefault(target, []).append(session)
                self._idle.move_to_end(target)
                self._count += 1
                while self._count > IDLE_SESSIONS:
                    oldest = next(iter(self._idle))
                    sessions = self._idle[oldest]
                    sessions.pop(0)  # closed when collected
                    self._count -= 1
                    if not sessions:
                        del self._idle[oldest]

    def _open(self, target: SnmpTarget) -> Any:
        try:
            return easysnmp.Session(
                hostname=target.host, remote_port=target.port, version=2,
                community=target.credentials.community or "", timeout=target.timeout,
                retries=target.retries, use_numeric=True, use_sprint_value=False,
                use_enums=False)
        except easysnmp_errors.EasySNMPError as exc:
            raise SNMPError(f"cannot reach {target.where}: {exc}") from exc

    def _call(self, target: SnmpTarget, request: Callable[..., T], *args: Any) -> T:
        try:
            return request(*args)
        except easysnmp_errors.EasySNMPTimeoutError as exc:
            raise timeout_error(target) from exc
        except easysnmp_errors.EasySNMPConnectionError as exc:
            raise SNMPError(f"cannot reach {target.where}: {exc}") from exc
        except easysnmp_errors.EasySNMPError as exc:
            raise SNMPError(f"SNMP request to {target.where} failed: {exc}") from exc
        except (SystemError, ValueError) as exc:  # a reply the extension could not take in
            raise SNMPError(f"SNMP request to {target.where} failed: {exc}") from exc

    def get_blocking(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        wanted = [oid.lstrip(".") for oid in oids]
        with self._session(target) as session:
            results = self._call(target, session.get, wanted)
        values: dict[str, Value] = {oid: None for oid in oids}
        for asked, variable in zip(oids, results, strict=False):  # answered in order
            values[asked] = value_of(variable.snmp_type, variable.value)
        return values

    def walk_blocking(self, target: SnmpTarget, columns: Sequence[str],
                      max_repetitions: int = 50) -> dict[str, dict[int, Value]]:
        """Walk columns side by side, one GETBULK after another, in this thread."""
        with self._session(target) as session:
            return self._walk(target, session, columns, max_repetitions)

    def _walk(self, target: SnmpTarget, session: Any, columns: Sequence[str],
              max_repetitions: int) -> dict[str, dict[int, Value]]:
        reps = max(1, max_repetitions)

        def read(variable: Any, root: str) -> Reading:
            kind = variable.snmp_type
            suffix, missing = oid_suffix(_name(variable), root + "."), kind in _MISSING
            if suffix is None or missing:  # not decoded: the column ends here
                return suffix, missing, None
            return suffix, missing, value_of(kind, variable.value)

        return walk_columns(
            columns, lambda cursors: self._call(target, session.get_bulk, cursors, 0, reps),
            read)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            self._idle.clear()
            self._count = 0

