"""Version counters that tell RADIUS servers to look at the database now, not at their next
periodic poll.

- policy: bumped after a transaction that wrote policy-change rows commits (changes.py), and
  when another process says it did so (a Redis message, notify.py).
- sessions: bumped when another process stored accounting that opened or closed sessions.

A change made in this process also goes out on Redis when a URL is configured (Settings.redis_url,
DOTMAC_REDIS_URL), so every RADIUS process on every machine polls at once. The message only
says "look"; the change log and radacct stay the truth, so a lost message delays a change
until the next regular poll and nothing more.
"""

from __future__ import annotations

import threading

from dotmac_isp.config import get_settings
from dotmac_isp.modules.network.radius.notify import Publisher

POLICY = "p"
SESSIONS = "s"

_lock = threading.Lock()
_versions = {POLICY: 0, SESSIONS: 0}
_publisher: Publisher | None = None
_configured = False


def configure(redis_url: str | None) -> None:
    """Publish to this Redis (None: publish nothing); replaces the URL from the settings."""
    global _publisher, _configured
    with _lock:
        old, _publisher = _publisher, Publisher(redis_url) if redis_url else None
        _configured = True
    if old is not None:
        old.close()


def reset() -> None:
    """Forget the publisher; the next change reads the URL from the settings again."""
    global _configured
    configure(None)
    _configured = False


def _get_publisher() -> Publisher | None:
    if not _configured:
        configure(get_settings().redis_url)
    return _publisher


def bump() -> None:
    """Policy changed here: refresh this process's server and tell the others."""
    _bump(POLICY)
    publisher = _get_publisher()
    if publisher is not None:
        publisher.publish(POLICY)


def sessions_changed() -> None:
    """Sessions opened or closed here: tell the other processes (this one knows already)."""
    publisher = _get_publisher()
    if publisher is not None:
        publisher.publish(SESSIONS)


def notified(kind: str) -> None:
    """Another process said something changed (a Redis message); nothing is republished."""
    if kind in _versions:
        _bump(kind)


def _bump(kind: str) -> None:
    with _lock:
        _versions[kind] += 1


def current() -> int:
    return _versions[POLICY]


def sessions_version() -> int:
    return _versions[SESSIONS]
