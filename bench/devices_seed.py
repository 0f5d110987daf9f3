"""Seeding the devices and support benches on PostgreSQL: inventory by COPY, time series and
tickets generated in the database (a week of points through Python would take many minutes).

Shape: one ISP, N devices with M interfaces each (the first 60% of each device's ports up and
watched, the rest unused: what discovery makes of an access switch), polled every 5 minutes
(the default interval). Raw points are seeded for the raw window the retention keeps, hourly
rollups for the week before it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from dotmac_isp.config import Settings
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity import schemas as identity_schemas
from dotmac_isp.modules.identity import security
from dotmac_isp.modules.identity import service as identity_service
from dotmac_isp.modules.network.devices import credentials
from dotmac_isp.modules.network.devices.models import Device, Interface
from dotmac_isp.modules.support import policies
from dotmac_isp.modules.support.models import Team, Ticket
from dotmac_isp.modules.support.sla_schemas import CalendarIn, PolicyIn
from dotmac_isp.shared import bulk
from dotmac_isp.shared.db import Database

WATCHED_SHARE = 0.6  # ports up (and so watched) at discovery
COUNTER_START = 10**12


@dataclass
class Seeded:
    tenant_id: uuid.UUID
    token: str
    device_ids: list[uuid.UUID]
    interfaces: dict[uuid.UUID, list[tuple[uuid.UUID, int]]]  # device -> (id, ifIndex)
    watched: int
    raw_points: int = 0
    rollups: int = 0
    tickets: int = 0


def seed_tenant(database: Database, settings: Settings) -> tuple[uuid.UUID, str]:
    with database.unit_of_work() as session:
        tenant = identity_service.create_tenant(session, name="Scale ISP", slug="scale")
        role = identity_service.role_by_name(session, tenant.id, "admin")
        user = identity_service.create_user(session, settings, tenant.id,
                                            identity_schemas.UserCreate(
                                                email="noc@scale.example", full_name="NOC",
                                                password="bench-password-123", role_id=role.id))
        tenant_id, user_id = tenant.id, user.id
    token = security.encode_access_token(settings.secret_key.get_secret_value(), user_id,
                                         tenant_id, timedelta(hours=2))
    return tenant_id, token


def seed_inventory(database: Database, settings: Settings, tenant_id: uuid.UUID, devices: int,
                   ports: int, now: datetime, interval: int) -> Seeded:
    """Devices all due at `now` (their last poll spread over the interval before it), with
    interfaces whose last counters were read at that last poll."""
    community = credentials.seal(settings, "public")
    watched_ports = max(1, int(ports * WATCHED_SHARE))
    device_rows, interface_rows = [], []
    interfaces: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = {}
    for n in range(devices):
        device_id = uuid.uuid4()
        due = now - timedelta(seconds=interval * n / devices)  # all due, oldest first
        last = due - timedelta(seconds=interval)
        device_rows.append({
            "id": device_id, "tenant_id": tenant_id, "name": f"sw-{n:05d}",
            "device_type": "switch", "vendor": "Bench", "model": "AS-24",
            "management_ip": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "monitoring_enabled": True, "snmp_community_enc": community,
            "poll_interval_seconds": interval, "reachability": "up", "last_polled_at": last,
            "last_seen_at": last, "next_poll_at": due,
            "sys_uptime_seconds": 86_400 * 30, "interfaces_discovered_at": now,
            "created_at": now - timedelta(days=60), "updated_at": last})
        mine = []
        for index in range(1, ports + 1):
            interface_id = uuid.uuid4()
            up = index <= watched_ports
            mine.append((interface_id, index))
            interface_rows.append({
                "id": interface_id, "tenant_id": tenant_id, "device_id": device_id,
                "if_index": index, "name": f"ge-0/0/{index}", "speed_mbps": 1000,
                "monitored": up, "admin_status": "up" if up else "down",
                "oper_status": "up" if up else "down", "counter_bits": 64,
                "last_in_octets": COUNTER_START, "last_out_octets": COUNTER_START,
                "last_counter_at": last, "in_bps": 0.0, "out_bps": 0.0,
                "created_at": now - timedelta(days=60), "updated_at": last})
        interfaces[device_id] = mine
    with database.unit_of_work() as session:
        bulk.insert_rows(session, Device, device_rows)
        for start in range(0, len(interface_rows), 50_000):
            bulk.insert_rows(session, Interface, interface_rows[start:start + 50_000])
    return Seeded(tenant_id, "", [r["id"] for r in device_rows], interfaces,
                  watched=devices * watched_ports)


def seed_series(database: Database, now: datetime, *, raw_hours: int, rollup_days: int,
                interval: int) -> tuple[int, int]:
    """Raw points of watched ports (and of every device) for the last `raw_hours`, hourly
    rollups for the `rollup_days` before the last complete hour (which is left to roll)."""
    # the rollup job rolls complete hours up to the one ending at `end`; leave it the last
    end = (now - timedelta(minutes=2)).replace(minute=0, second=0, microsecond=0)
    raw_from = now - timedelta(hours=raw_hours)
    rolled_to = end - timedelta(hours=2)  # the newest hour rolled already (inclusive)
    rolled_from = rolled_to - timedelta(days=rollup_days)
    step = f"{interval} seconds"
    statements = [
        ("""INSERT INTO network_interface_samples
               (tenant_id, interface_id, sampled_at, in_bps, out_bps, oper_up)
            SELECT i.tenant_id, i.id, t, (i.if_index * 7919 + extract(epoch FROM t)::bigint
                   % 600) * 1e5, (i.if_index * 104729 % 900) * 1e4, true
            FROM generate_series(:raw_from, :now, CAST(:step AS interval)) AS t,
                 network_interfaces i WHERE i.monitored""", "raw"),
        ("""INSERT INTO network_device_samples
               (tenant_id, device_id, sampled_at, reachable, response_ms, cpu_pct, memory_pct)
            SELECT d.tenant_id, d.id, t, true, 3.5, 20 + extract(minute FROM t), 45
            FROM generate_series(:raw_from, :now, CAST(:step AS interval)) AS t,
                 network_devices d""", "raw"),
        ("""INSERT INTO network_interface_rollups
               (tenant_id, interface_id, hour_start, samples, in_bps_avg, in_bps_max,
                out_bps_avg, out_bps_max)
            SELECT i.tenant_id, i.id, h, 12, i.if_index * 1e6, i.if_index * 2e6, 5e5, 9e5
            FROM generate_series(:rolled_from, :rolled_to, interval '1 hour') AS h,
                 network_interfaces i WHERE i.monitored""", "rollup"),
        ("""INSERT INTO network_device_rollups
               (tenant_id, device_id, hour_start, polls, availability_pct, response_ms_avg,
                cpu_pct_avg, cpu_pct_max, memory_pct_avg)
            SELECT d.tenant_id, d.id, h, 12, 100, 3.5, 25, 60, 45
            FROM generate_series(:rolled_from, :rolled_to, interval '1 hour') AS h,
                 network_devices d""", "rollup"),
    ]
    counts = {"raw": 0, "rollup": 0}
    params = {"raw_from": raw_from, "now": now - timedelta(seconds=interval), "step": step,
              "rolled_from": rolled_from, "rolled_to": rolled_to}
    tables = ("network_interface_samples", "network_device_samples",
              "network_interface_rollups", "network_device_rollups")
    with database.engine.begin() as conn:
        # Bulk loading builds the indexes once at the end (sorted), as a restore would, and
        # skips the per-row foreign key checks (the rows are made from the parent tables).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        rebuild = _drop_indexes(conn, tables)
        for sql, kind in statements:
            counts[kind] += conn.execute(text(sql), params).rowcount or 0
        for statement in rebuild:
            conn.execute(text(statement))
    return counts["raw"], counts["rollup"]


def _drop_indexes(conn: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' primary keys and indexes; returns the statements that rebuild them."""
    rebuild = []
    for table in tables:
        for name, definition in conn.execute(text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype = 'p'"), {"t": table}):
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"),
                {"t": table}):
            conn.execute(text(f'DROP INDEX "{name}"'))
            rebuild.append(definition)
    return rebuild


