"""Accounting into radacct with FreeRADIUS semantics, written in batches.

Each Accounting-Request becomes an AcctRecord; a batch of records is written in one
transaction with one upsert statement per run of records of the same kind. Like the rlm_sql
queries FreeRADIUS ships for PostgreSQL, a session the NAS stopped is never written again:
- Start inserts the session (or completes a row an earlier Interim created); it never
  reopens a stopped session.
- Interim-Update inserts or updates counters; it ignores an update older than the stored one
  (counters never go backwards), and a late one after the NAS's Stop changes nothing. Only a
  session we closed by inference (stale-session job, Accounting-On/Off: stop_inferred) is
  reopened, when the Interim proves the session was alive after that stop.
- Stop records the final counters and the stop time, inserting the row if Start was lost.
  The first Stop stays; a Stop replaces only an inferred stop.
- Accounting-On/Off closes the sessions of that NAS that were open and had started by then.
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

from dotmac_isp.modules.network.radius import sections
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
        # FreeRADIUS starts every session at 0 seconds
        "acctsessiontime": 0 if record.status == AcctStatus.START else record.session_time,
        "acctinputoctets": record.input_octets, "acctoutputoctets": record.output_octets,
        "changed_at": utcnow(), "stop_inferred": False,
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
    c, new = TABLE.c, stmt.excluded
    updates = {name: new[name] for name in (*_UPDATE_ON_START, "changed_at")}
    # the earliest start: a Start sent again later (no Event-Timestamp) does not move it
    updates["acctstarttime"] = case(
        (or_(c.acctstarttime.is_(None), new.acctstarttime < c.acctstarttime),
         new.acctstarttime), else_=c.acctstarttime)
    updates.update(_keep_address(stmt))
    return stmt.on_conflict_do_update(index_elements=[TABLE.c.acctuniqueid], set_=updates,
                                      where=TABLE.c.acctstoptime.is_(None)
                                      ).returning(TABLE.c.acctuniqueid)


def _interim_statement(dialect: str) -> Any:
    stmt = _insert(dialect)
    c, new = TABLE.c, stmt.excluded
    updates = {
        "acctupdatetime": new.acctupdatetime, "acctsessiontime": new.acctsessiontime,
        "acctinputoctets": new.acctinputoctets, "acctoutputoctets": new.acctoutputoctets,
        "acctstoptime": None, "acctterminatecause": None, "connectinfo_stop": None,
        "stop_inferred": False,
        "subscription_id": func.coalesce(new.subscription_id, c.subscription_id),
        "changed_at": new.changed_at, **_keep_address(stmt),
    }
    current = and_(c.acctstoptime.is_(None),
                   or_(c.acctupdatetime.is_(None), c.acctupdatetime <= new.acctupdatetime))
    # FreeRADIUS updates only rows without a stop time. We also reopen a stop we inferred
    # ourselves, when this Interim shows the session was still alive after it.
    reopened = and_(c.stop_inferred.is_(True), c.acctstoptime < new.acctupdatetime)
    return stmt.on_conflict_do_update(index_elements=[c.acctuniqueid], set_=updates,
                                      where=or_(current, reopened)
                                      ).returning(c.acctuniqueid)


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
        "stop_inferred": False, "changed_at": new.changed_at, **_keep_address(stmt),
    }
    # The NAS's first Stop stays (a retransmission or a second Stop changes nothing); its
    # Stop replaces a stop we inferred, as FreeRADIUS's last stop query does.
    return stmt.on_conflict_do_update(index_elements=[c.acctuniqueid], set_=updates,
                                      where=or_(c.acctstoptime.is_(None),
                                                c.stop_inferred.is_(True)))


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
    # One statement cannot touch a row twice: keep the latest Interim of each session, the
    # first Start or Stop, which is what applying them one after the other would leave.
    chosen: dict[str, AcctRecord] = {}
    for record in run:
        prior = chosen.get(record.acctuniqueid)
        if prior is None or (record.status == AcctStatus.INTERIM
                             and record.event_time >= prior.event_time):
            chosen[record.acctuniqueid] = record
    return list(chosen.values())


@dataclass(slots=True)
class Written:
    """How a batch left the sessions it touched: open (by the record that opened or updated
    it) or closed. The servers' in-memory view of online sessions follows this, so it counts
    for the simultaneous-use limit exactly the sessions radacct has open."""

    opened: dict[str, AcctRecord] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)

    def open(self, record: AcctRecord) -> None:
        self.opened[record.acctuniqueid] = record
        self.closed.discard(record.acctuniqueid)

    def close(self, acctuniqueid: str) -> None:
        self.opened.pop(acctuniqueid, None)
        self.closed.add(acctuniqueid)


def write_batch(session: Session, records: list[AcctRecord]) -> Written:
    """Store a batch in the caller's transaction (flush, no commit)."""
    written = Written()
    for run in _runs(records):
        kind = run[0].status
        if kind in _STATEMENTS:
            # a fixed order: concurrent batches then take row locks in the same order
            chosen = sorted(_one_per_session(run), key=lambda r: r.acctuniqueid)
            rows = [_row(r) for r in chosen]
            dialect = session.get_bind().dialect.name
            statement = _statement(kind, dialect)
            if dialect == "postgresql":
                _stage(session, rows)
                result = session.execute(statement)
            else:
                result = session.execute(statement, rows)
            if kind == AcctStatus.STOP:
                for record in chosen:
                    written.close(record.acctuniqueid)
            else:
                # the rows the upsert inserted or updated: a Start or Interim that found
                # its session stopped returns nothing and leaves it closed
                by_id = {r.acctuniqueid: r for r in chosen}
                for uid in result.scalars():
                    written.open(by_id[uid])
        else:
            for record in run:
                for uid in close_nas_sessions(session, record):
                    written.close(uid)
    sections.after_accounting(session, records)
    return written


def close_nas_sessions(session: Session, record: AcctRecord) -> list[str]:
    """Accounting-On/Off: the NAS (re)started, none of its sessions that had started by then
    survived. Returns the acctuniqueids closed."""
    cause = record.columns.get("acctterminatecause") or "NAS-Reboot"
    c = TABLE.c
    stmt = select(c.radacctid, c.acctstarttime, c.acctuniqueid).where(
        c.tenant_id == record.tenant_id, c.nasipaddress == record.nasipaddress,
        c.acctstoptime.is_(None),
        # a session that started after the reboot (its Start overtook the Accounting-On)
        # stays open, as in FreeRADIUS's accounting-on query
        or_(c.acctstarttime.is_(None), c.acctstarttime <= record.event_time))
    if record.nas_id is not None:
        stmt = stmt.where(c.nas_id == record.nas_id)
    rows = list(session.execute(stmt))
    close_sessions(session, [(rid, start) for rid, start, _uid in rows], record.event_time,
                   cause)
    return [uid for _rid, _start, uid in rows]


def close_sessions(session: Session, rows: list[Any], when: datetime, cause: str) -> int:
    """Give open sessions a stop time; rows are (radacctid, acctstarttime)."""
    return close_each(session, [(rid, start, when) for rid, start in rows], cause)


def close_each(session: Session, rows: list[Any], cause: str) -> int:
    """Give open sessions each its own stop time, in one statement; rows are (radacctid,
    acctstarttime, stop time). The stop is marked inferred: the NAS did not say so, and a
    later Interim-Update from it reopens the session."""
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
                    stop_inferred=True,
                    acctsessiontime=func.coalesce(bindparam("seconds"),
                                                  TABLE.c.acctsessiontime)))
    session.connection().execute(stmt, values)
    return len(values)
