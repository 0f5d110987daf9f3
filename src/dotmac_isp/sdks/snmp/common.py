"""What every SNMP backend shares: targets, credentials, errors, numeric OIDs and the one
conversion of OCTET STRING values, so both backends hand back identical values."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from dotmac_isp.sdks.core.exceptions import SNMPError

OID_RE = re.compile(r"^\.?[0-2](\.(0|[1-9][0-9]{0,9})){1,127}$")
Value = int | str | None
T = TypeVar("T")
R = TypeVar("R")
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


def oid_suffix(name: str, prefix: str) -> tuple[int, ...] | None:
    """The sub-identifiers after a column prefix ('1.3.6.1.2.1.2.2.1.8.'), or None outside
    it (or when what follows is not numeric)."""
    if not name.startswith(prefix) or len(name) == len(prefix):
        return None
    try:
        return tuple(map(int, name[len(prefix):].split(".")))
    except ValueError:
        return None


# a variable of a GETBULK answer, read for one column: where it sits (None: outside the
# column), whether the agent says it has nothing there, and its value
Reading = tuple[tuple[int, ...] | None, bool, Value]


def walk_columns(columns: Sequence[str], fetch: Callable[[list[str]], Sequence[R]],
                 read: Callable[[R, str], Reading]) -> dict[str, dict[int, Value]]:
    """Walk columns side by side, one GETBULK (fetch: the cursors -> the variables, in
    request order, repeated per row) after another, until each column ends, the agent
    goes backwards or MAX_WALK_REQUESTS is reached. read(variable, column root) places a
    variable in its column; roots are the columns without dots at either end."""
    roots = [column.strip(".") for column in columns]
    cursors = list(roots)
    last: list[tuple[int, ...]] = [() for _ in columns]
    found: dict[str, dict[int, Value]] = {column: {} for column in columns}
    active = list(range(len(columns)))
    for _ in range(MAX_WALK_REQUESTS):
        if not active:
            break
        results = fetch([cursors[i] for i in active])
        finished: set[int] = set()
        width = len(active)
        for position, variable in enumerate(results):
            column = active[position % width]
            if column in finished:
                continue
            suffix, missing, value = read(variable, roots[column])
            if suffix is None or suffix <= last[column] or missing:
                finished.add(column)  # past the column, or an agent going backwards
                continue
            last[column] = suffix
            found[columns[column]][table_index(suffix)] = value
        if not results:
            finished.update(active)
        for column in active:
            if last[column]:
                cursors[column] = ".".join((roots[column], *map(str, last[column])))
        active = [i for i in active if i not in finished]
    return found


class ThreadedBackend:
    """The asyncio face of a blocking backend: each request runs in the backend's pool."""

    _pool: ThreadPoolExecutor

    def get_blocking(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        raise NotImplementedError

    def walk_blocking(self, target: SnmpTarget, columns: Sequence[str],
                      max_repetitions: int = 50) -> dict[str, dict[int, Value]]:
        raise NotImplementedError

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, Value]:
        """GET scalars by numeric OID; absent objects come back as None."""
        return await self._run(self.get_blocking, target, list(oids))

    async def walk(self, target: SnmpTarget, columns: Sequence[str], *,
                   max_repetitions: int = 50) -> dict[str, dict[int, Value]]:
        """Walk table columns side by side with GETBULK: {column: {index: value}}."""
        return await self._run(self.walk_blocking, target, list(columns), max_repetitions)