def seed_tickets(database: Database, tenant_id: uuid.UUID, count: int,
                 now: datetime) -> dict[str, int]:
    """Tickets under one 24x7 SLA policy: most done, some waiting, the working ones spread so
    that some cross their at-risk line and some their due time at `now`."""
    with database.unit_of_work() as session:
        calendar = policies.create_calendar(session, tenant_id, CalendarIn.model_validate({
            "name": "24x7", "timezone": "UTC",
            "hours": {d: [{"start": "00:00", "end": "24:00"}]
                      for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}))
        policy = policies.create_policy(session, tenant_id, PolicyIn.model_validate({
            "name": "Residential", "calendar_id": calendar.id, "position": 10}))
        team = Team(tenant_id=tenant_id, name="First line", email="noc@scale.example")
        session.add(team)
        session.flush()
        policy_id, team_id = policy.id, team.id
    customers = max(1, count // 10)
    customer_ids = [uuid.uuid4() for _ in range(customers)]
    created = now - timedelta(days=90)
    customer_rows: list[dict[str, Any]] = [
        {"id": c, "tenant_id": tenant_id, "number": f"C{n + 1:07d}", "kind": "residential",
         "status": "active", "first_name": "Bench", "last_name": str(n), "currency": "USD",
         "email": f"c{n}@example.net", "tags": [], "custom_fields": {},
         "search_text": f"c{n + 1:07d} bench {n}", "status_changed_at": created,
         "created_at": created, "updated_at": created} for n, c in enumerate(customer_ids)]
    mix = {"done": 0, "waiting": 0, "running": 0, "crossing at risk": 0, "crossing due": 0}
    rows = []
    for n in range(count):
        opened = now - timedelta(minutes=5 + (n * 37) % (60 * 24 * 30))
        kind = ("done" if n % 10 < 6 else "waiting" if n % 10 == 6 else
                "crossing at risk" if n % 20 == 7 else "crossing due" if n % 20 == 17
                else "running")
        mix[kind] += 1
        row = {"id": uuid.uuid4(), "tenant_id": tenant_id, "number": f"T{n + 1:07d}",
               "customer_id": customer_ids[n % customers],
               "subject": f"Slow speed at night on line {n}", "category": "technical",
               "priority": "normal", "source": "phone", "team_id": team_id, "tags": [],
               "reply_token": uuid.uuid4().hex, "sla_policy_id": policy_id,
               "at_risk_percent": 80, "status_changed_at": opened, "created_at": opened,
               "updated_at": opened, "version": 1,
               "first_response_target_seconds": 24 * 3600, "resolution_target_seconds":
                   72 * 3600}
        if kind == "done":
            row.update(status="closed", first_responded_at=opened, resolved_at=opened,
                       closed_at=opened, first_response_state="met", resolution_state="met")
        elif kind == "waiting":
            row.update(status="pending_customer", first_responded_at=opened,
                       first_response_state="met", resolution_state="paused",
                       resolution_used_seconds=3600)
        else:
            at_risk = {"running": now + timedelta(hours=5), "crossing at risk":
                       now - timedelta(minutes=1), "crossing due": now - timedelta(hours=2)}[kind]
            due = at_risk + timedelta(hours=1)
            row.update(status="open", first_responded_at=opened, first_response_state="met",
                       resolution_state="running", sla_running_since=opened,
                       resolution_due_at=due, resolution_at_risk_at=at_risk)
        rows.append(row)
    with database.unit_of_work() as session:
        bulk.insert_rows(session, Customer, customer_rows)
        bulk.insert_rows(session, Ticket, rows)
    return mix


def analyze(database: Database) -> None:
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would have done on a live system

