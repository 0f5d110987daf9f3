"""Staff pages for IP address management: the prefix tree, a pool, the address search."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from dotmac_isp.modules.identity.auth import principal_for_user
from dotmac_isp.modules.identity.deps import CurrentAdmin, DbSession
from dotmac_isp.modules.identity.models import User
from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.network.ipam import history, pools, prefixes, utilization
from dotmac_isp.modules.network.ipam.enums import HolderType
from dotmac_isp.modules.network.ipam.repository import PoolRepository
from dotmac_isp.modules.services import service as services
from dotmac_isp.shared.errors import NotFound
from dotmac_isp.shared.pagination import PageParams
from dotmac_isp.web.templating import render

router = APIRouter(prefix="/admin/ipam", include_in_schema=False)
TREE_LIMIT = 5000
POOL_PAGE = 100


def _holders(session: DbSession, user: User, rows: Iterable[Any]) -> dict[Any, Any]:
    """The username and customer of each subscription holding (or having held) an address."""
    ids = [r.holder_id for r in rows
           if r.holder_type == HolderType.SUBSCRIPTION and r.holder_id is not None]
    return services.subscription_labels(session, user.tenant_id, ids)


def _refused(request: Request, user: User) -> HTMLResponse | None:
    if principal_for_user(user).has(Permission.NETWORK_READ):
        return None
    return render(request, "error.html", {
        "title": "Not allowed", "current_user": user,
        "message": f"IP address management needs the {Permission.NETWORK_READ} permission.",
    }, status_code=403)


@router.get("", response_class=HTMLResponse)
def tree_page(request: Request, session: DbSession, user: CurrentAdmin) -> HTMLResponse:
    """Every prefix, VRF by VRF, nested, with a utilization bar each."""
    refused = _refused(request, user)
    if refused is not None:
        return refused
    tenant_id = user.tenant_id
    sections: list[tuple[str, uuid.UUID | None]] = [("Global table", None)]
    sections += [(vrf.name, vrf.id) for vrf in
                 prefixes.list_vrfs(session, tenant_id, PageParams(limit=TREE_LIMIT)).items]
    trees = []
    for title, vrf_id in sections:
        page = prefixes.prefix_tree(session, tenant_id, PageParams(limit=TREE_LIMIT),
                                    vrf_id=vrf_id, all_vrfs=False)
        if page.items or vrf_id is None:
            trees.append({"title": title, "vrf_id": vrf_id, "nodes": page.items,
                          "total": page.total})
    alerts = utilization.list_alerts(session, tenant_id, PageParams(limit=20), open_only=True)
    return render(request, "ipam/tree.html", {"current_user": user, "trees": trees,
                                              "alerts": alerts.items})


@router.get("/pools/{pool_id}", response_class=HTMLResponse)
def pool_page(request: Request, pool_id: uuid.UUID, session: DbSession, user: CurrentAdmin,
              offset: int = Query(0, ge=0, le=10_000_000)) -> HTMLResponse:
    """One pool: its settings, utilization by status, and its allocations."""
    refused = _refused(request, user)
    if refused is not None:
        return refused
    pool = PoolRepository(session, user.tenant_id).find(pool_id)
    if pool is None:
        return render(request, "error.html", {"title": "Pool not found", "current_user": user,
                                              "message": NotFound("pool not found").detail},
                      status_code=404)
    usage = utilization.pool_utilization(session, user.tenant_id, pool)
    page = history.list_allocations(session, user.tenant_id,
                                    PageParams(limit=POOL_PAGE, offset=offset), pool_id=pool.id)
    prefix = prefixes.get_prefix(session, user.tenant_id, pool.prefix_id)
    alerts = utilization.list_alerts(session, user.tenant_id, PageParams(), open_only=True,
                                     pool_id=pool.id).items
    return render(request, "ipam/pool.html", {
        "current_user": user, "pool": pool, "prefix": prefix, "usage": usage,
        "allocations": page, "alerts": alerts, "page_size": POOL_PAGE,
        "holders": _holders(session, user, page.items)})


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, session: DbSession, user: CurrentAdmin,
                q: str = Query("", max_length=64)) -> HTMLResponse:
    """Find an address or prefix: what contains it, what holds it, who held it before.
    HTMX requests get the results fragment only."""
    refused = _refused(request, user)
    if refused is not None:
        return refused
    result = history.search(session, user.tenant_id, q)
    pool_names = {p.id: p.name for p in pools.list_pools(
        session, user.tenant_id, PageParams(limit=TREE_LIMIT)).items}
    context = {"current_user": user, "result": result, "pool_names": pool_names,
               "holders": _holders(session, user, [*result.allocations, *result.history])}
    if request.headers.get("hx-request") == "true":
        return render(request, "ipam/_search_results.html", context)
    return render(request, "ipam/search.html", context)
