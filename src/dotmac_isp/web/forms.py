"""Reading a submitted HTML form: every problem is collected, each named by the field's
label as the page shows it and kept with its field, so one submission shows all that must be
corrected, each message beside the field it is about (rules over the whole form on top)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, SupportsIndex, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from dotmac_isp.shared.errors import AppError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
_SKIP = ("body", "query", "path")  # where FastAPI found the input, before the field


def _parts(loc: tuple[Any, ...] | list[Any]) -> list[str]:
    """The field path of an error location: a leading body/query/path is where the input
    came from, unless it is all there is (a field named body)."""
    parts = [str(p) for p in loc if p != "__root__"]
    return parts[1:] if len(parts) > 1 and parts[0] in _SKIP else parts


def default_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class FormErrors(list[str]):
    """Every error of one form, each line "<label>: <message>" (a rule over the whole form:
    the message alone). A line is also kept under its field so the page shows it there; a
    line appended as text is placed by the label it starts with."""

    def __init__(self, labels: Mapping[str, str] | None = None,
                 lines: Iterable[str] = ()) -> None:
        super().__init__()
        self.labels: Mapping[str, str] = labels or {}
        self.by_field: dict[str, list[str]] = {}
        for line in lines:
            self.append(line)

    def label(self, name: str) -> str:
        return self.labels.get(name, default_label(name))

    def add(self, field: str | None, message: str) -> None:
        """An error of a field (by its form name), or of the whole form when field is None."""
        self.put(field, f"{self.label(field)}: {message}" if field else message)

    def put(self, field: str | None, line: str) -> None:
        """A ready line, kept under the given field (None: the whole form)."""
        if line in self:
            return
        super().append(line)
        if field:
            self.by_field.setdefault(field, []).append(line)

    def refusal(self, exc: AppError, field: str | None = None) -> None:
        """A service's refusal, beside the field it names (extra["field"]), with the field
        names in its text read as labels."""
        field = field or exc.extra.get("field")
        message = exc.detail
        if field:  # "needs card_last4: the last four digits" beside that very field
            message = re.sub(rf"\b{re.escape(field)}:\s*", "", message)
        self.add(field, with_labels(message, self.labels, words=False))

    def relabel(self, message: str) -> str:
        return with_labels(message, self.labels)

    def merge(self, other: FormErrors, skip: Iterable[str] = ()) -> None:
        """Another check's errors, except on fields that already have one here."""
        skipped = set(skip)
        for field, lines in other.by_field.items():
            if field not in skipped:
                for line in lines:
                    self.put(field, line)
        for line in other.general:
            self.put(None, line)

    def append(self, line: str) -> None:
        if line in self:
            return
        super().append(line)
        field = self._field_of(line)
        if field:
            self.by_field.setdefault(field, []).append(line)

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.append(line)

    def __iadd__(self, lines: Iterable[str]) -> FormErrors:  # type: ignore[override,misc]
        self.extend(lines)
        return self

    def insert(self, index: SupportsIndex, line: str) -> None:
        self.append(line)

    def _field_of(self, line: str) -> str | None:
        head = line.split(":", 1)[0].strip() if ":" in line else ""
        if not head:
            return None
        for name, label in self.labels.items():
            if label.lower() == head.lower() and "." not in name:
                return name
        return None

    def on(self, field: str) -> list[str]:
        """The lines shown beside one field."""
        return self.by_field.get(field, [])

    @property
    def general(self) -> list[str]:
        """The lines about no one field of the page, shown above the form."""
        placed = {line for lines in self.by_field.values() for line in lines}
        return [line for line in self if line not in placed]


class FormReader:
    """Reads fields of a submitted form into typed values, collecting errors as it goes."""

    def __init__(self, form: Mapping[str, Any], labels: Mapping[str, str]):
        self.form = form
        self.labels = labels
        self.errors = FormErrors(labels)

    def label(self, name: str) -> str:
        return self.labels.get(name, default_label(name))

    def fail(self, name: str, message: str) -> None:
        self.errors.add(name, message)

    def failed(self) -> set[str]:
        """The fields that already have an error."""
        return set(self.errors.by_field)

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
            loc = _parts(err.get("loc", ()))
            if loc and skip and loc[0] in skip:
                continue
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if loc:
                self.errors.add(loc[0], _plain(message))
            else:
                self.errors.add(None, self.relabel(message))

    def relabel(self, message: str) -> str:
        """A whole-form message names fields by their attribute names; use the labels."""
        return with_labels(message, self.labels)


def _plain(message: str) -> str:
    return message[0].lower() + message[1:] if message else message


def with_labels(message: str, labels: Mapping[str, str], *, words: bool = True) -> str:
    """Field names a rule mentions ("give a first_name/last_name") become their labels;
    with words=False only names that cannot be plain words (card_last4, not amount)."""
    names = sorted((n for n in labels if "." not in n and (words or "_" in n)),
                   key=len, reverse=True)
    if not names:
        return message
    either = "|".join(re.escape(n) for n in names)
    message = re.sub(rf"\b({either})/({either})\b", r"\1 / \2", message)
    return re.sub(rf"\b({either})\b", lambda m: labels[m.group(1)], message)


def _where(loc: tuple[Any, ...], labels: Mapping[str, str],
           fields: Mapping[str, str]) -> str | None:
    """The form field an error location is about: a nested location (addresses.0.city) is
    the page's field of its last name unless fields says otherwise."""
    parts = _parts(loc)
    names = [p for p in parts if not p.isdigit()]
    if not names:
        return None
    for key in (".".join(parts), ".".join(names)):
        if key in fields:
            return fields[key]
    return names[-1]


def _label_of(loc: tuple[Any, ...], labels: Mapping[str, str]) -> str | None:
    parts = _parts(loc)
    names = [p for p in parts if not p.isdigit()]
    for key in (".".join(parts), ".".join(names), names[-1] if names else ""):
        if key in labels:
            return labels[key]
    return None


def _into(errors: FormErrors, errs: Any, fields: Mapping[str, str]) -> None:
    for err in errs:
        message = with_labels(str(err.get("msg", "invalid")).removeprefix("Value error, "),
                              errors.labels)
        loc = tuple(err.get("loc", ()))
        field = _where(loc, errors.labels, fields)
        if field is None:
            errors.add(None, message[:1].upper() + message[1:])
            continue
        label = _label_of(loc, errors.labels) or errors.label(field)
        errors.put(field, f"{label}: {message}")


def form_errors(exc: ValidationError, labels: Mapping[str, str],
                fields: Mapping[str, str] | None = None) -> FormErrors:
    """One line per error: "<label>: <message>", or the message alone for a rule over the
    whole form; each kept under its field."""
    errors = FormErrors(labels)
    _into(errors, exc.errors(), fields or {})
    return errors


def validate_form(model: type[M], data: Mapping[str, Any], labels: Mapping[str, str],
                  fields: Mapping[str, str] | None = None) -> tuple[M | None, FormErrors]:
    """The model, or every error of the form. Pydantic checks rules over several fields only
    when each field is valid, so after field errors the rules are checked again without the
    failing fields, and what they say is added."""
    try:
        return model.model_validate(dict(data)), FormErrors(labels)
    except ValidationError as exc:
        errors = form_errors(exc, labels, fields)
        failing = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
    if failing:
        rest = {k: v for k, v in data.items() if k not in failing}
        try:
            model.model_validate(rest)
        except ValidationError as again:
            _into(errors, [e for e in again.errors() if not e.get("loc")], fields or {})
    return None, errors


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
