"""Up, degraded or down, from poll results, with hysteresis against flapping."""

from __future__ import annotations

from dotmac_isp.modules.network.devices.enums import Reachability


def next_reachability(current: Reachability, *, reachable: bool, consecutive_failures: int,
                      down_after: int, degraded: bool) -> Reachability:
    """The state after one poll.

    A device answering is up (or degraded when part of it is faulty) at once; one that stops
    answering keeps its state until down_after polls in a row have failed.
    """
    if reachable:
        return Reachability.DEGRADED if degraded else Reachability.UP
    if consecutive_failures >= max(1, down_after):
        return Reachability.DOWN
    return current
