"""Tenant-scoped reads of alerts, rules, incidents and maintenance windows."""

from __future__ import annotations

from dotmac_isp.modules.network.alerts.models import (
    Alert,
    AlertRule,
    AlertRuleState,
    Incident,
    MaintenanceWindow,
)
from dotmac_isp.shared.tenancy import TenantRepository


class AlertRepository(TenantRepository[Alert]):
    model = Alert
    not_found_message = "alert not found"


class AlertRuleRepository(TenantRepository[AlertRule]):
    model = AlertRule
    not_found_message = "alert rule not found"


class AlertRuleStateRepository(TenantRepository[AlertRuleState]):
    model = AlertRuleState


class IncidentRepository(TenantRepository[Incident]):
    model = Incident
    not_found_message = "incident not found"


class MaintenanceWindowRepository(TenantRepository[MaintenanceWindow]):
    model = MaintenanceWindow
    not_found_message = "maintenance window not found"
