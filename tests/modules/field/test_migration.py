"""Upgrading an existing installation: its tenants' built-in roles gain the field
permissions and each tenant gets the technician role (a tenant's own role of that name is
left alone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from dotmac_isp import db_migrate
from dotmac_isp.modules.identity import service
from dotmac_isp.modules.identity.models import Role
from dotmac_isp.modules.identity.permissions import BUILTIN_ROLES
from dotmac_isp.shared.db import Database
from tests.conftest import BACKENDS
from tests.support.postgres import scratch_database


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path, _postgres: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    server, reason = _postgres
    if server is None:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    with scratch_database(server) as url:
        yield url


def test_existing_tenants_get_the_field_roles(empty_url: str) -> None:
    url = empty_url
    db_migrate.upgrade(url, revision="0771")
    database = Database.from_url(url)
    with database.unit_of_work() as session:
        ids = []
        for slug in ("old-isp", "own-tech"):
            tenant = service.create_tenant(session, name=slug, slug=slug)
            ids.append(tenant.id)
            # as a tenant made before work orders existed
            session.execute(delete(Role).where(Role.tenant_id == tenant.id,
                                               Role.name == "technician"))
            for role in session.scalars(select(Role).where(Role.tenant_id == tenant.id)):
                role.permissions = [p for p in role.permissions if not p.startswith("field:")]
        session.add(Role(tenant_id=ids[1], name="technician", permissions=["tenant:read"],
                         description="ours", is_builtin=False))
    db_migrate.upgrade(url)
    with database.unit_of_work(write=False) as session:
        roles = {(r.tenant_id, r.name): r for r in session.scalars(select(Role))}
        old = ids[0]
        assert roles[(old, "technician")].is_builtin
        assert roles[(old, "technician")].permissions == sorted(
            BUILTIN_ROLES["technician"][1])
        assert {"field:read", "field:write", "field:dispatch"} <= set(
            roles[(old, "admin")].permissions)
        assert {"field:dispatch"} <= set(roles[(old, "support")].permissions)
        assert "field:read" in roles[(old, "read_only")].permissions
        assert "field:write" not in roles[(old, "read_only")].permissions
        assert "field:read" not in roles[(old, "billing")].permissions
        own = roles[(ids[1], "technician")]
        assert not own.is_builtin and own.permissions == ["tenant:read"]
    database.dispose()
