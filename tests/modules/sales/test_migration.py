"""Upgrading an existing installation: its tenants' built-in roles gain the sales
permissions and each tenant gets the built-in sales role (a tenant's own role of that name
is left alone)."""

from __future__ import annotations

from sqlalchemy import delete, select

from dotmac_isp import db_migrate
from dotmac_isp.modules.identity import service
from dotmac_isp.modules.identity.models import Role
from dotmac_isp.modules.identity.permissions import BUILTIN_ROLES
from dotmac_isp.shared.db import Database
from tests.modules.field.test_migration import empty_url  # noqa: F401  (the fixture)


def test_existing_tenants_get_the_sales_role(empty_url: str) -> None:  # noqa: F811
    db_migrate.upgrade(empty_url, revision="0871")
    database = Database.from_url(empty_url)
    with database.unit_of_work() as session:
        ids = []
        for slug in ("old-isp", "own-sales"):
            tenant = service.create_tenant(session, name=slug, slug=slug)
            ids.append(tenant.id)
            # as a tenant made before the sales module existed
            session.execute(delete(Role).where(Role.tenant_id == tenant.id,
                                               Role.name == "sales"))
            for role in session.scalars(select(Role).where(Role.tenant_id == tenant.id)):
                role.permissions = [p for p in role.permissions if not p.startswith("sales:")]
        session.add(Role(tenant_id=ids[1], name="sales", permissions=["tenant:read"],
                         description="ours", is_builtin=False))
    db_migrate.upgrade(empty_url)
    with database.unit_of_work(write=False) as session:
        roles = {(r.tenant_id, r.name): r for r in session.scalars(select(Role))}
        old = ids[0]
        assert roles[(old, "sales")].is_builtin
        assert roles[(old, "sales")].permissions == sorted(BUILTIN_ROLES["sales"][1])
        assert {"sales:read", "sales:write"} <= set(roles[(old, "admin")].permissions)
        assert "sales:read" in roles[(old, "read_only")].permissions
        assert "sales:read" in roles[(old, "support")].permissions
        assert "sales:write" not in roles[(old, "support")].permissions
        assert "sales:read" not in roles[(old, "billing")].permissions
        own = roles[(ids[1], "sales")]
        assert not own.is_builtin and own.permissions == ["tenant:read"]
    database.dispose()
