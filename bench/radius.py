"""RADIUS benchmark: our server against FreeRADIUS + rlm_sql (PostgreSQL) and FreeRADIUS with a
flat users file, in one run, with the same subscribers and the same load generator.

    .venv/bin/python bench/radius.py [--subscribers 10000] [--requests 20000] [--two-process]

--two-process adds our server with two worker processes on the same ports (`radius serve
--processes 2`, each with its own database pool and cache, sharing a NAS's requests by RADIUS
Identifier) beside the one-process server, each on a database of its own.

Load: radclient (freeradius-utils) under `timeout`, -p 200, files of distinct requests.
Latency: a probe sends one Access-Request at a time beside the load and times each answer
(radclient reports no latencies); p50/p99 are under load. Accounting: Interim-Updates for
every subscriber's session, twice, then the stored rows are checked: each session must hold
its second update. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and the Debian
packages freeradius, freeradius-utils, freeradius-postgresql. Prints figures and ratios;
exits 0 (also when something is missing, saying what).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.radius_kit import (
    ADMIN_URL,
    LIGHT,
    Run,
    auth_file,
    auth_run,
    count_stored,
    enable_sql,
    flat_users,
    free_port,
    freeradius,
    interim_file,
    our_server,
    prepare_raddb,
    radclient,
    say,
    scratch_db,
    seed_freeradius_sql,
    seed_ours,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--parallel", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--two-process", action="store_true",
                        help="also our server with two worker processes")
    args = parser.parse_args()
    missing = [tool for tool in ("radclient", "freeradius", "timeout") if not shutil.which(tool)]
    if missing:
        say(f"skipped: {', '.join(missing)} not installed (apt-get install freeradius "
            "freeradius-utils freeradius-postgresql)")
        return 0
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        say(f"skipped: no PostgreSQL at {ADMIN_URL}: {exc}")
        return 0
    subs, total, parallel = args.subscribers, args.requests, args.parallel
    ours = {"ours": 1, "ours_2": 2} if args.two_process else {"ours": 1}
    say(f"RADIUS bench: {subs} subscribers; per server and round {total} Access-Requests "
        f"and {2 * subs} Interim-Updates; radclient -p {parallel}; best of {args.rounds} "
        f"rounds; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    results: dict[str, Run] = {}
    acct: dict[str, tuple[Run, int, int]] = {}
    rounds = args.rounds
    with tempfile.TemporaryDirectory(prefix="radius-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        dbs = {key: stack.enter_context(scratch_db(f"bench_{key}")) for key in ours}
        dbs["freeradius_sql"] = fr_db = stack.enter_context(scratch_db("bench_fr"))
        for key in ours:
            seed_ours(dbs[key], subs)
        seed_freeradius_sql(fr_db, subs)
        requests_file = work / "auth.txt"
        auth_file(requests_file, subs, total)
        interims = [work / f"interim{k}.txt" for k in range(2 * rounds)]
        for k, path in enumerate(interims):
            interim_file(path, subs, 300 * (k + 1))
        final = 300 * len(interims)
        ports = {name: (free_port(), free_port()) for name in (*ours, "freeradius_sql",
                                                                "freeradius_flat")}
        raddb_sql = prepare_raddb(_mkdir(work / "sql"), *ports["freeradius_sql"])
        enable_sql(raddb_sql, fr_db)
        raddb_flat = prepare_raddb(_mkdir(work / "flat"), *ports["freeradius_flat"])
        flat_users(raddb_flat, subs)
        # All run at once and take turns, round after round: the machine is shared, and
        # load from elsewhere then falls on each of them alike. The best round counts.
        for key, processes in ours.items():
            stack.enter_context(our_server(dbs[key], *ports[key], processes,
                                           work / f"{key}.log"))
        stack.enter_context(freeradius(raddb_sql))
        stack.enter_context(freeradius(raddb_flat))
        for port, _acct in ports.values():
            radclient(requests_file, port, "auth", total, parallel)  # warm up
        for _round in range(rounds):
            for key, (port, _acct) in ports.items():
                run = auth_run(requests_file, port, total, parallel, subs)
                if key not in results or run.rate > results[key].rate:
                    results[key] = run
        storing = [*ours, "freeradius_sql"]
        acct_runs: dict[str, list[Run]] = {key: [] for key in storing}
        for k in range(0, len(interims), 2):
            for key in storing:
                port = ports[key][1]
                acct_runs[key].append(_merge([
                    radclient(interims[k], port, "acct", subs, parallel),
                    radclient(interims[k + 1], port, "acct", subs, parallel)]))
        time.sleep(0.5)
        for key in storing:
            best = max(acct_runs[key], key=lambda r: r.rate)
            acct[key] = (best, *count_stored(dbs[key], "radacct", final))
    report(results, acct, subs)
    return 0


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _merge(runs: list[Run]) -> Run:
    return Run(sum(r.seconds for r in runs), sum(r.sent for r in runs),
               sum(r.answered for r in runs))


NAMES = {"ours": "DotMac RADIUS", "ours_2": "DotMac RADIUS, 2 processes",
         "freeradius_sql": "FreeRADIUS + rlm_sql (PostgreSQL)",
         "freeradius_flat": "FreeRADIUS, flat users file"}


def report(results: dict[str, Run], acct: dict[str, tuple[Run, int, int]],
           subs: int) -> None:
    say("\nAccess-Request (latency by a probe beside radclient: at -p 200 the probe also waits "
        "behind up to 200 queued requests; at -p 10 it sees the service time)")
    say(f"  {'server':36} {'answered':>9} {'auth/s':>8} {'p50/p99 ms at -p 200':>22}"
        f" {'p50/p99 ms at -p 10':>21}")
    for key, run in results.items():
        say(f"  {NAMES[key]:36} {run.answered:>9} {run.rate:>8.0f} "
            f"{run.percentile(0.5):>10.2f} / {run.percentile(0.99):<9.2f} "
            f"{run.percentile(0.5, True):>9.2f} / {run.percentile(0.99, True):<9.2f}")
    say("\nInterim-Update (every update stored: rows holding the last update sent)")
    say(f"  {'server':36} {'answered':>9} {'acct/s':>8} {'rows':>7} {'final':>7}")
    for key, (run, rows, final) in acct.items():
        say(f"  {NAMES[key]:36} {run.answered:>9} {run.rate:>8.0f} {rows:>7} {final:>7}")
    ours, sql, flat = results["ours"], results["freeradius_sql"], results["freeradius_flat"]
    say("\nRatios (goal)")
    say(f"  auth vs FreeRADIUS + SQL:   {ours.rate / sql.rate:5.2f}x  (>= 2x)")
    say(f"  auth vs flat users file:    {ours.rate / flat.rate:5.2f}x  (>= 0.4x)")
    say(f"  auth p99 at -p {LIGHT}:           {ours.percentile(0.99, True):5.2f} ms (< 10 ms); "
        f"at -p 200: {ours.percentile(0.99):.2f} ms (FreeRADIUS + SQL "
        f"{sql.percentile(0.99):.2f} ms)")
    ours_acct, sql_acct = acct["ours"][0], acct["freeradius_sql"][0]
    say(f"  acct vs FreeRADIUS + SQL:   {ours_acct.rate / sql_acct.rate:5.2f}x")
    say(f"  acct durable:               {ours_acct.rate:5.0f}/s (>= 5000/s), "
        f"lost {2 * subs - ours_acct.answered} in the best round; sessions holding the last "
        f"update of all rounds: {acct['ours'][2]}/{subs}")
    if "ours_2" in results:
        two, two_acct = results["ours_2"], acct["ours_2"][0]
        say(f"  2 processes vs 1, auth:     {two.rate / ours.rate:5.2f}x  (scales with free "
            f"cores; {os.cpu_count()} here, shared with radclient and PostgreSQL)")
        say(f"  2 processes vs 1, acct:     {two_acct.rate / ours_acct.rate:5.2f}x")
        say(f"  2 processes vs FreeRADIUS + SQL: auth {two.rate / sql.rate:5.2f}x, acct "
            f"{two_acct.rate / sql_acct.rate:5.2f}x; vs flat users file: auth "
            f"{two.rate / flat.rate:5.2f}x")
        say(f"  2 processes durable:        lost {2 * subs - two_acct.answered} in the best "
            f"round; sessions holding the last update of all rounds: {acct['ours_2'][2]}/{subs}")


if __name__ == "__main__":
    sys.exit(main())
