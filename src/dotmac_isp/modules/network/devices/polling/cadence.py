"""When a poll reads the interfaces' admin/oper status as well as their counters.

Counters are read at every poll; status is read once per status window (a setting, 15
minutes by default), so most polls send half the values. A device reads status on:
- its first poll, and every discovery;
- its first poll in a new window: windows are fixed slices of the clock, shifted per device
  so that devices do not all read status in the same cycle. A change of oper status is
  noticed within one window plus one poll interval;
- every poll while it is not fully up (degraded by a watched port that is down, down, or
  unknown), so a port coming back clears the alert at the next poll;
- (in the poller) any poll whose sysUpTime shows the agent restarted since the last one.
No state is kept for this: the device's last poll time says which window it was in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dotmac_isp.modules.network.devices.enums import Reachability
from dotmac_isp.modules.network.devices.models import Device


def status_window(device: Device, at: datetime, every: timedelta) -> int:
    seconds = int(every.total_seconds())
    phase = device.id.int % seconds
    return int((at.timestamp() - phase) // seconds)


def status_due(device: Device, now: datetime, every: timedelta) -> bool:
    """Whether this poll of the device reads interface status (see the module's notes)."""
    if every.total_seconds() < 1 or device.last_polled_at is None:
        return True
    if device.reachability != Reachability.UP.value:
        return True
    return status_window(device, now, every) != status_window(device, device.last_polled_at,
                                                              every)
