"""Accounting into radacct with FreeRADIUS semantics, written in batches.

Each Accounting-Request becomes an AcctRecord; a batch of records is written in one
transaction with one upsert statement per run of records of the same kind:
- Start inserts the session (or completes a row an earlier Interim created).
- Interim-Update inserts or updates counters; it ignores an update older than the stored one,
  and reopens a session we closed by guessing (stale-session job, Accounting-On/Off) when it
  proves the session was alive after that stop.
- Stop records the final counters and the stop time, inserting the row if Start was lost.
- Accounting-On/Off closes every open session of that NAS.
Octet counters include the Gigawords: (gigawords << 32) + octets.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, MetaData, Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dotmac_isp.modules.network.radius.enums import AcctStatus
from dotmac_isp.modules.network.radius.models import RadAcct
from dotmac_isp.shared.types import utcnow

TABLE: Table = RadAcct.__table__  # type: ignore[assignment]
_UPDATE_ON_START = ("acctstarttime", "nasportid", "nasporttype", "acctauthentic",
                    "connectinfo_start", "calledstationid", "callingstationid", "servicetype",
                    "framedprotocol", "class", "subscription_id")
_ADDRESSES = ("framedipaddress", "framedipv6address", "framedipv6prefix", "framedinterfaceid",
              "delegatedipv6prefix")


_STAGED = [c.name for c in TABLE.c if c.name != "radacctid"]
STAGE = Table("radacct_stage", MetaData(),
              *(Column(c.name, c.type) for c in TABLE.c if c.name != "radacctid"))
# Created once per connection; ON COMMIT DELETE ROWS empties it at each commit.
_CREATE_STAGE = ("CREATE TEMPORARY TABLE IF NOT EXISTS radacct_stage ON COMMIT DELETE ROWS AS "
                 f"SELECT {', '.join(_STAGED)} FROM radacct WITH NO DATA")
_COPY_STAGE = f"COPY radacct_stage ({', '.join(_STAGED)}) FROM STDIN"


@dataclass(slots=True)
class AcctRecord:
    status: AcctStatus
    tenant_id: uuid.UUID
    nas_id: uuid.UUID | None
    event_time: datetime
    nasipaddress: str
    acctsessionid: str = ""
    acctuniqueid: str = ""
    username: str = ""
    subscription_id: uuid.UUID | None = None
    session_time: int | None = None
    input_octets: int = 0
    output_octets: int = 0
    columns: dict[str, Any] = field(default_factory=dict)  # the other radacct columns

    @property
    def is_session(self) -> bool:
        return self.status in (AcctStatus.START, AcctStatus.INTERIM, AcctStatus.STOP)


def unique_id(tenant_id: uuid.UUID, username: str, acctsessionid: str, nasip: str,
              nas_identifier: str, nasportid: str, nasport: str) -> str:
    """Acct-Unique-Session-Id as FreeRADIUS's acct_unique policy builds it, with the tenant in
    front so two ISPs' NASes can never collide."""
    key = ",".join((str(tenant_id), username, acctsessionid, nasip, nas_identifier, nasportid,
                    nasport))
    return hashlib.md5(key.encode("utf-8", "surrogateescape")).hexdigest()


def counter(octets: int | None, gigawords: int | None) -> int:
    return ((gigawords or 0) << 32) + (octets or 0)


def _row(record: AcctRecord) -> dict[str, Any]:
    start = record.event_time
    if record.status != AcctStatus.START and record.session_time:
        start = record.event_time - timedelta(seconds=record.session_time)
    row = {
        "tenant_id": record.tenant_id, "nas_id": record.nas_id,
        "subscription_id": record.subscription_id, "acctsessionid": record.acctsessionid,
        "acctuniqueid": record.acctuniqueid, "username": record.username,
        "nasipaddress": record.nasipaddress, "acctstarttime": start,
        "acctupdatetime": record.event_time,
        "acctstoptime": record.event_time if record.status == AcctStatus.STOP else None,
        "acctsessiontime": record.session_time,
        "acctinputoctets": record.input_octets, "acctoutputoctets": record.output_octets,
        "changed_at": utcnow(),
    }
    for name in ("realm", "nasportid", "nasporttype", "acctauthentic", "connectinfo_start",
                 "connectinfo_stop", "calledstationid", "callingstationid",
                 "acctterminatecause", "servicetype", "framedprotocol", *_ADDRESSES, "class"):
        row[name] = record.columns.get(name)
    return row


def _insert(dialect: str) -> Any:
    if dialect == "postgresql":
        # from the per-transaction staging table filled with COPY (see _stage)
        return pg_insert(TABLE).from_select(_STAGED, select(*(STAGE.c[n] for n in _STAGED)))
    return sqlite_insert(TABLE)


def _keep_address(stmt: Any) -> dict[str, Any]:
    return {name: func.coalesce(stmt.excluded[name], TABLE.c[name]) for name in _ADDRESSES}


def _start_statement(dialect: str) -> Any:
    stmt = _insert(dialect)
    updates = {name: stmt.excluded[name] for name in (*_UPDATE_ON_START, "changed_at")}
    updates.update(_keep_address(stmt))
    return stmt.on_conflict_do_update(index_elements=[TABLE.c.acctuniqueid], set_=updates,
                                      where=TABLE.c.acctstoptime.is_(None))


