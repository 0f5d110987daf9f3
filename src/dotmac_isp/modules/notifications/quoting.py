"""Cut an emailed reply down to what the sender wrote: no quoted thread, no signature."""

from __future__ import annotations

import html
import re

_CUT_AT = [
    re.compile(r"^\s*#+\s*reply above this line", re.IGNORECASE),  # our own marker
    re.compile(r"^\s*on\b.{0,300}\bwrote:\s*$", re.IGNORECASE),  # Gmail, Apple Mail
    re.compile(r"^\s*le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*original message\s*-{2,}", re.IGNORECASE),  # Outlook
    re.compile(r"^\s*-{2,}\s*forwarded message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above the quoted header block
    re.compile(r"^--\s?$"),  # the signature delimiter
]
_OUTLOOK_HEADER = re.compile(r"^\s*from:\s.+$", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*(sent|date|to|subject):\s", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(r"^\s*(sent from my|get outlook for)\b", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h\d)\s*/?>")
_INVISIBLE = re.compile(r"(?is)<(script|style|head)\b.*?</\1\s*>")


def html_to_text(markup: str) -> str:
    """Plain text from an HTML-only mail body: tags dropped, line breaks kept."""
    text = _INVISIBLE.sub("", markup)
    text = _BLOCK_END.sub("\n", text)
    return html.unescape(_TAGS.sub("", text))


def _joined_attribution(lines: list[str], index: int) -> str:
    # Gmail wraps a long "On ... <address> wrote:" over two lines.
    line = lines[index]
    if index + 1 < len(lines) and line.strip().lower().startswith("on "):
        return f"{line} {lines[index + 1].strip()}"
    return line


def strip_quoted(text: str) -> str:
    """The new part of a reply: stops at the first attribution, marker or signature and drops
    '>'-quoted lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        candidate = _joined_attribution(lines, index)
        if any(p.match(line) or p.match(candidate) for p in _CUT_AT):
            break
        if (_OUTLOOK_HEADER.match(line) and index + 1 < len(lines)
                and _OUTLOOK_NEXT.match(lines[index + 1])):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and (not kept[-1].strip() or _MOBILE_FOOTER.match(kept[-1])):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)
