"""Tenant-A network objects for the isolation test: one factory per API path parameter."""

from __future__ import annotations

import uuid

from dotmac_isp.modules.network.alerts import rules, schemas, service
from dotmac_isp.modules.network.alerts.enums import AlertKind
from dotmac_isp.modules.network.devices import service as devices_service
from dotmac_isp.modules.network.devices.backups import service as backups
from dotmac_isp.shared.types import utcnow
from tests.modules.network.devices.factories import make_device, make_interface, make_site
from tests.support.tenant_objects import ObjectContext, tenant_object


def _device(ctx: ObjectContext):  # type: ignore[no-untyped-def]
    return devices_service.get_device(ctx.session, ctx.tenant.id,
                                      uuid.UUID(ctx.need("device_id")))


@tenant_object("site_id")
def site(ctx: ObjectContext) -> str:
    return str(make_site(ctx.session, ctx.tenant, "a-site").id)


@tenant_object("device_id")
def device(ctx: ObjectContext) -> str:
    return str(make_device(ctx.session, ctx.settings, ctx.tenant, "a-router",
                           site_id=ctx.need("site_id")).id)


@tenant_object("interface_id")
def interface(ctx: ObjectContext) -> str:
    return str(make_interface(ctx.session, _device(ctx)).id)


@tenant_object("alert_id")
def alert(ctx: ObjectContext) -> str:
    raised = service.raise_alert(ctx.session, _device(ctx), kind=AlertKind.DEVICE_DEGRADED,
                                 severity="medium", message="a-alert", now=utcnow())
    return str(raised.id)


@tenant_object("incident_id")
def incident(ctx: ObjectContext) -> str:
    return str(service.open_incident(ctx.session, _device(ctx), utcnow(), "a-outage").id)


@tenant_object("rule_id")
def rule(ctx: ObjectContext) -> str:
    return str(rules.create_rule(ctx.session, ctx.tenant.id, schemas.AlertRuleCreate(
        name="a-rule", metric="cpu_pct", threshold=90)).id)  # type: ignore[arg-type]


@tenant_object("window_id")
def window(ctx: ObjectContext) -> str:
    now = utcnow()
    return str(service.create_window(ctx.session, ctx.tenant.id, schemas.MaintenanceWindowCreate(
        name="a-window", starts_at=now.replace(year=now.year + 1),
        ends_at=now.replace(year=now.year + 2))).id)


@tenant_object("backup_id")
def backup(ctx: ObjectContext) -> str:
    stored, _ = backups.store_config(ctx.session, _device(ctx), "hostname a-router\n", utcnow())
    return str(stored.id)
