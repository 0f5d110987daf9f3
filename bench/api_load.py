"""API list, search and detail latency with 100,000 customers and 1,000,000 accounting rows.

    .venv/bin/python -m bench.api_load [--customers N] [--radacct N] [--url postgresql://...]

Seeds a scratch PostgreSQL database with bulk inserts (customers with email, phone and an
address, one subscription each with a RADIUS username, accounting rows, invoices, a quarter
of them overdue), then calls each endpoint in this process through the ASGI app and prints
p50/p95/p99 and requests/s beside a reference: the bare SQL of the same query, timed on the
same database in the same run. The goal is p95 under 50 ms for each endpoint.

Then, over HTTP on loopback, the customer list and customer detail under load from
--concurrency keep-alive clients, served by 1 and by 2 API processes (as `serve --workers N`
runs them) alternately, --repeat times: requests/s, p50 and p95 of each round and of all
rounds together, and the ratio 2 processes : 1.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from bench.http_load import LoadResult, api_processes, run_load
from bench.scratch import add_url_argument, scratch_database
from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.billing.models import Invoice
from dotmac_isp.modules.customers.models import Address, Customer
from dotmac_isp.modules.identity import schemas as identity_schemas
from dotmac_isp.modules.identity import security
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.services.models import Plan, Subscription
from dotmac_isp.shared.db import Database

CHUNK = 10_000
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def seed(database: Database, settings: Settings, customers: int,
         radacct: int) -> tuple[uuid.UUID, str, list[uuid.UUID]]:
    with database.unit_of_work() as session:
        tenant = identity_service.create_tenant(session, name="Bench ISP", slug="bench")
        role = identity_service.role_by_name(session, tenant.id, "admin")
        user = identity_service.create_user(session, settings, tenant.id,
                                            identity_schemas.UserCreate(
                                                email="bench@bench.example", full_name="Bench",
                                                password="bench-password-123", role_id=role.id))
        plan = Plan(tenant_id=tenant.id, name="Fibre 100", kind="internet",
                    download_kbps=100_000, upload_kbps=20_000, price=Decimal("39.99"),
                    currency="USD", billing_cycle="monthly", radius_attributes={})
        session.add(plan)
        session.flush()
        tid, plan_id, user_id = tenant.id, plan.id, user.id
    token = security.encode_access_token(settings.secret_key.get_secret_value(), user_id, tid,
                                         timedelta(hours=2))
    sub_ids: list[uuid.UUID] = []
    start = NOW - timedelta(days=400)
    with database.engine.begin() as conn:
        for offset in range(0, customers, CHUNK):
            rows, addresses, subs, invoices = [], [], [], []
            for i in range(offset, min(customers, offset + CHUNK)):
                cid, sid = uuid.uuid4(), uuid.uuid4()
                first, last = f"First{i}", f"Family{i * 7919 % 100_003}"
                email, phone = f"person{i}@mail{i % 97}.example", f"+234 803 {i:07d}"
                line = f"{i % 400} Adeola Street, Lagos"
                rows.append({"id": cid, "tenant_id": tid, "number": f"C{i + 1:07d}",
                             "kind": "residential", "status": "active", "first_name": first,
                             "last_name": last, "email": email, "phone": phone,
                             "currency": "USD", "tags": [], "custom_fields": {},
                             "status_changed_at": start, "created_at": start,
                             "updated_at": start,
                             "search_text": " | ".join([f"C{i + 1:07d}", first, last, email,
                                                        phone, phone.replace(" ", "")[1:],
                                                        line]).lower()})
                addresses.append({"id": uuid.uuid4(), "tenant_id": tid, "customer_id": cid,
                                  "kind": "billing", "line1": line, "city": "Lagos",
                                  "country": "NG", "created_at": start, "updated_at": start})
                subs.append({"id": sid, "tenant_id": tid, "customer_id": cid,
                             "plan_id": plan_id, "status": "active",
                             "radius_username": f"sub{i:06d}@fibre",
                             "radius_password_encrypted": "x", "status_changed_at": start,
                             "activated_at": start, "version": 1, "created_at": start,
                             "updated_at": start})
                overdue = i % 4 == 0
                invoices.append({"id": uuid.uuid4(), "tenant_id": tid, "customer_id": cid,
                                 "number": f"INV-{i + 1:07d}",
                                 "status": "overdue" if overdue else "paid", "currency": "USD",
                                 "issue_date": date(2026, 5, 1), "due_date": date(2026, 5, 15),
                                 "subtotal": Decimal("39.99"), "total": Decimal("39.99"),
                                 "amount_paid": Decimal(0) if overdue else Decimal("39.99"),
                                 "created_at": start, "updated_at": start})
                sub_ids.append(sid)
            conn.execute(insert(Customer.__table__), rows)
            conn.execute(insert(Address.__table__), addresses)
            conn.execute(insert(Subscription.__table__), subs)
            conn.execute(insert(Invoice.__table__), invoices)
        # accounting rows are made in the database: a million rows through Python takes minutes
        per_sub = max(1, radacct // customers)
        conn.execute(text(f"""
            INSERT INTO radacct (tenant_id, acctsessionid, acctuniqueid, username,
                nasipaddress, acctstarttime, acctupdatetime, acctstoptime, acctsessiontime,
                acctinputoctets, acctoutputoctets, callingstationid, framedipaddress,
                subscription_id)
            SELECT s.tenant_id, 'S' || g || '-' || s.radius_username, md5(s.id::text || g),
                s.radius_username, '198.51.100.1', :start + (g * interval '1 day'),
                :start + (g * interval '1 day') + interval '20 hours',
                :start + (g * interval '1 day') + interval '20 hours', 72000,
                1000000 * g, 5000000 * g, 'AA-BB-' || substr(md5(s.id::text), 1, 8),
                '100.64.' || (row_number() OVER () % 250) || '.' || (g % 250), s.id
            FROM subscriptions s, generate_series(1, {per_sub}) AS g
            LIMIT :n"""), {"start": start, "n": radacct})
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would have done on a live system
    return tid, token, sub_ids


def timed(call: Callable[[], object], rounds: int) -> list[float]:
    call()  # warm the caches and the statement cache, as a live server would be
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float, float, float]:
    q = statistics.quantiles(samples, n=100)
    return q[49], q[94], q[98], 1000 * len(samples) / sum(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--radacct", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP clients at once")
    parser.add_argument("--seconds", type=float, default=10.0, help="load per measurement")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of 1 then 2 processes")
    parser.add_argument("--skip-asgi", action="store_true",
                        help="only the HTTP measurements with 1 and 2 processes")
    add_url_argument(parser)
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        settings = Settings(database_url=url, environment="test")
        database = Database.from_url(url)
        t0 = time.perf_counter()
        tid, token, subs = seed(database, settings, args.customers, args.radacct)
        print(f"seeded {args.customers:,} customers, {args.radacct:,} accounting rows in "
              f"{time.perf_counter() - t0:.0f} s")
        if not args.skip_asgi:
            in_process(database, settings, tid, token, subs, args.rounds)
        headers = {"Authorization": f"Bearer {token}"}
        with database.engine.connect() as conn:
            ids = conn.execute(text("SELECT id FROM customers ORDER BY md5(id::text) "
                                    "LIMIT 1000")).scalars().all()
        print(f"\nHTTP on loopback, {args.concurrency} keep-alive clients, "
              f"{args.seconds:.0f} s each (2 processes : 1)")
        print(f"{'endpoint':28} {'processes':>9} {'req/s':>7} {'p50':>7} {'p95':>7} "
              f"{'errors':>6}")
        cases = {"customers, first page": ["/api/v1/customers?limit=50"],
                 "customer detail": [f"/api/v1/customers/{i}" for i in ids]}
        results: dict[tuple[str, int], LoadResult] = {}
        # 1, 2, 1, 2 ...: a change in the machine's other load touches both alike
        for _ in range(args.repeat):
            for processes in (1, 2):
                with api_processes(url, settings.secret_key.get_secret_value(),
                                   processes) as base:
                    for label, paths in cases.items():
                        r = run_load(base, paths, headers, concurrency=args.concurrency,
                                     seconds=args.seconds)
                        results[label, processes] = results[label, processes].join(r) \
                            if (label, processes) in results else r
                        print(f"{label:28} {processes:9} {r.per_second:7.0f} "
                              f"{r.quantile(50):7.1f} {r.quantile(95):7.1f} {r.errors:6}")
        print("all rounds together")
        for label in cases:
            one, two = results[label, 1], results[label, 2]
            for processes, r in ((1, one), (2, two)):
                print(f"{label:28} {processes:9} {r.per_second:7.0f} {r.quantile(50):7.1f} "
                      f"{r.quantile(95):7.1f} {r.errors:6}")
            print(f"{label:28} ratio 2:1  req/s {two.per_second / one.per_second:4.2f}x   "
                  f"p95 {two.quantile(95) / one.quantile(95):4.2f}x")
        database.dispose()


def in_process(database: Database, settings: Settings, tid: uuid.UUID, token: str,
               subs: list[uuid.UUID], rounds: int) -> None:
    """Each endpoint called in this process through the ASGI app, beside its bare SQL."""
    app = create_app(settings, database, configure_logs=False)
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    one = client.get("/api/v1/customers?limit=1", headers=headers).json()["items"][0]
    sub = subs[len(subs) // 2]
    n = len(subs) // 2
    cases: list[tuple[str, str, str, dict[str, object]]] = [
        ("customers, first page", "/api/v1/customers?limit=50",
         "SELECT * FROM customers WHERE tenant_id = :t ORDER BY number LIMIT 50", {}),
        ("customers, page 200", "/api/v1/customers?limit=50&offset=9950",
         "SELECT * FROM customers WHERE tenant_id = :t ORDER BY number "
         "LIMIT 50 OFFSET 9950", {}),
        ("search by name", f"/api/v1/customers?q=family{n * 7919 % 100_003}",
         "SELECT * FROM customers WHERE tenant_id = :t AND search_text LIKE :p "
         "ORDER BY number LIMIT 50", {"p": f"%family{n * 7919 % 100_003}%"}),
        ("search by phone", f"/api/v1/customers?q=803{n:07d}",
         "SELECT * FROM customers WHERE tenant_id = :t AND search_text LIKE :p "
         "ORDER BY number LIMIT 50", {"p": f"%803{n:07d}%"}),
        ("search by username", f"/api/v1/customers?q=sub{n:06d}",
         "SELECT customer_id FROM subscriptions WHERE tenant_id = :t AND "
         "radius_username ILIKE :p LIMIT 50", {"p": f"%sub{n:06d}%"}),
        ("customer detail", f"/api/v1/customers/{one['id']}",
         "SELECT * FROM customers WHERE tenant_id = :t AND id = :id",
         {"id": uuid.UUID(one["id"])}),
        ("invoices, overdue", "/api/v1/invoices?status=overdue&limit=50",
         "SELECT * FROM invoices WHERE tenant_id = :t AND status = 'overdue' "
         "ORDER BY created_at DESC, id LIMIT 50", {}),
        ("sessions of one subscriber",
         f"/api/v1/radius/sessions?subscription_id={sub}&limit=50",
         "SELECT * FROM radacct WHERE tenant_id = :t AND subscription_id = :s "
         "ORDER BY acctstarttime DESC, radacctid DESC LIMIT 51", {"s": sub}),
    ]
    print(f"{'endpoint':28} {'p50':>7} {'p95':>7} {'p99':>7} {'req/s':>7}   "
          f"{'SQL p95':>7}  ratio p95")
    with database.engine.connect() as conn:
        for label, path, sql, params in cases:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)
            api = summary(timed(lambda p=path: client.get(p, headers=headers), rounds))
            ref = summary(timed(lambda s=sql, p=params: conn.execute(
                text(s), {"t": tid, **p}).all(), rounds))
            flag = "" if api[1] < 50 else "  over 50 ms"
            print(f"{label:28} {api[0]:7.1f} {api[1]:7.1f} {api[2]:7.1f} {api[3]:7.0f}   "
                  f"{ref[1]:7.2f}  {api[1] / ref[1]:6.1f}x{flag}")
    client.close()


if __name__ == "__main__":
    main()
