"""Run the same action from many real threads at the same moment (a barrier releases them
together), for tests of counters and claims that must hold under parallel requests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(count: int, action: Callable[[int], T], *, timeout: float = 120) -> list[T]:
    """Call action(n) for n in range(count), each in its own thread, all released together;
    returns the results of those that finished (in finishing order)."""
    barrier = threading.Barrier(count)
    results: list[T] = []

    def run(n: int) -> None:
        barrier.wait()
        results.append(action(n))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
