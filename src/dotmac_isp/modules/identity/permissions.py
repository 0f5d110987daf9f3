"""Permissions and the built-in roles every tenant starts with."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    TENANT_READ = "tenant:read"
    TENANT_WRITE = "tenant:write"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    ROLES_READ = "roles:read"
    ROLES_WRITE = "roles:write"
    API_KEYS_READ = "api_keys:read"
    API_KEYS_WRITE = "api_keys:write"
    AUDIT_READ = "audit:read"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    SERVICES_READ = "services:read"
    SERVICES_WRITE = "services:write"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"
    NETWORK_READ = "network:read"
    NETWORK_WRITE = "network:write"
    SUPPORT_READ = "support:read"
    SUPPORT_WRITE = "support:write"
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    HOTSPOT_READ = "hotspot:read"
    HOTSPOT_WRITE = "hotspot:write"
    MAP_READ = "map:read"
    MAP_WRITE = "map:write"
    FIELD_READ = "field:read"
    FIELD_WRITE = "field:write"
    FIELD_DISPATCH = "field:dispatch"  # assign work orders to technicians and schedule them
    RESELLERS_READ = "resellers:read"
    RESELLERS_WRITE = "resellers:write"
    SALES_READ = "sales:read"
    SALES_WRITE = "sales:write"  # leads, quotes, and turning an accepted quote into a customer


ALL_PERMISSIONS: frozenset[str] = frozenset(p.value for p in Permission)
READ_PERMISSIONS: frozenset[str] = frozenset(p for p in ALL_PERMISSIONS if p.endswith(":read"))

P = Permission
BUILTIN_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "admin": ("Owner / administrator: everything", ALL_PERMISSIONS),
    "billing": (
        "Billing clerk: invoices, payments, customer accounts",
        frozenset({P.TENANT_READ, P.CUSTOMERS_READ, P.CUSTOMERS_WRITE, P.SERVICES_READ,
                   P.BILLING_READ, P.BILLING_WRITE, P.SUPPORT_READ}),
    ),
    "support": (
        "Support agent: tickets, customers, subscriber status",
        frozenset({P.TENANT_READ, P.CUSTOMERS_READ, P.CUSTOMERS_WRITE, P.SERVICES_READ,
                   P.BILLING_READ, P.NETWORK_READ, P.SUPPORT_READ, P.SUPPORT_WRITE,
                   P.INVENTORY_READ, P.MAP_READ, P.FIELD_READ, P.FIELD_WRITE, P.FIELD_DISPATCH,
                   P.SALES_READ}),
    ),
    "network_engineer": (
        "Network engineer: RADIUS, IPAM, devices, subscriptions",
        frozenset({P.TENANT_READ, P.CUSTOMERS_READ, P.SERVICES_READ, P.SERVICES_WRITE,
                   P.NETWORK_READ, P.NETWORK_WRITE, P.SUPPORT_READ, P.INVENTORY_READ,
                   P.INVENTORY_WRITE, P.MAP_READ, P.MAP_WRITE, P.FIELD_READ}),
    ),
    # Works the jobs assigned to them: holding field:write without field:dispatch limits
    # what they see of work orders to their own (modules/field/access.py).
    "technician": (
        "Field technician: their own work orders, the customers they visit",
        frozenset({P.TENANT_READ, P.CUSTOMERS_READ, P.SERVICES_READ, P.FIELD_READ,
                   P.FIELD_WRITE}),
    ),
    # Works leads and quotes; converting an accepted quote makes the customer, its pending
    # services and the installation work order without customers:write or services:write.
    "sales": (
        "Sales: leads, quotes, coverage checks, converting accepted quotes",
        frozenset({P.TENANT_READ, P.CUSTOMERS_READ, P.SERVICES_READ, P.MAP_READ, P.FIELD_READ,
                   P.SALES_READ, P.SALES_WRITE}),
    ),
    "read_only": ("Read-only: can look at everything, change nothing", READ_PERMISSIONS),
}


def unknown_permissions(perms: list[str] | set[str] | frozenset[str]) -> list[str]:
    return sorted(set(perms) - ALL_PERMISSIONS)
