"""Thread tags: the secret that ties an emailed reply back to what it answers.

Outgoing mail carries the tag twice: in the Reply-To address (support+<tag>@domain) and in
its Message-ID (<dm.<tag>.<random>@domain>), which mail clients echo in In-Reply-To and
References. Tags are lowercase letters and digits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from dotmac_isp.modules.notifications.settings import NotificationSettings

TAG = re.compile(r"^[a-z0-9]{8,40}$")
_IN_ADDRESS = re.compile(r"\+([a-z0-9]{8,40})@", re.IGNORECASE)
_IN_MESSAGE_ID = re.compile(r"<dm\.([a-z0-9]{8,40})[.@]", re.IGNORECASE)


def new_tag() -> str:
    return secrets.token_hex(12)


def reply_address(settings: NotificationSettings, tag: str) -> str:
    local, domain = settings.reply_address.split("@", 1)
    return f"{local}+{tag}@{domain}"


def thread_root(settings: NotificationSettings, tag: str) -> str:
    return f"<dm.{tag}@{settings.message_id_domain}>"


def message_id(settings: NotificationSettings, tag: str | None) -> str:
    middle = f"{tag}." if tag else ""
    return f"<dm.{middle}{secrets.token_hex(8)}@{settings.message_id_domain}>"


def tags_in_addresses(addresses: Iterable[str]) -> list[str]:
    return _unique(m.group(1).lower() for a in addresses for m in _IN_ADDRESS.finditer(a))


def tags_in_message_ids(headers: Iterable[str]) -> list[str]:
    return _unique(m.group(1).lower() for h in headers for m in _IN_MESSAGE_ID.finditer(h))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