def _interim_statement(dialect: str) -> Any:
    stmt = _insert(dialect)
    c, new = TABLE.c, stmt.excluded
    updates = {
        "acctupdatetime": new.acctupdatetime, "acctsessiontime": new.acctsessiontime,
        "acctinputoctets": new.acctinputoctets, "acctoutputoctets": new.acctoutputoctets,
        "acctstoptime": None, "acctterminatecause": None, "connectinfo_stop": None,
        "subscription_id": func.coalesce(new.subscription_id, c.subscription_id),
        "changed_at": new.changed_at, **_keep_address(stmt),
    }
    current = and_(c.acctstoptime.is_(None),
                   or_(c.acctupdatetime.is_(None), c.acctupdatetime <= new.acctupdatetime))
    reopened = c.acctstoptime < new.acctupdatetime
    return stmt.on_conflict_do_update(index_elements=[c.acctuniqueid], set_=updates,
                                      where=or_(current, reopened))


def _stop_statement(dialect: str) -> Any:
    stmt = _insert(dialect)
    c, new = TABLE.c, stmt.excluded
    updates = {
        "acctstoptime": new.acctstoptime, "acctupdatetime": new.acctupdatetime,
        "acctsessiontime": new.acctsessiontime, "acctinputoctets": new.acctinputoctets,
        "acctoutputoctets": new.acctoutputoctets,
        "acctterminatecause": new.acctterminatecause, "connectinfo_stop": new.connectinfo_stop,
        "acctstarttime": case((c.acctstarttime.is_(None), new.acctstarttime),
                              else_=c.acctstarttime),
        "subscription_id": func.coalesce(new.subscription_id, c.subscription_id),
        "changed_at": new.changed_at, **_keep_address(stmt),
    }
    return stmt.on_conflict_do_update(index_elements=[c.acctuniqueid], set_=updates)


_STATEMENTS = {AcctStatus.START: _start_statement, AcctStatus.INTERIM: _interim_statement,
               AcctStatus.STOP: _stop_statement}
_BUILT: dict[tuple[AcctStatus, str], Any] = {}


def _statement(kind: AcctStatus, dialect: str) -> Any:
    built = _BUILT.get((kind, dialect))
    if built is None:
        built = _BUILT[(kind, dialect)] = _STATEMENTS[kind](dialect)
    return built


def _stage(session: Session, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY the rows into a temporary staging table; the upsert then reads them
    with one statement. Several times faster than executemany for batches of hundreds."""
    conn = session.connection()
    conn.exec_driver_sql(_CREATE_STAGE)  # no-op after the first batch on this connection
    if session.info.get("radacct_staged"):
        conn.exec_driver_sql("DELETE FROM radacct_stage")  # a second run in this transaction
    session.info["radacct_staged"] = True
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(_COPY_STAGE) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row.get(name) for name in _STAGED])


def _runs(records: list[AcctRecord]) -> list[list[AcctRecord]]:
    """Consecutive records of the same kind, in arrival order."""
    runs: list[list[AcctRecord]] = []
    for record in records:
        if runs and runs[-1][0].status == record.status and record.is_session:
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def _one_per_session(run: list[AcctRecord]) -> list[AcctRecord]:
    # One statement cannot touch a row twice: keep the latest record of each session (the
    # first for Start), which is what applying them one after the other would leave.
    chosen: dict[str, AcctRecord] = {}
    for record in run:
        prior = chosen.get(record.acctuniqueid)
        if prior is None or (record.status != AcctStatus.START
                             and record.event_time >= prior.event_time):
            chosen[record.acctuniqueid] = record
    return list(chosen.values())


def write_batch(session: Session, records: list[AcctRecord]) -> None:
    """Store a batch in the caller's transaction (flush, no commit)."""
    for run in _runs(records):
        kind = run[0].status
        if kind in _STATEMENTS:
            # a fixed order: concurrent batches then take row locks in the same order
            rows = sorted((_row(r) for r in _one_per_session(run)),
                          key=lambda row: row["acctuniqueid"])
            dialect = session.get_bind().dialect.name
            statement = _statement(kind, dialect)
            if dialect == "postgresql":
                _stage(session, rows)
                session.execute(statement)
            else:
                session.execute(statement, rows)
        else:
            for record in run:
                close_nas_sessions(session, record)


def close_nas_sessions(session: Session, record: AcctRecord) -> int:
    """Accounting-On/Off: the NAS (re)started, none of its sessions survived."""
    cause = record.columns.get("acctterminatecause") or "NAS-Reboot"
    stmt = select(TABLE.c.radacctid, TABLE.c.acctstarttime).where(
        TABLE.c.tenant_id == record.tenant_id, TABLE.c.nasipaddress == record.nasipaddress,
        TABLE.c.acctstoptime.is_(None))
    if record.nas_id is not None:
        stmt = stmt.where(TABLE.c.nas_id == record.nas_id)
    return close_sessions(session, list(session.execute(stmt)), record.event_time, cause)


def close_sessions(session: Session, rows: list[Any], when: datetime, cause: str) -> int:
    """Give open sessions a stop time; rows are (radacctid, acctstarttime)."""
    return close_each(session, [(rid, start, when) for rid, start in rows], cause)


def close_each(session: Session, rows: list[Any], cause: str) -> int:
    """Give open sessions each its own stop time, in one statement; rows are (radacctid,
    acctstarttime, stop time)."""
    if not rows:
        return 0
    changed = utcnow()
    values = [{"rid": rid, "stop": when, "cause": cause, "changed": changed,
               "seconds": max(0, int((when - start).total_seconds())) if start else None}
              for rid, start, when in rows]
    stmt = (update(TABLE).where(TABLE.c.radacctid == bindparam("rid"),
                                TABLE.c.acctstoptime.is_(None))
            .values(acctstoptime=bindparam("stop"), acctupdatetime=bindparam("stop"),
                    acctterminatecause=bindparam("cause"), changed_at=bindparam("changed"),
                    acctsessiontime=func.coalesce(bindparam("seconds"),
                                                  TABLE.c.acctsessiontime)))
    session.connection().execute(stmt, values)
    return len(values)
