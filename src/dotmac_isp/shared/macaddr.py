"""MAC addresses in one written form: six lower-case hex pairs joined by colons.

Vendors print them as AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff, and NASes send
Calling-Station-Id in any of these; comparing the normalised forms makes them equal.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s:\-.]")
_HEX12 = re.compile(r"^[0-9a-f]{12}$")


def normalise_mac(text: str | None) -> str | None:
    """The canonical form (aa:bb:cc:dd:ee:ff), or None when the text is not a MAC address."""
    if not text:
        return None
    bare = _SEPARATORS.sub("", text.strip().lower())
    if not _HEX12.match(bare):
        return None
    return ":".join(bare[i:i + 2] for i in range(0, 12, 2))
