"""Refusals of the inventory module; each names the field a form shows it beside."""

from __future__ import annotations

from dotmac_isp.shared.errors import Conflict, InvalidState, ValidationFailed


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", extra={"field": field})


class NotAtSource(Conflict):
    """The item is not where the movement says it comes from."""

    code = "not_at_source"


class NotEnoughStock(Conflict):
    """The location holds fewer than the movement takes."""

    code = "not_enough_stock"


class WrongState(InvalidState):
    """The item is not in a state that allows this movement."""
