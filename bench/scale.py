"""An ISP of 100,000 subscribers on PostgreSQL: background paths and busy lists measured.

    .venv/bin/python bench/scale.py [--scale 1.0] [--url postgresql://...] [--only NAME ...]

Runs each section in a process of its own, one after another (each seeds a scratch database
by COPY or bulk INSERT and drops it afterwards), and prints every figure beside the reference
its section measures in the same run:

- network  (bench/scale_network.py): 100,000 subscriptions with IPv4 and /56 from IPAM pools,
  1,000,000 radacct rows over 30 days, 2,000,000 post-auth rows; the RADIUS full policy load,
  a usage roll-up cycle after 10,000 accounting updates, retention.
- billing  (bench/scale_billing.py): 100,000 subscriptions, every customer with an email; the
  billing run with its emails queued, the rerun, dunning over 20,000 overdue invoices and its
  rerun.
- api      (bench/api_load.py): 100,000 customers, 1,000,000 radacct rows; p50/p95/p99 and
  requests/s of the lists, searches and detail pages operators use most.
- devices  (bench/scale_devices.py): 5,000 devices with 100,000 interfaces, a day of raw
  points at the default 5-minute polls and a week of hourly rollups, 20,000 tickets; claiming
  and recording a poll cycle, the rollup, pruning, the device and ticket lists and charts,
  the SLA job and its rerun.

--scale multiplies every size (0.1 for a quick look). Exits 1 if a section fails or runs out
of its time (--section-minutes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sections(scale: float) -> dict[str, list[str]]:
    def n(value: int) -> str:
        return str(max(1, int(value * scale)))

    return {
        "network": ["scale_network.py", "--subscriptions", n(100_000), "--sessions",
                    n(1_000_000), "--postauth", n(2_000_000), "--updates", n(10_000)],
        "billing": ["scale_billing.py", "--subscriptions", n(100_000), "--overdue", n(20_000)],
        "api": ["api_load.py", "--customers", n(100_000), "--radacct", n(1_000_000)],
        "devices": ["scale_devices.py", "--devices", n(5_000), "--tickets", n(20_000)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="an admin URL; each section creates and drops a scratch database")
    parser.add_argument("--only", nargs="*", choices=["network", "billing", "api", "devices"])
    parser.add_argument("--section-minutes", type=float, default=10.0)
    args = parser.parse_args()
    failed = []
    started = time.perf_counter()
    for name, argv in sections(args.scale).items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            module = f"bench.{argv[0].removesuffix('.py')}"
            done = subprocess.run([sys.executable, "-m", module, *argv[1:], "--url", args.url],
                                  cwd=HERE.parent, timeout=args.section_minutes * 60,
                                  check=False)
            if done.returncode != 0:
                failed.append(f"{name} (exit {done.returncode})")
        except subprocess.TimeoutExpired:
            failed.append(f"{name} (over {args.section_minutes:g} minutes)")
        print(f"== {name}: {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"all sections: {time.perf_counter() - started:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
