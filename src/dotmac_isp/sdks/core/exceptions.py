"""SDK exceptions. Each is an AppError, so the API renders it with a clear status and message."""

from __future__ import annotations

from dotmac_isp.shared.errors import AppError


class SDKError(AppError):
    """An SDK operation failed."""

    status_code = 502
    code = "sdk_error"


class ConfigurationError(SDKError):
    """A component is not configured."""

    status_code = 503
    code = "not_configured"


class IPAMError(SDKError):
    """An address-management request cannot be satisfied."""

    status_code = 409
    code = "ipam_error"


class PoolExhaustedError(IPAMError):
    """The pool has no free address or prefix left."""

    code = "pool_exhausted"


class AddressConflictError(IPAMError):
    """The address or prefix is already in use or overlaps one that is."""

    code = "address_conflict"


class InvalidPrefixError(IPAMError):
    """The prefix or address is not valid here."""

    status_code = 422
    code = "invalid_prefix"


class RadiusError(SDKError):
    """A RADIUS exchange failed."""

    code = "radius_error"


class SNMPError(SDKError):
    """An SNMP request failed."""

    code = "snmp_error"


class PaymentGatewayError(SDKError):
    """The payment gateway refused or failed the request."""

    code = "payment_gateway_error"


class MailDeliveryError(SDKError):
    """The mail server did not accept the message."""

    code = "mail_delivery_failed"
