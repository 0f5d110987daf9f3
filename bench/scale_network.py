"""The network edge at ISP scale on PostgreSQL (default 100,000 subscribers).

    .venv/bin/python -m bench.scale_network [--subscriptions N] [--url postgresql://...]

Seeds a scratch database with COPY: active subscriptions with an IPv4 address and a delegated
IPv6 prefix from IPAM pools, 1,000,000 accounting sessions over 30 days and 2,000,000
post-auth rows over 100 days (scaled with --subscriptions). Then times, each beside a
reference measured in the same run on the same rows:
- the RADIUS full policy load (goal under 10 s) against bare SELECTs of the subscription and
  allocation rows it reads;
- a usage roll-up cycle after 10,000 interim updates written through the accounting path
  (goal under 2 s) against a bare SELECT of those 10,000 rows;
- a retention run (accounting and post-auth) against a COPY out of the rows it deletes.
"""

from __future__ import annotations

import argparse
import ipaddress
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import text

from bench.scratch import add_url_argument, scratch_database
from dotmac_isp.config import Settings
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.ipam import pools, prefixes, schemas
from dotmac_isp.modules.network.ipam.addressing import encode_slot, key_of
from dotmac_isp.modules.network.ipam.enums import PoolKind, PrefixRole
from dotmac_isp.modules.network.radius import accounting, retention, usage
from dotmac_isp.modules.network.radius.cache import PolicyCache
from dotmac_isp.modules.network.radius.enums import AcctStatus
from dotmac_isp.modules.services.models import Plan
from dotmac_isp.shared import crypto
from dotmac_isp.shared.db import Database

NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
V4_POOL = "100.64.0.0/14"  # 262,142 addresses
PD_POOL = "2001:db8::/38"  # 262,144 /56 prefixes


def copy(database: Database, table: str, columns: Sequence[str],
         rows: Iterable[Sequence[Any]]) -> None:
    with database.engine.begin() as conn:
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
            for row in rows:
                out.write_row(row)


