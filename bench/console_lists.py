"""Console lists and global search at scale, against the bare SQL of the same lookups.

    .venv/bin/python -m bench.console_lists [--customers N] [--radacct N] [--rounds N]

Seeds a scratch PostgreSQL database as bench/api_load.py does (customers, one subscription
each, spread over five plans, accounting rows with IP and MAC addresses, invoices), signs a
staff user in to the console, then times each page in this process through the ASGI app:
the customer and subscription lists sorted by each column on the first page and on the page
at the middle row (reached by its cursor, as Next links reach it), the invoice list, the
global search by name, IP, MAC, RADIUS username and invoice number, the dashboard, and the
full CSV export. Each figure is printed beside the reference measured in the same run: the
bare SQL of the customer search by name (the trigram index's own cost) and the first page of
the customer list (the cheapest page).
"""

from __future__ import annotations

import argparse
import re
import time

from fastapi.testclient import TestClient
from sqlalchemy import text

from bench.api_load import seed, summary, timed
from bench.scratch import add_url_argument, scratch_database
from dotmac_isp.config import Settings
from dotmac_isp.main import create_app
from dotmac_isp.modules.customers import listing as customer_listing
from dotmac_isp.modules.customers.web_lists import VIEW as CUSTOMERS
from dotmac_isp.modules.network.radius import health as radius_health
from dotmac_isp.modules.network.radius import nas as nas_service
from dotmac_isp.modules.network.radius import schemas as radius_schemas
from dotmac_isp.modules.services import listing as sub_listing
from dotmac_isp.modules.services.web_lists import VIEW as SUBSCRIPTIONS
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.list_pages import encode_cursor
from dotmac_isp.shared.listing import SortOrder, ordered
from dotmac_isp.shared.types import utcnow

PLANS = ("Air 20", "Copper 10", "Fibre 500", "Fibre 1000")


def sign_in(client: TestClient) -> None:
    page = client.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/admin/login", data={
        "csrf_token": token.group(1), "email": "bench@bench.example",
        "password": "bench-password-123", "next": "/admin"}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]


def spread_plans(database: Database) -> None:
    """Four more plans, the subscriptions spread over all five, so sorting by plan walks."""
    with database.engine.begin() as conn:
        tenant_id, plan_id = conn.execute(text("SELECT tenant_id, id FROM plans")).one()
        for name in PLANS:
            conn.execute(text(  # a copy of the first plan under another name
                "INSERT INTO plans SELECT (jsonb_populate_record(NULL::plans, to_jsonb(p) || "
                "jsonb_build_object('id', gen_random_uuid(), 'name', CAST(:name AS text)))).* "
                "FROM plans p WHERE id = :plan"),
                {"name": name, "plan": plan_id})
        conn.execute(text(
            "UPDATE subscriptions s SET plan_id = p.id FROM (SELECT id, row_number() OVER "
            "(ORDER BY name) - 1 AS n FROM plans WHERE tenant_id = :t) p "
            "WHERE p.n = abs(hashtext(s.id::text)) % 5"), {"t": tenant_id})
        conn.execute(text("ANALYZE"))


def live_network(database: Database, settings: Settings) -> None:
    """Four NAS; each subscription's newest session open and heard in the last five minutes
    through one of the first three (the fourth is silent), as on a live network."""
    with database.unit_of_work() as session:
        tenant_id = session.execute(text("SELECT id FROM tenants")).scalar_one()
        ids = [nas_service.create_nas(session, settings, tenant_id, radius_schemas.NasCreate(
            name=f"bng-{n}", address=f"192.0.2.{n + 1}", secret="bench-secret"))[0].id
            for n in range(4)]
    with database.engine.begin() as conn:
        conn.execute(text(
            "UPDATE radacct SET acctstoptime = NULL, nas_id = (:ids)[1 + "
            "abs(hashtext(acctuniqueid)) % 3], acctupdatetime = now() - random() * "
            "interval '5 minutes' WHERE acctsessionid LIKE 'S3-%'"), {"ids": ids})
        conn.execute(text("UPDATE radacct SET changed_at = acctupdatetime "
                          "WHERE acctstoptime IS NULL"))
        conn.execute(text("UPDATE radius_nas_clients SET created_at = now() - interval '1 day'"))
        conn.execute(text("ANALYZE radacct"))


