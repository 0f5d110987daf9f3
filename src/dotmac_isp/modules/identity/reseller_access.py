"""What a reseller's staff may reach: their role's permissions capped to the customer-facing
areas, and within those only the routes about customers and what belongs to them. Tenant-wide
configuration (plans, tax rates, billing runs, SLA policies, settings, resellers) stays with the
tenant's own staff. An allow-list, so a route added later is closed to reseller staff until it
is opened here.

Hotspot: hotspot:read stays in the cap (no permission of its own) and the allow-list opens
only the batch and voucher reads (lists, details, cards PDF, CSV; GET only, so read-only
whatever the role holds); the row scope shows only the batches sold to the reseller and
their vouchers. Voucher plans, sites, selling and revoking stay with the tenant's staff, and
hotspot:write is capped away."""

from __future__ import annotations

from fastapi import Request

from dotmac_isp.modules.identity.permissions import Permission
from dotmac_isp.modules.identity.principal import Principal
from dotmac_isp.shared.errors import Forbidden

P = Permission
RESELLER_PERMISSIONS: frozenset[str] = frozenset({
    P.CUSTOMERS_READ, P.CUSTOMERS_WRITE, P.SERVICES_READ, P.SERVICES_WRITE,
    P.BILLING_READ, P.BILLING_WRITE, P.SUPPORT_READ, P.SUPPORT_WRITE, P.HOTSPOT_READ})
ANY = "*"
# (method or ANY, route path prefix); a prefix matches itself and what follows a "/".
ALLOWED: tuple[tuple[str, str], ...] = (
    (ANY, "/api/v1/auth"),
    (ANY, "/api/v1/customers"),
    ("GET", "/api/v1/plans"),
    ("GET", "/api/v1/plan-addons"),
    (ANY, "/api/v1/subscriptions"),
    (ANY, "/api/v1/invoices"),
    (ANY, "/api/v1/credit-notes"),
    (ANY, "/api/v1/payments"),
    (ANY, "/api/v1/support/tickets"),
    (ANY, "/api/v1/support/attachments"),
    (ANY, "/admin/customers"),
    (ANY, "/admin/subscriptions"),
    ("GET", "/admin/plans"),
    (ANY, "/admin/invoices"),
    (ANY, "/admin/credit-notes"),
    (ANY, "/admin/payments"),
    (ANY, "/admin/support/tickets"),
    (ANY, "/admin/support/attachments"),
    ("GET", "/admin/search"),
    ("GET", "/api/v1/hotspot/batches"),
    ("GET", "/api/v1/hotspot/vouchers"),
    ("GET", "/admin/hotspot/batches"),
    ("GET", "/admin/hotspot/vouchers"),
)
EXACT: frozenset[tuple[str, str]] = frozenset({("GET", "/admin")})  # the dashboard
REFUSED = "this is not available to reseller staff"


def capped(permissions: frozenset[str]) -> frozenset[str]:
    return permissions & RESELLER_PERMISSIONS


def allows(method: str, path: str) -> bool:
    if (method, path) in EXACT:
        return True
    return any(allowed in (ANY, method)
               and (path == prefix or path.startswith(prefix + "/"))
               for allowed, prefix in ALLOWED)


def check(request: Request, principal: Principal) -> None:
    """Refuse a reseller's staff a route outside their part of the tenant."""
    if principal.reseller_id is None:
        return
    # The path as requested: every allowed prefix is fixed words, which no parameter fills.
    if not allows(request.method, request.url.path.rstrip("/") or "/"):
        raise Forbidden(REFUSED)
