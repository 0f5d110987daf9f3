"""Console lists and global search at scale, against the bare SQL of the same lookups.

    .venv/bin/python -m bench.console_lists [--customers N] [--radacct N] [--rounds N]

Seeds a scratch PostgreSQL database as bench/api_load.py does (customers, one subscription
each, accounting rows with IP and MAC addresses, invoices), signs a staff user in to the
console, then times each page in this process through the ASGI app: the customer list
sorted several ways and at the deepest offset, the subscription and invoice lists, the
global search by name, IP, MAC, RADIUS username and invoice number, and the full CSV
export. Each figure is printed beside the reference measured in the same run: the bare SQL
of the customer search by name (the trigram index's own cost) and the first page of the
customer list (the cheapest page).
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
from dotmac_isp.shared.db import Database


def sign_in(client: TestClient) -> None:
    page = client.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/admin/login", data={
        "csrf_token": token.group(1), "email": "bench@bench.example",
        "password": "bench-password-123", "next": "/admin"}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]


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
        middle = args.customers // 2
        pages = {
            "customers, first page (reference)": ("/admin/customers", {}),
            "customers by name, 100 a page": ("/admin/customers", {"sort": "name", "size": 100}),
            "customers newest first": ("/admin/customers", {"sort": "-created"}),
            "customers, offset 10,000": ("/admin/customers", {"sort": "email",
                                                              "offset": 10_000}),
            "customers, search + sort": ("/admin/customers", {"q": f"family{middle}",
                                                              "sort": "-number"}),
            "subscriptions by plan": ("/admin/subscriptions", {"sort": "plan"}),
            "invoices overdue, by total": ("/admin/invoices", {"overdue": "1",
                                                               "sort": "-total"}),
            "search: name": ("/admin/search", {"q": f"Family{middle}"}),
            "search: IP address": ("/admin/search", {"q": ip}),
            "search: MAC address": ("/admin/search", {"q": mac}),
            "search: RADIUS username": ("/admin/search", {"q": user}),
            "search: invoice number": ("/admin/search", {"q": f"INV-{middle:07d}"}),
        }
        with database.engine.connect() as conn:
            bare = timed(lambda: conn.execute(text(
                "SELECT id FROM customers WHERE search_text LIKE :p ORDER BY number LIMIT 26"),
                {"p": f"%family{middle}%"}).all(), args.rounds)
        print(f"\n{'page':36} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7}")
        p50, p95, _p99, rate = summary(bare)
        print(f"{'bare SQL: search_text LIKE (reference)':36} {p50:8.1f} {p95:8.1f} {rate:7.0f}")
        app = create_app(settings, database, configure_logs=False)
        with TestClient(app) as client:
            sign_in(client)
            for name, (path, params) in pages.items():
                def call(path: str = path, params: dict[str, object] = params) -> None:
                    assert client.get(path, params=params).status_code == 200
                p50, p95, _p99, rate = summary(timed(call, args.rounds))
                print(f"{name:36} {p50:8.1f} {p95:8.1f} {rate:7.0f}")
            t0 = time.perf_counter()
            export = client.get("/admin/customers/export.csv")
            seconds = time.perf_counter() - t0
            lines = export.text.count("\n") - 1
            print(f"\nCSV export of every customer: {lines:,} rows in {seconds:.1f} s "
                  f"({lines / seconds:,.0f} rows/s)")
        database.dispose()


if __name__ == "__main__":
    main()