def cursor_at(database: Database, list_name: str, sort: str, row: int) -> str:
    """The cursor of the Next link of the page that ends just before `row`."""
    listing, view = {"customers": (customer_listing, CUSTOMERS),
                     "subscriptions": (sub_listing, SUBSCRIPTIONS)}[list_name]
    order = SortOrder.parse(sort, listing.SORTS, view.default_sort)
    with database.unit_of_work(write=False) as session:
        tenant_id = session.execute(text("SELECT id FROM tenants")).scalar_one()
        stmt = (customer_listing.customer_query(session, tenant_id, query=None, status=None,
                                                tag=None) if list_name == "customers" else
                sub_listing.subscription_query(session, tenant_id, username=None,
                                               status=None))
        key = listing.SORTS[order.key]
        stmt = ordered(stmt, listing.SORTS, order, listing.TIE).with_only_columns(
            key, listing.TIE).offset(row - 1).limit(1)
        value, tie = session.execute(stmt).one()
    return encode_cursor(order, value, tie, "n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--radacct", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=40)
    add_url_argument(parser)
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        settings = Settings(database_url=url, environment="test")
        database = Database.from_url(url)
        t0 = time.perf_counter()
        seed(database, settings, args.customers, args.radacct)
        print(f"seeded {args.customers:,} customers, {args.radacct:,} accounting rows in "
              f"{time.perf_counter() - t0:.0f} s")
        with database.engine.connect() as conn:
            ip, mac, user = conn.execute(text(
                "SELECT framedipaddress, callingstationid, username FROM radacct "
                "ORDER BY radacctid DESC LIMIT 1")).one()
        spread_plans(database)
        live_network(database, settings)
        middle = args.customers // 2
        pages: dict[str, tuple[str, dict[str, object]]] = {
            "customers, first page (reference)": ("/admin/customers", {}),
            "customers newest first": ("/admin/customers", {"sort": "-created"}),
        }
        for list_name, sorts in (("customers", ("name", "-name", "email", "status")),
                                 ("subscriptions", ("plan", "-plan", "status", "since"))):
            for sort in sorts:
                path = f"/admin/{list_name}"
                pages[f"{list_name} by {sort}, first page"] = (path, {"sort": sort})
                pages[f"{list_name} by {sort}, row {middle:,}"] = (path, {
                    "sort": sort, "cursor": cursor_at(database, list_name, sort, middle)})
        pages |= {
            "customers by name, 100 a page": ("/admin/customers", {"sort": "name", "size": 100}),
            "customers, search + sort": ("/admin/customers", {"q": f"family{middle}",
                                                              "sort": "-number"}),
            "invoices overdue, by total": ("/admin/invoices", {"overdue": "1",
                                                               "sort": "-total"}),
            "search: name": ("/admin/search", {"q": f"Family{middle}"}),
            "search: IP address": ("/admin/search", {"q": ip}),
            "search: MAC address": ("/admin/search", {"q": mac}),
            "search: RADIUS username": ("/admin/search", {"q": user}),
            "search: invoice number": ("/admin/search", {"q": f"INV-{middle:07d}"}),
            "dashboard": ("/admin", {}),
        }
        with database.engine.connect() as conn:
            bare = timed(lambda: conn.execute(text(
                "SELECT id FROM customers WHERE search_text LIKE :p ORDER BY number LIMIT 26"),
                {"p": f"%family{middle}%"}).all(), args.rounds)
        print(f"\n{'page':42} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7}")
        p50, p95, _p99, rate = summary(bare)
        print(f"{'bare SQL: search_text LIKE (reference)':42} {p50:8.1f} {p95:8.1f} {rate:7.0f}")
        with database.unit_of_work(write=False) as session:
            tenant_id = session.execute(text("SELECT id FROM tenants")).scalar_one()
            health = timed(lambda: radius_health.nas_health(session, tenant_id, utcnow()),
                           args.rounds)
            down = sum(h.down for h in radius_health.nas_health(session, tenant_id, utcnow()))
        p50, p95, _p99, rate = summary(health)
        print(f"{f'NAS list page: NAS-down query ({down} of 4)':42} {p50:8.1f} {p95:8.1f} "
              f"{rate:7.0f}")
        app = create_app(settings, database, configure_logs=False)
        with TestClient(app) as client:
            sign_in(client)
            for name, (path, params) in pages.items():
                def call(path: str = path, params: dict[str, object] = params) -> None:
                    assert client.get(path, params=params).status_code == 200
                p50, p95, _p99, rate = summary(timed(call, args.rounds))
                print(f"{name:42} {p50:8.1f} {p95:8.1f} {rate:7.0f}")
            t0 = time.perf_counter()
            export = client.get("/admin/customers/export.csv")
            seconds = time.perf_counter() - t0
            lines = export.text.count("\n") - 1
            print(f"\nCSV export of every customer: {lines:,} rows in {seconds:.1f} s "
                  f"({lines / seconds:,.0f} rows/s)")
        database.dispose()


if __name__ == "__main__":
    main()
