"""Devices, their time series and support tickets at ISP scale on PostgreSQL.

    .venv/bin/python -m bench.scale_devices [--devices 5000] [--ports 20] [--tickets 20000]

Seeds a scratch database (bench/devices_seed.py): N devices with M interfaces each, raw points
for the raw window the default retention keeps and a week of hourly rollups before it, and
T tickets under an SLA policy. Then times, each beside a reference measured in the same run:
- claiming a cycle's due devices, against a bare SELECT of the same rows;
- recording one poll cycle of every device (synthetic results, no SNMP: the database path of
  the poll job), against a COPY of the same sample rows into a scratch table;
- the metric rollup of one hour, against the bare aggregate query it runs;
- the device list API and one device's chart data (p50/p95 through the ASGI app), against
  the bare SQL;
- the SLA job over the tickets and its rerun, against a bare SELECT of every ticket's clock;
- the ticket list, first page and a search (p95), against the bare SQL;
- pruning a day of raw points past retention, against a COPY out of the rows it deletes.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from bench import devices_seed as seeding
from bench.devices_cycle import claim_cycle, poll_results, record_cycle
from bench.scratch import add_url_argument, scratch_database
from dotmac_isp.config import Settings
from dotmac_isp.jobs.registry import JobContext
from dotmac_isp.main import create_app
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.modules.network.devices.polling import rollup
from dotmac_isp.modules.network.devices.settings import get_devices_settings
from dotmac_isp.modules.support import tasks as support_tasks
from dotmac_isp.modules.support.sla_models import Escalation
from dotmac_isp.shared.db import Database
from dotmac_isp.shared.types import utcnow

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"


def line(name: str, seconds: float, ref: float, what: str) -> None:
    print(f"{name:<26} {seconds:8.3f} s   reference {ref:7.3f} s   ratio "
          f"{seconds / max(ref, 1e-6):6.1f}x   ({what})", flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
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


def copy_out(database: Database, sql: str, params: Any = None) -> float:
    with database.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        started = time.perf_counter()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT", params) as source:
            for _block in source:
                pass
        return time.perf_counter() - started


def latencies(call: Callable[[], Any], rounds: int) -> tuple[float, float]:
    call()  # warm the statement cache, as a live server would be
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(samples, n=100)
    return q[49], q[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=5_000)
    parser.add_argument("--ports", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--rollup-days", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--interval", type=int, default=None,
                        help="seconds between polls (default: the devices' default)")
    parser.add_argument("--raw-hours", type=int, default=None,
                        help="raw window seeded (default: the raw retention)")
    add_url_argument(parser)
    args = parser.parse_args()
    conf = get_devices_settings()
    interval = args.interval or Device.__table__.c.poll_interval_seconds.default.arg
    raw_hours = args.raw_hours or conf.raw_retention_days * 24
    now = utcnow().replace(microsecond=0)
    with scratch_database(args.url) as url:
        settings = Settings(database_url=url, environment="test",  # type: ignore[arg-type]
                            secret_key=SECRET)
        database = Database.from_url(url)
        t0 = time.perf_counter()
        tenant_id, token = seeding.seed_tenant(database, settings)
        seeded = seeding.seed_inventory(database, settings, tenant_id, args.devices, args.ports,
                                        now, interval)
        t1 = time.perf_counter()
        raw, rolled = seeding.seed_series(database, now, raw_hours=raw_hours,
                                          rollup_days=args.rollup_days, interval=interval)
        t2 = time.perf_counter()
        mix = seeding.seed_tickets(database, tenant_id, args.tickets, now)
        seeding.analyze(database)
        print(f"seeded {args.devices:,} devices, {args.devices * args.ports:,} interfaces "
              f"({seeded.watched:,} watched) in {t1 - t0:.0f} s; {raw:,} raw points "
              f"({raw_hours} h at {interval} s) and {rolled:,} hourly rollups "
              f"({args.rollup_days} days) in {t2 - t1:.0f} s; {args.tickets:,} tickets "
              f"{mix}; {time.perf_counter() - t0:.0f} s in all", flush=True)

        _polling(database, settings, seeded, now, interval)
        _rollup(database, now)
        app = create_app(settings, database, configure_logs=False)
        client = TestClient(app)
        headers = {"Authorization": f"Bearer {token}"}
        _device_api(database, client, headers, seeded, args.rounds)
        _sla(database, settings, now)
        _ticket_api(database, client, headers, tenant_id, args.tickets, args.rounds)
        client.close()
        _prune(database, settings, now, conf.raw_retention_days)
        database.dispose()


def _polling(database: Database, settings: Settings, seeded: seeding.Seeded, now: Any,
             interval: int) -> None:
    ref = bare(database, "SELECT * FROM network_devices WHERE monitoring_enabled "
                         "AND next_poll_at <= %s ORDER BY next_poll_at LIMIT %s",
               (now, len(seeded.device_ids)))
    claim_s, claimed = timed(lambda: claim_cycle(database, settings, now,
                                                 len(seeded.device_ids)))
    line("claim a cycle", claim_s, ref, f"{len(claimed):,} devices due, specs built")
    results = poll_results(seeded, now + timedelta(seconds=1), interval)
    rows = sum(len(r.interfaces) for r in results)
    copy_ref = _copy_samples_reference(database, seeded, now)
    record_s, summary = timed(lambda: record_cycle(database, settings, results))
    line("record a poll cycle", record_s, copy_ref,
         f"{len(results):,} devices, {rows:,} interface readings; {summary}")
    again_s, again = timed(lambda: claim_cycle(database, settings, now + timedelta(seconds=2),
                                               len(seeded.device_ids)))
    line("claim right after", again_s, ref, f"{len(again)} devices due; must be 0")


def _copy_samples_reference(database: Database, seeded: seeding.Seeded, now: Any) -> float:
    """COPY the rows one cycle stores (a sample per watched port and per device) into scratch
    tables shaped like the sample tables, indexes included."""
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE ref_if (LIKE network_interface_samples "
                          "INCLUDING ALL) ON COMMIT DROP"))
        conn.execute(text("CREATE TEMP TABLE ref_dev (LIKE network_device_samples "
                          "INCLUDING ALL) ON COMMIT DROP"))
        raw: Any = conn.connection.driver_connection
        watched = int(len(next(iter(seeded.interfaces.values()))) * seeding.WATCHED_SHARE)
        started = time.perf_counter()
        with raw.cursor() as cursor:
            with cursor.copy("COPY ref_if (tenant_id, interface_id, sampled_at, in_bps, "
                             "out_bps, oper_up) FROM STDIN") as out:
                for ports in seeded.interfaces.values():
                    for interface_id, _index in ports[:max(1, watched)]:
                        out.write_row((seeded.tenant_id, interface_id, now, 1e6, 2e6, True))
            with cursor.copy("COPY ref_dev (tenant_id, device_id, sampled_at, reachable, "
                             "response_ms, cpu_pct, memory_pct) FROM STDIN") as out:
                for device_id in seeded.device_ids:
                    out.write_row((seeded.tenant_id, device_id, now, True, 3.0, 20.0, 40.0))
        return time.perf_counter() - started


def _rollup(database: Database, now: Any) -> None:
    end = rollup.hour_floor(now - rollup.GRACE)
    hour = end - timedelta(hours=1)
    ref = bare(database, "SELECT tenant_id, interface_id, count(*), avg(in_bps), max(in_bps),"
                         " avg(out_bps), max(out_bps) FROM network_interface_samples "
                         "WHERE sampled_at >= %s AND sampled_at < %s "
                         "GROUP BY tenant_id, interface_id", (hour, end))

    def run() -> rollup.RollupOutcome:
        with database.unit_of_work() as session:
            return rollup.roll_up(session, now)

    took, outcome = timed(run)
    line("rollup of one hour", took, ref, outcome.summary())
    again_s, again = timed(run)
    line("rollup, again", again_s, ref, again.summary())


def _device_api(database: Database, client: TestClient, headers: dict[str, str],
                seeded: seeding.Seeded, rounds: int) -> None:
    device_id = seeded.device_ids[len(seeded.device_ids) // 2]
    port_id = seeded.interfaces[device_id][0][0]
    name = f"sw-{len(seeded.device_ids) // 2:05d}"[:-1]  # ten devices match
    cases = [
        ("devices, first page", "/api/v1/devices?limit=50",
         "SELECT * FROM network_devices WHERE tenant_id = %s ORDER BY name LIMIT 50",
         (seeded.tenant_id,)),
        ("devices, search", f"/api/v1/devices?q={name}&limit=50",
         "SELECT * FROM network_devices WHERE tenant_id = %s AND name ILIKE %s "
         "ORDER BY name LIMIT 50", (seeded.tenant_id, f"%{name}%")),
        ("device metrics, 24 h", f"/api/v1/devices/{device_id}/metrics",
         "SELECT sampled_at, reachable, response_ms, cpu_pct, memory_pct "
         "FROM network_device_samples WHERE tenant_id = %s AND device_id = %s AND "
         "sampled_at >= now() - interval '24 hours' ORDER BY sampled_at DESC",
         (seeded.tenant_id, device_id)),
        ("port traffic, 24 h", f"/api/v1/interfaces/{port_id}/traffic",
         "SELECT sampled_at, in_bps, out_bps FROM network_interface_samples "
         "WHERE tenant_id = %s AND interface_id = %s AND sampled_at >= now() - "
         "interval '24 hours' ORDER BY sampled_at DESC", (seeded.tenant_id, port_id)),
        ("port traffic, 7 days", f"/api/v1/interfaces/{port_id}/traffic?since="
         f"{(utcnow() - timedelta(days=7)).strftime('%Y-%m-%dT%H:%M:%SZ')}",
         "SELECT hour_start, in_bps_avg, out_bps_avg, in_bps_max, out_bps_max "
         "FROM network_interface_rollups WHERE tenant_id = %s AND interface_id = %s "
         "AND hour_start >= now() - interval '7 days' ORDER BY hour_start DESC",
         (seeded.tenant_id, port_id)),
    ]
    _api_cases(database, client, headers, cases, rounds)


def _api_cases(database: Database, client: TestClient, headers: dict[str, str],
               cases: list[tuple[str, str, str, Any]], rounds: int) -> None:
    with database.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        for label, path, sql, params in cases:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)
            body = response.json()
            size = len(body.get("items", body.get("points", [])))
            p50, p95 = latencies(lambda p=path: client.get(p, headers=headers), rounds)

            def query(s: str = sql, a: Any = params) -> None:
                with raw.cursor() as cursor:
                    cursor.execute(s, a)
                    cursor.fetchall()

            _r50, r95 = latencies(query, rounds)
            print(f"{label:<26} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms   SQL p95 {r95:6.2f} ms"
                  f"   ratio {p95 / max(r95, 1e-3):6.1f}x   ({size} rows)"
                  + ("   over 50 ms" if p95 >= 50 else ""), flush=True)


def _sla(database: Database, settings: Settings, now: Any) -> None:
    ref = bare(database, "SELECT id, status, first_response_state, first_response_due_at, "
                         "first_response_at_risk_at, resolution_state, resolution_due_at, "
                         "resolution_at_risk_at FROM tickets")
    later = now + timedelta(seconds=30)
    took, summary = timed(lambda: support_tasks.check_sla(JobContext(database, settings,
                                                                      now=later)))
    line("SLA job", took, ref, summary)
    again_s, again = timed(lambda: support_tasks.check_sla(JobContext(database, settings,
                                                                       now=later)))
    with database.unit_of_work(write=False) as session:
        escalations = session.scalar(select(func.count()).select_from(Escalation))
    line("SLA job, again", again_s, ref, f"{again}; {escalations:,} escalations in all")


def _ticket_api(database: Database, client: TestClient, headers: dict[str, str],
                tenant_id: uuid.UUID, count: int, rounds: int) -> None:
    wanted = count // 2  # "line 10000" matches one subject (and line 100000.. if there were)
    cases = [
        ("tickets, first page", "/api/v1/support/tickets?limit=50",
         "SELECT * FROM tickets WHERE tenant_id = %s ORDER BY created_at DESC, number DESC "
         "LIMIT 50", (tenant_id,)),
        ("tickets, active", "/api/v1/support/tickets?active=true&limit=50",
         "SELECT * FROM tickets WHERE tenant_id = %s AND status IN ('new', 'open', "
         "'pending_customer', 'pending_third_party', 'reopened') "
         "ORDER BY created_at DESC, number DESC LIMIT 50", (tenant_id,)),
        ("tickets, search", f"/api/v1/support/tickets?q=line%20{wanted}&limit=50",
         "SELECT * FROM tickets WHERE tenant_id = %s AND (number ILIKE %s OR subject "
         "ILIKE %s) ORDER BY created_at DESC, number DESC LIMIT 50",
         (tenant_id, f"%line {wanted}%", f"%line {wanted}%")),
    ]
    _api_cases(database, client, headers, cases, rounds)


def _prune(database: Database, settings: Settings, now: Any, raw_days: int) -> None:
    # A day later, the day of raw points seeded is past retention (its hours are rolled).
    later = now + timedelta(days=raw_days)
    cutoff = later - timedelta(days=raw_days)
    ref = (copy_out(database, "SELECT * FROM network_interface_samples WHERE sampled_at < %s",
                    (cutoff,))
           + copy_out(database, "SELECT * FROM network_device_samples WHERE sampled_at < %s",
                      (cutoff,)))
    conf = get_devices_settings()

    def run() -> rollup.RollupOutcome:
        return rollup.prune(database, later, rollup.RollupOutcome(),
                            raw_retention=timedelta(days=conf.raw_retention_days),
                            rollup_retention=timedelta(days=conf.rollup_retention_days),
                            batch_size=settings.retention.batch_size)

    took, outcome = timed(run)
    line("prune a day past retention", took, ref, outcome.summary())
    again_s, again = timed(run)
    line("prune, again", again_s, ref, again.summary())


if __name__ == "__main__":
    main()
