"""Readable sizes for pages: byte counts in decimal units, as data caps are sold."""

from __future__ import annotations


def format_bytes(value: float) -> str:
    """1234567 -> '1.23 MB' (powers of 1000, like a plan's data cap)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.0f} B"
