"""What every SNMP backend shares: targets, credentials, errors, numeric OIDs and the one
conversion of OCTET STRING values, so both backends hand back identical values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dotmac_isp.sdks.core.exceptions import SNMPError

OID_RE = re.compile(r"^\.?[0-2](\.(0|[1-9][0-9]{0,9})){1,127}$")
Value = int | str | None
# the largest walk we follow: a broken agent that never ends a column cannot keep us forever
MAX_WALK_REQUESTS = 100_000


class SnmpTimeout(SNMPError):
    """The device did not answer SNMP in time."""

    status_code = 504
    code = "snmp_timeout"


class SnmpAuthError(SNMPError):
    """The device refused the SNMP credentials."""

    code = "snmp_auth_failed"


def is_numeric_oid(text: str) -> bool:
    return bool(OID_RE.match(text))


def normalize_oid(text: str) -> str:
    """'.1.3.6.1.2.1.1.3.0' -> '1.3.6.1.2.1.1.3.0'; raises ValueError for anything else."""
    text = text.strip()
    if not is_numeric_oid(text):
        raise ValueError(f"{text!r} is not a numeric OID (like 1.3.6.1.2.1.1.3.0)")
    return text.lstrip(".")


@dataclass(frozen=True)
class SnmpCredentials:
    version: str = "v2c"
    community: str | None = None
    username: str | None = None
    auth_protocol: str = "none"
    auth_key: str | None = None
    priv_protocol: str = "none"
    priv_key: str | None = None

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return f"SnmpCredentials(version={self.version!r}, username={self.username!r})"


@dataclass(frozen=True)
class SnmpTarget:
    host: str
    port: int = 161
    credentials: SnmpCredentials = SnmpCredentials(community="public")
    timeout: float = 1.0
    retries: int = 1

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def timeout_error(target: SnmpTarget) -> SnmpTimeout:
    return SnmpTimeout(f"no SNMP answer from {target.where} within {target.timeout:g}s")


def octets_value(raw: bytes) -> str:
    """An OCTET STRING as text when it is printable UTF-8, else as colon-separated hex
    (a MAC address, a binary date)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex(":")
    if text and not text.isprintable() and not text.replace("\r\n", "").replace(
            "\n", "").isprintable():
        return raw.hex(":")
    return text


def table_index(suffix: Sequence[int]) -> int:
    """The index of a table row from the sub-identifiers after its column.

    Multi-part indexes are folded into their last part; the columns the poller walks
    (IF-MIB, HOST-RESOURCES) are indexed by one integer.
    """
    return suffix[-1]


class SnmpReader(Protocol):
    """What a backend offers: GET of scalars and GETBULK walks of table columns."""

    backend: str

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]: ...

    async def walk(self, target: SnmpTarget, columns: Sequence[str], *,
                   max_repetitions: int = 50) -> dict[str, dict[int, Value]]: ...

    def close(self) -> None: ...
