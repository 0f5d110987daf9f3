"""Threshold alert rules: CRUD, and their evaluation after every successful poll."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from dotmac_isp.modules.network.alerts import schemas
from dotmac_isp.modules.network.alerts.enums import AlertKind, AlertStatus, RuleMetric
from dotmac_isp.modules.network.alerts.models import Alert, AlertRule, AlertRuleState
from dotmac_isp.modules.network.alerts.repository import (
    AlertRepository,
    AlertRuleRepository,
    AlertRuleStateRepository,
)
from dotmac_isp.modules.network.alerts.service import check_scope, raise_alert
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.devices.events import DevicePolled
from dotmac_isp.modules.network.devices.models import Device
from dotmac_isp.shared.errors import Conflict
from dotmac_isp.shared.pagination import Page, PageParams

_UNITS = {RuleMetric.INTERFACE_UTILIZATION.value: "utilization",
          RuleMetric.CPU.value: "CPU", RuleMetric.MEMORY.value: "memory"}


def list_rules(session: Session, tenant_id: uuid.UUID, params: PageParams) -> Page[AlertRule]:
    repo = AlertRuleRepository(session, tenant_id)
    return repo.list(params, repo.select().order_by(AlertRule.name))


def get_rule(session: Session, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> AlertRule:
    return AlertRuleRepository(session, tenant_id).get(rule_id)


def _name_taken(session: Session, tenant_id: uuid.UUID, name: str) -> bool:
    repo = AlertRuleRepository(session, tenant_id)
    return session.scalars(repo.select().where(AlertRule.name == name)).first() is not None


def create_rule(session: Session, tenant_id: uuid.UUID,
                data: schemas.AlertRuleCreate) -> AlertRule:
    """A threshold rule over every device, a site's devices, or one device."""
    if _name_taken(session, tenant_id, data.name):
        raise Conflict(f"an alert rule named {data.name!r} already exists")
    check_scope(session, tenant_id, data.device_id, data.site_id)
    values = data.model_dump()
    values.update(metric=data.metric.value, operator=data.operator.value,
                  severity=data.severity.value)
    return AlertRuleRepository(session, tenant_id).add(AlertRule(**values))


def update_rule(session: Session, tenant_id: uuid.UUID, rule_id: uuid.UUID,
                data: schemas.AlertRuleUpdate) -> AlertRule:
    rule = get_rule(session, tenant_id, rule_id)
    changes = data.model_dump(exclude_none=True)
    if "name" in changes and changes["name"] != rule.name and \
            _name_taken(session, tenant_id, changes["name"]):
        raise Conflict(f"an alert rule named {changes['name']!r} already exists")
    for key, value in changes.items():
        setattr(rule, key, value.value if hasattr(value, "value") else value)
    session.flush()
    return rule


def delete_rule(session: Session, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> None:
    repo = AlertRuleRepository(session, tenant_id)
    repo.delete(repo.get(rule_id))


def _applies(rule: AlertRule, device: Device) -> bool:
    if rule.device_id is not None:
        return rule.device_id == device.id
    return rule.site_id is None or rule.site_id == device.site_id


def _targets(rule: AlertRule, event: DevicePolled) -> list[tuple[str, uuid.UUID | None, str,
                                                                  float | None]]:
    if rule.metric == RuleMetric.CPU.value:
        return [(f"device:{event.device_id}", None, event.device_name, event.cpu_pct)]
    if rule.metric == RuleMetric.MEMORY.value:
        return [(f"device:{event.device_id}", None, event.device_name, event.memory_pct)]
    return [(f"if:{i.interface_id}", i.interface_id, f"{event.device_name} {i.label}",
             i.utilization_pct) for i in event.interfaces]


def evaluate(session: Session, event: DevicePolled) -> list[Alert]:
    """Advance every matching rule for this device by one poll; returns alerts raised."""
    return evaluate_many(session, event.tenant_id, [event])


def evaluate_many(session: Session, tenant_id: uuid.UUID,
                  events: Sequence[DevicePolled]) -> list[Alert]:
    """Advance the matching rules of a batch of one tenant's polls; the rules, devices and
    rule states of the whole batch are read in three queries (one when no rule is on)."""
    repo = AlertRuleRepository(session, tenant_id)
    enabled = list(session.scalars(repo.select().where(AlertRule.enabled.is_(True))
                                   .order_by(AlertRule.name)))
    if not enabled or not events:
        return []
    devices = devices_service.find_devices(session, tenant_id, {e.device_id for e in events})
    states_repo = AlertRuleStateRepository(session, tenant_id)
    states = {(s.rule_id, s.device_id, s.target_key): s for s in session.scalars(
        states_repo.select().where(AlertRuleState.device_id.in_(list(devices)),
                                   AlertRuleState.rule_id.in_([r.id for r in enabled])))}
    raised = []
    for event in events:
        device = devices.get(event.device_id)
        if device is None:
            continue
        for rule in (r for r in enabled if _applies(r, device)):
            for key, interface_id, label, value in _targets(rule, event):
                if value is None:
                    continue
                state = states.get((rule.id, device.id, key))
                if state is None:  # inserted with the batch's other new states at the end
                    state = AlertRuleState(tenant_id=tenant_id, rule_id=rule.id,
                                           target_key=key, device_id=device.id,
                                           interface_id=interface_id)
                    session.add(state)
                    states[(rule.id, device.id, key)] = state
                alert = _step(session, rule, state, device, interface_id, label, value,
                              event.occurred_at)
                if alert is not None:
                    raised.append(alert)
    session.flush()
    return raised


def _step(session: Session, rule: AlertRule, state: AlertRuleState, device: Device,
          interface_id: uuid.UUID | None, label: str, value: float,
          now: datetime) -> Alert | None:
    breaching = value > rule.threshold if rule.operator == "above" else value < rule.threshold
    if not breaching:
        state.breach_started_at = None
        if state.open_alert_id is not None:
            alert = AlertRepository(session, device.tenant_id).find(state.open_alert_id)
            if alert is not None and alert.status != AlertStatus.RESOLVED.value:
                alert.status, alert.resolved_at = AlertStatus.RESOLVED.value, now
            state.open_alert_id = None
        return None
    if state.breach_started_at is None:
        state.breach_started_at = now
    if state.open_alert_id is not None:
        return None
    if now - state.breach_started_at < timedelta(seconds=rule.duration_seconds):
        return None
    if state.last_fired_at is not None and \
            now - state.last_fired_at < timedelta(seconds=rule.cooldown_seconds):
        return None
    word = "above" if rule.operator == "above" else "below"
    alert = raise_alert(
        session, device, kind=AlertKind.THRESHOLD, severity=rule.severity, now=now,
        message=f"{label}: {_UNITS.get(rule.metric, rule.metric)} {value:.1f}% {word} "
                f"{rule.threshold:g}% ({rule.name})",
        value=value, interface_id=interface_id, rule_id=rule.id)
    state.open_alert_id = alert.id
    state.last_fired_at = now
    return alert
