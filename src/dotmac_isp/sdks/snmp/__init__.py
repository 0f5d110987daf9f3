"""SNMP v2c/v3 clients: GET of scalars and GETBULK walks of table columns, numeric OIDs only.

Three backends give the same values: Net-SNMP's C library through easysnmp (v2c only, the
fastest), through ezsnmp (v2c and v3) and pysnmp (pure Python). SnmpClient picks one by name,
"easysnmp", "ezsnmp", "pysnmp", or None/"auto" for the fastest that can be imported. A device
the chosen backend cannot serve goes to the next: with easysnmp, SNMPv3 devices are polled
through ezsnmp (pysnmp without it); SNMPv3 with 3DES privacy, which Net-SNMP lacks, always
goes through pysnmp.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from dotmac_isp.sdks.core.exceptions import ConfigurationError
from dotmac_isp.sdks.snmp import easysnmp_backend, ezsnmp_backend
from dotmac_isp.sdks.snmp.common import (
    OID_RE,
    SnmpAuthError,
    SnmpCredentials,
    SnmpReader,
    SnmpTarget,
    SnmpTimeout,
    Value,
    is_numeric_oid,
    normalize_oid,
    octets_value,
)
from dotmac_isp.sdks.snmp.easysnmp_backend import EasysnmpClient
from dotmac_isp.sdks.snmp.ezsnmp_backend import EzsnmpClient
from dotmac_isp.sdks.snmp.pysnmp_backend import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    PysnmpClient,
    convert,
)

BACKENDS = ("easysnmp", "ezsnmp", "pysnmp")
T = TypeVar("T")

__all__ = [
    "AUTH_PROTOCOLS", "BACKENDS", "OID_RE", "PRIV_PROTOCOLS", "EasysnmpClient", "EzsnmpClient",
    "PysnmpClient",
    "SnmpAuthError", "SnmpClient", "SnmpCredentials", "SnmpReader", "SnmpTarget",
    "SnmpTimeout", "Value", "convert", "is_numeric_oid", "normalize_oid", "octets_value",
    "resolve_backend",
]


def resolve_backend(name: str | None) -> str:
    """The backend to use: the one named, or for None/"auto" the fastest importable."""
    if name in (None, "", "auto"):
        if easysnmp_backend.AVAILABLE:
            return "easysnmp"
        return "ezsnmp" if ezsnmp_backend.AVAILABLE else "pysnmp"
    if name not in BACKENDS:
        raise ConfigurationError(f"unknown SNMP backend {name!r}; use one of {BACKENDS}")
    for backend, module in (("easysnmp", easysnmp_backend), ("ezsnmp", ezsnmp_backend)):
        if name == backend and not module.AVAILABLE:
            raise ConfigurationError(f"the {backend} SNMP backend is chosen but the {backend} "
                                     "package is not installed")
    return name


class SnmpClient:
    """GET and GETBULK walks against many targets, on the backend chosen.

    Share one client across the devices of a poll cycle and run their requests concurrently;
    `workers` bounds the threads the ezsnmp backend uses (requests in flight at once).
    """

    def __init__(self, backend: str | None = None, *, workers: int = 16) -> None:
        self.backend = resolve_backend(backend)
        self._workers = workers
        self._v2c = EasysnmpClient(workers=workers) if self.backend == "easysnmp" else None
        self._fast = EzsnmpClient(workers=workers) if self.backend == "ezsnmp" else None
        self._pure: PysnmpClient | None = None

    def _reader(self, target: SnmpTarget) -> SnmpReader:
        credentials = target.credentials
        if self._v2c is not None:
            if self._v2c.supports(credentials, target.host):
                return self._v2c
            if self._fast is None and ezsnmp_backend.AVAILABLE:
                self._fast = EzsnmpClient(workers=self._workers)
        if self._fast is not None and self._fast.supports(credentials):
            return self._fast
        return self._pure_client()

    def _pure_client(self) -> PysnmpClient:
        if self._pure is None:
            self._pure = PysnmpClient()
        return self._pure

    async def _checked(self, target: SnmpTarget,
                       request: Callable[[SnmpReader], Awaitable[T]]) -> T:
        reader = self._reader(target)
        try:
            return await request(reader)
        except SnmpTimeout:
            if reader is self._pure or target.credentials.version != "v3":
                raise
            # Net-SNMP now and then gives up on an SNMPv3 exchange that pysnmp completes
            # (the engine discovery, or a refusal it reports as a timeout): the request is
            # asked once more through pysnmp, which answers with the values or the real error.
            return await request(self._pure_client())

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        """GET scalars by numeric OID; absent objects come back as None."""
        return await self._checked(target, lambda reader: reader.get(target, oids))

    async def walk(self, target: SnmpTarget, columns: Sequence[str], *,
                   max_repetitions: int = 50) -> dict[str, dict[int, Value]]:
        """Walk table columns side by side with GETBULK: {column: {index: value}}.

        Indexes are the single sub-identifier after the column (ifIndex and the like).
        """
        return await self._checked(target, lambda reader: reader.walk(
            target, columns, max_repetitions=max_repetitions))

    def close(self) -> None:
        if self._v2c is not None:
            self._v2c.close()
        if self._fast is not None:
            self._fast.close()
        if self._pure is not None:
            self._pure.close()
