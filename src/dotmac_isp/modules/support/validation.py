"""Input hygiene shared by the support bodies: no control characters in stored text
(PostgreSQL refuses NUL in text columns, and nobody types the others)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, field_validator

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # for Query(pattern=...)


def without_control(text: str) -> str:
    return CONTROL.sub("", text)


class CleanBody(BaseModel):
    """A request body whose strings (and lists of strings) carry no control characters."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and CONTROL.search(v) for v in items):
            raise ValueError("control characters (such as NUL) are not allowed")
        return value
