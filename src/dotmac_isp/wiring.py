"""Imports the modules that register event handlers and jobs, so the API, the CLI, the
scheduler and a Celery worker all see the same set. Add new handler/job modules here."""

from __future__ import annotations

import importlib

HANDLER_MODULES: tuple[str, ...] = (
    "dotmac_isp.modules.network.ipam.handlers",
    "dotmac_isp.modules.network.alerts.handlers",
    "dotmac_isp.modules.network.radius.handlers",
    "dotmac_isp.modules.network.ipam.radius_source",
    "dotmac_isp.modules.inventory.radius_source",
    "dotmac_isp.modules.inventory.field_hooks",
    "dotmac_isp.modules.hotspot.radius_hooks",
    "dotmac_isp.modules.billing.adjustments",
    "dotmac_isp.modules.sales.billing_hooks",
    "dotmac_isp.modules.billing.notify",
    "dotmac_isp.modules.billing.watermark",
    "dotmac_isp.modules.support.mail_in",
)
JOB_MODULES: tuple[str, ...] = (
    "dotmac_isp.jobs.tasks",
    "dotmac_isp.modules.identity.tasks",
    "dotmac_isp.modules.services.tasks",
    "dotmac_isp.modules.billing.tasks",
    "dotmac_isp.modules.billing.gateways.tasks",
    "dotmac_isp.modules.network.ipam.tasks",
    "dotmac_isp.modules.network.devices.polling.tasks",
    "dotmac_isp.modules.network.devices.backups.tasks",
    "dotmac_isp.modules.network.radius.tasks",
    "dotmac_isp.modules.network.topology.tasks",
    "dotmac_isp.modules.hotspot.tasks",
    "dotmac_isp.modules.map.tasks",
    "dotmac_isp.modules.support.tasks",
    "dotmac_isp.modules.field.tasks",
    "dotmac_isp.modules.notifications.tasks",
    "dotmac_isp.modules.resellers.tasks",
)


def install() -> None:
    from dotmac_isp.modules.identity import audit
    from dotmac_isp.shared import row_scope

    audit.install()
    row_scope.install("customers")  # reseller staff see only their customers' rows
    for name in (*HANDLER_MODULES, *JOB_MODULES):
        importlib.import_module(name)
