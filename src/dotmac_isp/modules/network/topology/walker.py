"""GETBULK walks of tables with multi-part indexes (LLDP, CDP), keeping the whole index and the
raw octets of each value.

SnmpClient.walk keys rows by the last index part and turns octet strings into text, which is
right for IF-MIB but loses the rows of lldpRemTable (time mark, local port, remote index) and
the bytes of a MAC chassis id; this reads those tables with pysnmp directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from pysnmp.hlapi.v3arch.asyncio import (
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_cmd,
)
from pysnmp.proto import rfc1902, rfc1905

from dotmac_isp.sdks.core.exceptions import SNMPError
from dotmac_isp.sdks.snmp import SnmpTarget, SnmpTimeout
from dotmac_isp.sdks.snmp.pysnmp_backend import auth_data, raw_value

Index = tuple[int, ...]
Raw = bytes | int | str | None
Rows = dict[str, dict[Index, Raw]]
_MISSING = (rfc1905.NoSuchObject.tagSet, rfc1905.NoSuchInstance.tagSet,
            rfc1905.EndOfMibView.tagSet)
MAX_REQUESTS = 10_000  # per walk: a broken agent cannot keep a cycle here forever


class TableWalker:
    """Walks table columns of many targets from one pysnmp engine."""

    def __init__(self) -> None:
        self._engine = SnmpEngine()

    async def walk(self, target: SnmpTarget, columns: Sequence[str], *,
                   max_repetitions: int = 25) -> Rows:
        """{column: {index: value}} for each column, the index being every sub-identifier
        after the column's OID."""
        try:
            transport = await UdpTransportTarget.create(
                (target.host, target.port), timeout=target.timeout, retries=target.retries)
        except Exception as exc:  # pysnmp wraps resolver and socket errors variously
            raise SNMPError(f"cannot reach {target.host}:{target.port}: {exc}") from exc
        auth = auth_data(target.credentials)
        roots = [rfc1902.ObjectName(c) for c in columns]
        cursors = list(roots)
        found: Rows = {c: {} for c in columns}
        active = list(range(len(columns)))
        for _ in range(MAX_REQUESTS):
            if not active:
                break
            error_indication, error_status, _index, var_binds = await bulk_cmd(
                self._engine, auth, transport, ContextData(), 0, max_repetitions,
                *[ObjectType(ObjectIdentity(cursors[i])) for i in active], lookupMib=False)
            if error_indication:
                where = f"{target.host}:{target.port}"
                if "timeout" in str(error_indication).lower():
                    raise SnmpTimeout(f"no SNMP answer from {where} within {target.timeout:g}s")
                raise SNMPError(f"SNMP request to {where} failed: {error_indication}")
            if error_status and int(error_status) != 0:
                raise SNMPError(f"{target.host} answered {error_status.prettyPrint()}")
            finished: set[int] = set() if var_binds else set(active)
            width = len(active)
            for position, (name, value) in enumerate(var_binds):
                column = active[position % width]
                if column in finished:
                    continue
                root = roots[column]
                if value.tagSet in _MISSING or not root.isPrefixOf(name) or \
                        name <= cursors[column]:
                    finished.add(column)
                    continue
                cursors[column] = name
                found[columns[column]][tuple(name)[len(root):]] = raw_value(value)
            active = [i for i in active if i not in finished]
        return found

    def close(self) -> None:
        self._engine.close_dispatcher()