def seed(database: Database, count: int, sessions: int, postauths: int) -> dict[str, Any]:
    with database.unit_of_work() as session:
        tenant = identity_service.create_tenant(session, name="Scale ISP", slug="scale")
        role = PrefixRole.SUBSCRIBER_POOL
        v4_prefix = prefixes.create_prefix(session, tenant.id,
                                           schemas.PrefixCreate(network=V4_POOL, role=role))
        pd_prefix = prefixes.create_prefix(session, tenant.id,
                                           schemas.PrefixCreate(network=PD_POOL, role=role))
        v4 = pools.create_pool(session, tenant.id, schemas.PoolCreate(
            name="subscribers-v4", prefix_id=v4_prefix.id))
        pd = pools.create_pool(session, tenant.id, schemas.PoolCreate(
            name="subscribers-pd", prefix_id=pd_prefix.id, kind=PoolKind.DELEGATION,
            delegated_length=56))
        plan = Plan(tenant_id=tenant.id, name="Fibre 100", kind="internet",
                    download_kbps=100_000, upload_kbps=20_000, price=Decimal("39.99"),
                    currency="USD", billing_cycle="monthly", radius_attributes={},
                    ipv4_pool_id=v4.id, ipv6_pd_pool_id=pd.id)
        session.add(plan)
        session.flush()
        tenant_id, plan_id, v4_id, pd_id = tenant.id, plan.id, v4.id, pd.id
    since = NOW - timedelta(days=60)
    customers = [uuid.uuid4() for _ in range(count)]
    subs = [uuid.uuid4() for _ in range(count)]
    copy(database, "customers",
         ("id", "tenant_id", "number", "kind", "status", "first_name", "last_name",
          "company_name", "email", "phone", "tax_id", "tax_exempt", "tax_exempt_reason",
          "currency", "tags", "custom_fields", "notes", "search_text", "status_changed_at",
          "created_at", "updated_at"),
         ((c, tenant_id, f"C{i + 1:07d}", "residential", "active", "Scale", str(i), "",
           f"c{i}@example.net", "", "", False, "", "USD", Jsonb([]), Jsonb({}), "", "",
           since, since, since) for i, c in enumerate(customers)))
    password = crypto.encrypt(SECRET, "subscriber-password")
    copy(database, "subscriptions",
         ("id", "tenant_id", "customer_id", "plan_id", "status", "radius_username",
          "radius_password_encrypted", "notes", "status_changed_at", "activated_at",
          "suspend_reason", "version", "created_at", "updated_at"),
         ((s, tenant_id, customers[i], plan_id, "active", f"u{i}", password, "", since, since,
           "", 1, since, since) for i, s in enumerate(subs)))
    v4_net = ipaddress.ip_network(V4_POOL)
    pd_net = ipaddress.ip_network(PD_POOL)
    pd_size = 1 << (128 - 56)

    def allocations() -> Iterable[Sequence[Any]]:
        for i, sub in enumerate(subs):
            address = int(v4_net.network_address) + i + 1
            yield (uuid.uuid4(), tenant_id, v4_id, 4, str(ipaddress.IPv4Address(address)), 32,
                   key_of(4, address), key_of(4, address), encode_slot(i + 1), "allocated",
                   "subscription", sub, "", since, since, since)
            start = int(pd_net.network_address) + i * pd_size
            yield (uuid.uuid4(), tenant_id, pd_id, 6, str(ipaddress.IPv6Address(start)), 56,
                   key_of(6, start), key_of(6, start + pd_size - 1), encode_slot(i),
                   "allocated", "subscription", sub, "", since, since, since)

    # straight into the allocations table: the pools' free-space bookkeeping is not what is
    # measured here, only the reads the RADIUS load makes
    copy(database, "ipam_allocations",
         ("id", "tenant_id", "pool_id", "family", "address", "prefix_length", "start_key",
          "end_key", "slot", "status", "holder_type", "holder_id", "description",
          "assigned_at", "created_at", "updated_at"), allocations())

    open_uids: list[tuple[int, str]] = []

    def radacct() -> Iterable[Sequence[Any]]:
        span = 30 * 86_400
        for n in range(sessions):
            i = n % count
            start = NOW - timedelta(seconds=span * (sessions - n) / sessions)
            uid = uuid.uuid4().hex
            is_open = n >= sessions - count // 2  # the newest sessions are still online
            stop = None if is_open else start + timedelta(hours=4)
            update = min(start + timedelta(hours=4), NOW)
            if is_open:
                open_uids.append((i, uid))
            yield (tenant_id, uid[:8], uid, f"u{i}", "198.51.100.1", start, update, stop,
                   int((update - start).total_seconds()), 10_000_000 * (n % 50),
                   100_000_000 * (n % 50), subs[i], update)

    copy(database, "radacct",
         ("tenant_id", "acctsessionid", "acctuniqueid", "username", "nasipaddress",
          "acctstarttime", "acctupdatetime", "acctstoptime", "acctsessiontime",
          "acctinputoctets", "acctoutputoctets", "subscription_id", "changed_at"), radacct())
    copy(database, "radpostauth",
         ("tenant_id", "username", "reply", "reason", "auth_method", "nasipaddress",
          "authdate"),
         ((tenant_id, f"u{n % count}", "Access-Accept", "", "pap", "198.51.100.1",
           NOW - timedelta(seconds=100 * 86_400 * (postauths - n) / postauths))
          for n in range(postauths)))
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # as autovacuum would have done on a live system
    return {"tenant_id": tenant_id, "subs": subs, "open": open_uids}


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def bare(database: Database, sql: str, params: Any = None) -> float:
    with database.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        started = time.perf_counter()
        with raw.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        return time.perf_counter() - started


def copy_out(database: Database, sql: str) -> float:
    with database.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        started = time.perf_counter()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT") as source:
            for _block in source:
                pass
        return time.perf_counter() - started


def line(name: str, seconds: float, ref: float, goal: str, what: str) -> None:
    print(f"{name:<22} {seconds:7.2f} s   reference {ref:6.2f} s   ratio {seconds / ref:5.1f}x"
          f"   {goal}  ({what})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--postauth", type=int, default=2_000_000)
    parser.add_argument("--updates", type=int, default=10_000)
    add_url_argument(parser)
    parser.add_argument("--parts", default="policy,rollup,retention",
                        help="which timings to run (comma-separated)")
    args = parser.parse_args()
    settings = Settings(secret_key=SECRET)  # type: ignore[arg-type]
    with scratch_database(args.url) as url:
        database = Database.from_url(url)
        seconds, seeded = timed(lambda: seed(database, args.subscriptions, args.sessions,
                                             args.postauth))
        print(f"seeded {args.subscriptions:,} subscriptions (IPv4 + /56 each), "
              f"{args.sessions:,} radacct and {args.postauth:,} radpostauth rows in "
              f"{seconds:.0f} s")

        parts = set(args.parts.split(","))
        if "policy" in parts:
            _policy(database, settings)
        if "rollup" in parts:
            _rollups(database, seeded, args.updates)
        if "retention" in parts:
            _retention(database, settings)
        database.dispose()


