"""The project's RADIUS dictionary (pyrad format), shipped with the package."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pyrad.dictionary import Dictionary

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionaries"
DICTIONARY_FILE = DICTIONARY_DIR / "dictionary"


@lru_cache(maxsize=1)
def load_dictionary() -> Dictionary:
    """RFC 2865/2866/2869/3162/4818/5176 attributes with the Microsoft, MikroTik, Cisco and
    Juniper vendor attributes."""
    return Dictionary(str(DICTIONARY_FILE))
