"""Form errors as a person reads them: each names its field by the label on the page, and a
form shows every error at once (rules over several fields too, not only the first failure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_SKIP = ("body", "query", "path", "__root__")


def _label(loc: tuple[Any, ...], labels: Mapping[str, str]) -> str:
    parts = [str(p) for p in loc if p not in _SKIP]
    if not parts:
        return ""
    names = [p for p in parts if not p.isdigit()]
    for key in (".".join(parts), ".".join(names), names[-1] if names else ""):
        if key in labels:
            return labels[key]
    return (names[-1] if names else parts[-1]).replace("_", " ").capitalize()


def _with_labels(message: str, labels: Mapping[str, str]) -> str:
    """Field names a rule mentions ("give a first_name/last_name") become their labels."""
    for name in sorted(labels, key=len, reverse=True):
        if "." in name:
            continue
        message = re.sub(rf"\b{re.escape(name)}\b", labels[name], message)
    return message.replace("/", " / ") if "/" in message and "://" not in message else message


def form_errors(exc: ValidationError, labels: Mapping[str, str]) -> list[str]:
    """One line per error: "<label>: <message>", or the message alone for a rule over the
    whole form."""
    return _lines(exc.errors(), labels)


def _lines(errs: Any, labels: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for err in errs:
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        message = _with_labels(message, labels)
        where = _label(tuple(err.get("loc", ())), labels)
        line = f"{where}: {message}" if where else message[:1].upper() + message[1:]
        if line not in lines:
            lines.append(line)
    return lines


def validate_form(model: type[M], data: Mapping[str, Any],
                  labels: Mapping[str, str]) -> tuple[M | None, list[str]]:
    """The model, or every error of the form. Pydantic checks rules over several fields only
    when each field is valid, so after field errors the rules are checked again without the
    failing fields, and what they say is added."""
    try:
        return model.model_validate(dict(data)), []
    except ValidationError as exc:
        errors = form_errors(exc, labels)
        failing = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
    if failing:
        rest = {k: v for k, v in data.items() if k not in failing}
        try:
            model.model_validate(rest)
        except ValidationError as again:
            rules = [e for e in again.errors() if not e.get("loc")]
            errors += [line for line in _lines(rules, labels) if line not in errors]
    return None, errors
