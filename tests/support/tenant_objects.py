"""Tenant-A objects for the isolation test: one factory per API path parameter.

Each domain registers its factories in tests/modules/<domain>/objects.py:

    @tenant_object("plan_id")
    def plan(ctx: ObjectContext) -> str:
        return str(make_plan(ctx.session, ctx.tenant).id)

The isolation test fails for any path parameter no factory is registered for.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dotmac_isp.config import Settings
from dotmac_isp.modules.identity.models import Tenant
from tests.support.factories import StaffUser


@dataclass
class ObjectContext:
    client: TestClient
    admin: StaffUser
    session: Session
    settings: Settings
    tenant: Tenant
    made: dict[str, str] = field(default_factory=dict)

    def need(self, param: str) -> str:
        """The id for another parameter, made on first use (factories may depend on each other)."""
        if param not in self.made:
            self.made[param] = _factories[param](self)
        return self.made[param]


ObjectFactory = Callable[[ObjectContext], str]
_factories: dict[str, ObjectFactory] = {}


def tenant_object(param: str) -> Callable[[ObjectFactory], ObjectFactory]:
    def register(factory: ObjectFactory) -> ObjectFactory:
        _factories[param] = factory
        return factory

    return register


_bodies: dict[tuple[str, str], dict[str, object]] = {}


def example_body(method: str, path: str, body: dict[str, object]) -> None:
    """A valid request body for an operation, so the isolation test reaches the object lookup
    instead of stopping at body validation."""
    _bodies[(method, path)] = body


def body_for(method: str, path: str) -> dict[str, object]:
    load_all()
    return _bodies.get((method, path), {})


def load_all() -> None:
    import tests.modules as root

    for info in pkgutil.walk_packages(root.__path__, "tests.modules."):
        if info.name.endswith(".objects"):
            importlib.import_module(info.name)


def build_all(ctx: ObjectContext) -> dict[str, str]:
    load_all()
    for param in sorted(_factories):
        ctx.need(param)
    ctx.session.flush()
    return dict(ctx.made)


def known_params() -> set[str]:
    load_all()
    return set(_factories)


