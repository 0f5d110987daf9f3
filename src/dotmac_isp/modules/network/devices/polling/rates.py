"""Octet counters to bit rates, with counter wrap and agent restarts handled."""

from __future__ import annotations


def counter_delta(previous: int, current: int, bits: int) -> int:
    """How far a counter moved; a smaller reading means it wrapped past 2**bits."""
    if current >= previous:
        return current - previous
    return current + (1 << bits) - previous


def rate_bps(previous: int | None, current: int | None, seconds: float, *, bits: int = 64,
             speed_bps: float | None = None, restarted: bool = False) -> float | None:
    """Bits per second between two readings of an octet counter, or None when no honest rate
    can be given: no earlier reading, no time elapsed, the agent restarted (its counters
    started again from zero), or a 'wrap' so large it must have been a reset."""
    if previous is None or current is None or seconds <= 0 or restarted:
        return None
    wrapped = current < previous
    delta = counter_delta(previous, current, bits)
    bps = delta * 8 / seconds
    if wrapped:
        # A true wrap moves the counter by less than the link can carry in the interval;
        # without a known speed, accept a wrap only if it moved less than half the range.
        limit = speed_bps * 1.1 if speed_bps else None
        if (limit is not None and bps > limit) or (limit is None and delta >= 1 << (bits - 1)):
            return None
    return bps
