"""Enumerations of the inventory module."""

from __future__ import annotations

from enum import StrEnum


class ItemKind(StrEnum):
    ROUTER = "router"
    ONU = "onu"
    RADIO = "radio"
    SWITCH = "switch"
    SFP = "sfp"
    CABLE = "cable"
    OTHER = "other"


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    VAN = "van"


class ItemState(StrEnum):
    IN_STOCK = "in_stock"
    ISSUED = "issued"
    INSTALLED = "installed"
    FAULTY = "faulty"
    WRITTEN_OFF = "written_off"


class MovementKind(StrEnum):
    RECEIVE = "receive"
    TRANSFER = "transfer"
    ISSUE = "issue"
    INSTALL = "install"
    RETURN = "return"
    WRITE_OFF = "write_off"


# States an item may leave a stock location in (a faulty one goes back or is written off).
AT_LOCATION = (ItemState.IN_STOCK.value, ItemState.FAULTY.value)