def _policy(database: Database, settings: Settings) -> None:
    # 1. the full policy load
    cache = PolicyCache(database, settings)
    load_s, update = timed(cache.load_all)
    with_addresses = sum(1 for p in update.profiles if p.ipv4 and p.ipv6_prefix)
    ref = (bare(database, "SELECT tenant_id, id, radius_username, radius_password_encrypted,"
                          " status, plan_id FROM subscriptions")
           + bare(database, "SELECT tenant_id, holder_id, family, address, prefix_length "
                            "FROM ipam_allocations WHERE status = 'allocated'"))
    line("policy load", load_s, ref, "goal < 10 s",
         f"{len(update.profiles):,} profiles, {with_addresses:,} with both addresses, "
         f"{len(update.sessions or []):,} open sessions")


def _rollups(database: Database, seeded: dict[str, Any], updates: int) -> None:
    # 2. usage roll-up: the first run (no watermark) reads the last two days, then a
    # cycle after interim updates written through the accounting path
    first_s, first = timed(lambda: _rollup(database, seeded["tenant_id"]))
    print(f"{'roll-up, first run':<22} {first_s:7.2f} s   ({first:,} subscription-days; "
          f"reads the last {usage.WINDOW.days} days once)")
    tenant_id, subs = seeded["tenant_id"], seeded["subs"]
    chosen = seeded["open"][:updates]
    when = datetime.now(UTC)
    records = [accounting.AcctRecord(
        status=AcctStatus.INTERIM, tenant_id=tenant_id, nas_id=None, event_time=when,
        nasipaddress="198.51.100.1", acctsessionid=uid[:8], acctuniqueid=uid,
        username=f"u{i}", subscription_id=subs[i], session_time=3600,
        input_octets=5_000_000_000, output_octets=50_000_000_000) for i, uid in chosen]
    write_s = 0.0
    for start in range(0, len(records), 200):  # the server's batch size
        batch = records[start:start + 200]
        began = time.perf_counter()
        with database.unit_of_work() as session:
            accounting.write_batch(session, batch)
        write_s += time.perf_counter() - began
    cycle_s, days = timed(lambda: _rollup(database, seeded["tenant_id"]))
    uids = [uid for _, uid in chosen]
    ref = bare(database, "SELECT radacctid, tenant_id, subscription_id, acctstoptime, "
                         "acctupdatetime, acctstarttime, acctinputoctets, acctoutputoctets,"
                         " acctsessiontime, changed_at FROM radacct "
                         "WHERE acctuniqueid = ANY(%s)", (uids,))
    line("roll-up cycle", cycle_s, ref, "goal < 2 s",
         f"after {len(records):,} interims ({write_s:.1f} s to write); "
         f"{days:,} subscription-days changed")
    again_s, again = timed(lambda: _rollup(database, seeded["tenant_id"]))
    print(f"{'roll-up, again':<22} {again_s:7.2f} s   ({again} subscription-days changed;"
          f" must be 0)")


def _retention(database: Database, settings: Settings) -> None:
    # 3. retention with the default periods
    conf = settings.retention
    post_cut = NOW - timedelta(days=conf.postauth_days)
    ref = (copy_out(database, "SELECT * FROM radpostauth WHERE authdate < "
                              f"'{post_cut.isoformat()}'")
           + copy_out(database, "SELECT * FROM radacct WHERE acctstoptime < "
                                f"'{(NOW - timedelta(days=conf.radacct_days)).isoformat()}'"))
    keep_s, deleted = timed(lambda: (
        retention.prune_accounting(database, NOW, days=conf.radacct_days,
                                   batch_size=conf.batch_size),
        retention.prune_postauth(database, NOW, days=conf.postauth_days,
                                 batch_size=conf.batch_size)))
    line("retention run", keep_s, ref, "", f"{deleted[0]:,} sessions and {deleted[1]:,} "
         f"post-auth rows deleted, {conf.batch_size:,} per transaction")
    again_s, deleted = timed(lambda: (
        retention.prune_accounting(database, NOW, days=conf.radacct_days,
                                   batch_size=conf.batch_size),
        retention.prune_postauth(database, NOW, days=conf.postauth_days,
                                 batch_size=conf.batch_size)))
    print(f"{'retention, again':<22} {again_s:7.2f} s   ({sum(deleted)} rows deleted; "
          f"must be 0)")


def _rollup(database: Database, tenant_id: uuid.UUID) -> int:
    # as the radius.rollup_usage job runs it: per tenant, under the tenant's watermark
    with database.unit_of_work() as session:
        return usage.rollup(session, datetime.now(UTC), tenant_id)


if __name__ == "__main__":
    main()
