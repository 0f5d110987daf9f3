"""The parent of `radius serve --processes N`: a worker that dies is started again, and
SIGTERM stops every worker and the parent cleanly."""

from __future__ import annotations

import os
import signal
import socket
import time

from dotmac_isp.config import Settings
from dotmac_isp.shared.db import Database
from tests.modules.network.radius.support import seed_isp
from tests.modules.network.radius.workers import ACCEPT, access_request, radius_workers


def _alive(pid: int) -> bool:
    """Running; an exited process not yet reaped (a zombie) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_dead_worker_is_restarted_and_sigterm_stops_them_all(
        radius_db: Database, radius_url: str, settings: Settings) -> None:
    isp = seed_isp(radius_db, settings)
    with radius_workers(radius_url, settings.secret_key.get_secret_value(),
                        postauth_log="false") as workers:
        workers.wait_ready()
        pids = [workers.pid(0), workers.pid(1)]
        assert len(set(pids)) == 2

        os.kill(pids[1], signal.SIGKILL)  # a crash: no clean shutdown
        deadline = time.monotonic() + 90
        while True:
            try:
                restarted = workers.pid(1)
                if restarted != pids[1]:
                    break
            except OSError:
                pass  # down, or not listening yet
            assert workers.process.poll() is None, workers.output()
            assert time.monotonic() < deadline, "the worker was not restarted"
            time.sleep(0.2)
        assert workers.pid(0) == pids[0]  # the other one was left alone
        codes = {access_request(workers.auth_port, "alice", isp.passwords["alice"], n)
                 for n in range(16)}
        assert codes == {ACCEPT}

        workers.process.send_signal(signal.SIGTERM)
        workers.process.wait(60)
        assert workers.process.returncode == 0
        assert not any(_alive(pid) for pid in (pids[0], restarted))


def test_one_nas_source_port_is_spread_across_the_workers(
        radius_db: Database, radius_url: str, settings: Settings) -> None:
    """A NAS sends from one port; the workers share its requests by RADIUS Identifier."""
    isp = seed_isp(radius_db, settings)
    with radius_workers(radius_url, settings.secret_key.get_secret_value(),
                        postauth_log="false") as workers:
        workers.wait_ready()
        before = workers.counts("accept")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nas:
            codes = [access_request(workers.auth_port, "alice", isp.passwords["alice"], n,
                                    sock=nas) for n in range(40)]
        assert set(codes) == {ACCEPT}
        # a worker counts an answer just after it sends it: wait (bounded) for the 40th count
        deadline = time.monotonic() + 10
        while True:
            answered = [a - b for a, b in zip(workers.counts("accept"), before, strict=True)]
            if sum(answered) >= 40 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert answered == [20, 20]  # Identifiers 0..39: even ones to one, odd to the other

        # the supervisor killed outright: its workers do not linger on the port
        pids = [workers.pid(0), workers.pid(1)]
        workers.process.kill()
        workers.process.wait(10)
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in pids):
            assert time.monotonic() < deadline, "workers outlived their supervisor"
            time.sleep(0.2)
