"""RADIUS benchmark: our server against FreeRADIUS + rlm_sql (PostgreSQL) and FreeRADIUS with a
flat users file, in one run, with the same subscribers and the same load generator.

    .venv/bin/python bench/radius.py [--subscribers 10000] [--requests 20000] [--two-process]
        [--only compare,memory,sqlite] [--memory-packets 100000]

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

memory: our server's resident memory (VmRSS in /proc/PID/status) through a long run of
Accounting-Stops whose values are all new (session id, Class, station ids, Connect-Info,
enumerated values), read every 10,000 packets; printed as the growth per 10,000 after a
warm-up that fills the bounded caches (the duplicate cache is set to 10,000 replies for it).
sqlite: durable Interim-Updates per second on SQLite with synchronous=NORMAL against FULL
(the default), two servers taking turns on the same files, as a ratio; needs radclient only.
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

from bench.radius_durable import CHUNK, memory_run, seed_sqlite, stored_sqlite
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
    parser.add_argument("--only", default="compare,memory,sqlite",
                        help="parts to run, of compare, memory and sqlite")
    parser.add_argument("--memory-packets", type=int, default=100_000)
    args = parser.parse_args()
    parts = {part.strip() for part in args.only.split(",")}
    missing = [tool for tool in ("radclient", "freeradius", "timeout") if not shutil.which(tool)]
    if missing:
        say(f"skipped: {', '.join(missing)} not installed (apt-get install freeradius "
            "freeradius-utils freeradius-postgresql)")
        return 0
    if "sqlite" in parts:
        sqlite_durability(args)
    if parts & {"compare", "memory"}:
        try:
            psycopg.connect(ADMIN_URL, connect_timeout=3).close()
        except psycopg.Error as exc:
            say(f"skipped compare and memory: no PostgreSQL at {ADMIN_URL}: {exc}")
            return 0
    if "memory" in parts:
        memory(args)
    if "compare" in parts:
        compare(args)
    return 0


def compare(args: argparse.Namespace) -> None:
    """Our server against FreeRADIUS + SQL and FreeRADIUS with a flat file."""
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


def memory(args: argparse.Namespace) -> None:
    """RSS of our server (PostgreSQL) through warm-up + memory_packets fresh-valued Stops."""
    subs, warmup = args.subscribers, 2 * CHUNK
    with tempfile.TemporaryDirectory(prefix="radius-memory-") as tmp, \
            scratch_db("bench_memory") as database:
        work = Path(tmp)
        seed_ours(database, subs)
        auth, acct = free_port(), free_port()
        with our_server(database, auth, acct, 1, work / "memory.log", settings={
                "DOTMAC_RADIUS__DUPLICATE_CACHE_ENTRIES": str(CHUNK)}) as process:
            run = memory_run(work, acct, process.pid, subs, warmup, args.memory_packets,
                             args.parallel)
    say(f"\nMemory: {warmup} + {args.memory_packets} Accounting-Stops, every value new; "
        f"RSS of the server process (pid {process.pid}) after each {CHUNK}")
    say("  " + "  ".join(f"{n // 1000}k: {rss:.1f}" for n, rss in run.points) + " (MiB)")
    say(f"  growth per {CHUNK} packets after the warm-up: {run.growth_per_chunk():+.2f} MiB "
        f"(goal: about 0); {run.points[-1][0] / run.seconds:.0f} acct/s, lost {run.lost}")


def sqlite_durability(args: argparse.Namespace) -> None:
    """Durable Interim-Updates per second on SQLite, synchronous=NORMAL against FULL."""
    subs, levels = args.subscribers, [args.parallel, LIGHT]
    modes = {"NORMAL": "?synchronous=NORMAL", "FULL": ""}  # FULL: the default
    with tempfile.TemporaryDirectory(prefix="radius-sqlite-") as tmp:
        work = Path(tmp)
        paths = {mode: work / f"acct-{mode.lower()}.db" for mode in modes}
        for path in paths.values():
            seed_sqlite(f"sqlite:///{path}", subs)
        files = [work / f"interim{k}.txt" for k in range(2 * args.rounds * len(levels))]
        for k, path in enumerate(files):
            interim_file(path, subs, 300 * (k + 1))
        best: dict[tuple[str, int], Run] = {}
        with ExitStack() as stack:
            ports = {mode: (free_port(), free_port()) for mode in modes}
            for mode, query in modes.items():
                stack.enter_context(our_server(f"sqlite:///{paths[mode]}{query}",
                                               *ports[mode], 1, work / f"{mode}.log"))
            pairs = iter(zip(files[::2], files[1::2], strict=True))
            for level in levels:
                for _round in range(args.rounds):
                    pair = next(pairs)
                    for mode in modes:
                        run = _merge([radclient(path, ports[mode][1], "acct", subs, level)
                                      for path in pair])
                        if (mode, level) not in best or run.rate > best[mode, level].rate:
                            best[mode, level] = run
        stored = {mode: stored_sqlite(paths[mode], 300 * len(files)) for mode in modes}
    say(f"\nDurable accounting on SQLite: {2 * subs} Interim-Updates a round, answered after "
        f"their commit; best of {args.rounds} rounds; NORMAL survives a killed process, FULL "
        "also a power loss")
    say(f"  {'radclient':10} {'NORMAL acct/s':>14} {'FULL acct/s':>12} {'FULL/NORMAL':>12}")
    for level in levels:
        normal, full = best["NORMAL", level], best["FULL", level]
        say(f"  {'-p ' + str(level):10} {normal.rate:>14.0f} {full.rate:>12.0f} "
            f"{full.rate / normal.rate:>11.2f}x")
    for mode in modes:
        lost = sum(run.sent - run.answered for (m, _), run in best.items() if m == mode)
        say(f"  {mode}: lost {lost} in the best rounds; sessions holding the last update "
            f"after the servers stopped: {stored[mode][1]}/{subs}")


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
