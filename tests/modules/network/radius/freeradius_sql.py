"""FreeRADIUS with rlm_sql and the default queries it ships, as the reference our accounting is
compared with: radclient -> freeradius (preacct acct_unique, accounting sql) -> its radacct."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from tests.modules.network.radius.support import SECRET
from tests.support.freeradius import (
    FreeRadius,
    enable_site,
    free_udp_port,
    prepare_raddb,
    running,
)
from tests.support.postgres import PostgresServer, scratch_database

SQL_CONFIG = Path("/etc/freeradius/3.0/mods-config/sql/main")
# The columns compared, as FreeRADIUS names them in radacct.
COMPARED = ("acctstarttime", "acctupdatetime", "acctstoptime", "acctsessiontime",
            "acctinputoctets", "acctoutputoctets", "acctterminatecause", "framedipaddress")

_SITE = """server accounting_reference {
\tlisten {
\t\ttype = acct
\t\tipaddr = 127.0.0.1
\t\tport = %d
\t}
\tpreacct {
\t\tacct_unique
\t}
\taccounting {
\t\tsql
\t}
}
"""

_MODULE = """sql {
\tdialect = "%(dialect)s"
\tdriver = "rlm_sql_${dialect}"
\tsqlite {
\t\tfilename = "%(sqlite_file)s"
\t\tbusy_timeout = 2000
\t}
\tserver = "%(host)s"
\tport = %(port)d
\tlogin = "%(login)s"
\tpassword = ""
\tradius_db = "%(database)s"
\tacct_table1 = "radacct"
\tacct_table2 = "radacct"
\tpostauth_table = "radpostauth"
\tauthcheck_table = "radcheck"
\tgroupcheck_table = "radgroupcheck"
\tauthreply_table = "radreply"
\tgroupreply_table = "radgroupreply"
\tusergroup_table = "radusergroup"
\tread_clients = no
\tclient_table = "nas"
\tgroup_attribute = "SQL-Group"
\tpool {
\t\tstart = 1
\t\tmin = 1
\t\tmax = 4
\t\tspare = 1
\t\tuses = 0
\t\tretry_delay = 1
\t\tlifetime = 0
\t\tidle_timeout = 60
\t}
\t$INCLUDE ${modconfdir}/${.:name}/main/${dialect}/queries.conf
}
"""


@dataclass
class SqlReference:
    """A running FreeRADIUS whose accounting goes into its own radacct."""

    dialect: str  # "postgresql" or "sqlite"
    acct_port: int
    _pg_url: str | None
    _sqlite_file: Path | None

    def sessions(self, session_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The compared columns of each session, normalised: times as epoch seconds, ''
        as None, addresses as text."""
        query = (f"SELECT acctsessionid, {', '.join(COMPARED)} FROM radacct "
                 f"WHERE acctsessionid IN ({', '.join(['%s'] * len(session_ids))})")
        if self.dialect == "postgresql":
            assert self._pg_url is not None
            with psycopg.connect(self._pg_url) as conn:
                rows = conn.execute(query, session_ids).fetchall()
        else:
            assert self._sqlite_file is not None
            with sqlite3.connect(self._sqlite_file) as conn:
                rows = conn.execute(query.replace("%s", "?"), session_ids).fetchall()
        return {row[0]: dict(zip(COMPARED, (normalise(v) for v in row[1:]), strict=True))
                for row in rows}


def normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.astimezone(UTC).timestamp())
    if value == "":
        return None
    if value is None or isinstance(value, int):
        return value
    return str(value)


@contextmanager
def sql_reference(workdir: Path, dialect: str,
                  postgres: PostgresServer | None) -> Iterator[SqlReference]:
    """FreeRADIUS on a free loopback port with rlm_sql on a fresh database of the dialect;
    stopped by PID (and the database dropped) afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    raddb = prepare_raddb(workdir, SECRET)
    sqlite_file = workdir / "radacct.sqlite"
    with _database(dialect, postgres, sqlite_file) as pg_url:
        values: dict[str, Any] = {"dialect": dialect, "sqlite_file": sqlite_file,
                                  "host": "127.0.0.1", "port": 5432, "login": "postgres",
                                  "database": "radius"}
        if pg_url is not None:
            url = make_url(pg_url)
            values.update(host=url.host or "127.0.0.1", port=url.port or 5432,
                          login=url.username or "postgres", database=url.database)
        (raddb / "mods-enabled" / "sql").write_text(_MODULE % values)
        port = free_udp_port()
        enable_site(raddb, _SITE % port, "accounting_reference")
        with running(FreeRadius(raddb, 0, port, SECRET)):
            libpq = None if pg_url is None else pg_url.replace("postgresql+psycopg://",
                                                               "postgresql://", 1)
            yield SqlReference(dialect, port, libpq,
                               sqlite_file if dialect == "sqlite" else None)


@contextmanager
def _database(dialect: str, postgres: PostgresServer | None,
              sqlite_file: Path) -> Iterator[str | None]:
    schema = (SQL_CONFIG / dialect / "schema.sql").read_text()
    if dialect == "sqlite":
        with sqlite3.connect(sqlite_file) as conn:
            conn.executescript(schema)
        yield None
        return
    assert postgres is not None
    with scratch_database(postgres) as url:
        libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(schema.encode())
        yield url


def session_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
