"""Reading a submitted HTML form: every problem is collected, each named by the field's
label as the page shows it, so one submission shows all that must be corrected."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from dotmac_isp.shared.errors import AppError

T = TypeVar("T")


class FormReader:
    """Reads fields of a submitted form into typed values, collecting errors as it goes."""

    def __init__(self, form: Mapping[str, Any], labels: Mapping[str, str]):
        self.form = form
        self.labels = labels
        self.errors: list[str] = []

    def label(self, name: str) -> str:
        return self.labels.get(name, name.replace("_", " ").capitalize())

    def fail(self, name: str, message: str) -> None:
        self.errors.append(f"{self.label(name)}: {message}")

    def raw(self, name: str) -> str:
        value = self.form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, "required")
        return value

    def whole(self, name: str, *, required: bool = False) -> int | None:
        """A whole number, or None when left empty."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "required")
            return None
        if not value.lstrip("-").isdigit() or len(value) > 18:
            self.fail(name, f"{value!r} is not a whole number")
            return None
        return int(value)

    def amount(self, name: str, *, required: bool = False) -> Decimal | None:
        """A plain decimal amount such as 29.99 (no thousands separators, no exponent)."""
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "required")
            return None
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            parsed = None
        if parsed is None or not parsed.is_finite() or "e" in value.lower():
            self.fail(name, f"{value!r} is not an amount such as 29.99")
            return None
        return parsed

    def checked(self, name: str) -> bool:
        return name in self.form and self.form.get(name) not in ("", "0", None)

    def add_validation(self, exc: ValidationError, skip: set[str] | None = None) -> None:
        """Adds a pydantic error's lines, named by label; fields in skip already have one."""
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "__root__")]
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if loc and skip and loc[0] in skip:
                continue
            if loc:
                self.errors.append(f"{self.label(loc[0])}: {_plain(message)}")
            else:
                self.errors.append(self.relabel(message))

    def relabel(self, message: str) -> str:
        """A whole-form message names fields by their attribute names; use the labels."""
        for name in sorted(self.labels, key=len, reverse=True):
            message = message.replace(name, self.labels[name])
        return message


def _plain(message: str) -> str:
    return message[0].lower() + message[1:] if message else message


def all_or_nothing(session: Session, call: Callable[[], T], *touched: object) -> T:
    """Runs a service call in a savepoint: when it refuses, what it changed is undone (in the
    database and on the given objects) so the page can show the error and commit nothing."""
    try:
        with session.begin_nested():
            return call()
    except AppError:
        for obj in touched:
            session.expire(obj)
        raise
