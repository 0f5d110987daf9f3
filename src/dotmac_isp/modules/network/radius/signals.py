"""An in-process version counter: bumped after a transaction that changed RADIUS policy
commits, so a RADIUS server in the same process refreshes at once instead of at its next
periodic poll of the change log."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_version = 0


def bump() -> None:
    global _version
    with _lock:
        _version += 1


def current() -> int:
    return _version
