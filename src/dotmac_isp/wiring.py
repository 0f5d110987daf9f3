"""Imports the modules that register event handlers and jobs, so the API, the CLI, the
scheduler and a Celery worker all see the same set. Add new handler/job modules here."""

from __future__ import annotations

import importlib

HANDLER_MODULES: tuple[str, ...] = ("dotmac_isp.modules.network.radius.handlers",)
JOB_MODULES: tuple[str, ...] = ("dotmac_isp.modules.services.tasks",
                                 "dotmac_isp.modules.network.radius.tasks")


def install() -> None:
    from dotmac_isp.modules.identity import audit

    audit.install()
    for name in (*HANDLER_MODULES, *JOB_MODULES):
        importlib.import_module(name)
