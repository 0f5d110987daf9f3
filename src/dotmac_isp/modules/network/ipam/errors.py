"""IPAM failures. Each extends the SDK's IPAMError family, so the API renders a clear 4xx."""

from __future__ import annotations

from dotmac_isp.sdks.core.exceptions import (
    AddressConflictError,
    InvalidPrefixError,
    IPAMError,
    PoolExhaustedError,
)

__all__ = [
    "AddressConflictError",
    "AddressNotAssignableError",
    "AddressOutsidePoolError",
    "DuplicatePrefixError",
    "IPAMError",
    "InvalidPrefixError",
    "PoolExhaustedError",
    "PoolNotActiveError",
    "PrefixInUseError",
    "PrefixOverlapError",
]


class DuplicatePrefixError(AddressConflictError):
    """The prefix already exists in this VRF."""

    code = "duplicate_prefix"


class PrefixOverlapError(AddressConflictError):
    """The prefix overlaps a pool's prefix; pools are leaves and cannot be subdivided."""

    code = "prefix_overlap"


class PrefixInUseError(IPAMError):
    """The prefix (or VRF, or pool) still has things depending on it."""

    code = "prefix_in_use"


class AddressOutsidePoolError(InvalidPrefixError):
    """The address or prefix does not lie in the pool."""

    code = "address_outside_pool"


class AddressNotAssignableError(InvalidPrefixError):
    """The address is held back by the rules (network, broadcast, subnet-router anycast)."""

    code = "address_not_assignable"


class PoolNotActiveError(IPAMError):
    """The pool's prefix is not active, so nothing new is handed out from it."""

    code = "pool_not_active"
