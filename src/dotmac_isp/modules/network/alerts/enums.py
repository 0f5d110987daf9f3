"""Enumerations of the alerts module."""

from __future__ import annotations

from enum import StrEnum


class AlertKind(StrEnum):
    DEVICE_DOWN = "device_down"
    DEVICE_DEGRADED = "device_degraded"
    THRESHOLD = "threshold"
    CONFIG_CHANGED = "config_changed"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class RuleMetric(StrEnum):
    INTERFACE_UTILIZATION = "interface_utilization_pct"
    CPU = "cpu_pct"
    MEMORY = "memory_pct"


class RuleOperator(StrEnum):
    ABOVE = "above"
    BELOW = "below"
