"""Payment gateways behind one interface. 'manual' records card payments taken elsewhere
(a terminal in the shop, the bank's own portal); real gateways plug in beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from dotmac_isp.sdks.core.exceptions import PaymentGatewayError


@dataclass(frozen=True)
class CardCharge:
    amount: Decimal
    currency: str
    reference: str  # the gateway's or terminal's transaction reference
    card_brand: str = ""
    card_last4: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class GatewayResult:
    approved: bool
    reference: str
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    name: str

    def charge(self, charge: CardCharge) -> GatewayResult: ...


class ManualGateway:
    """Card payments already taken outside the platform: nothing to call, only to record."""

    name = "manual"

    def charge(self, charge: CardCharge) -> GatewayResult:
        if not charge.reference.strip():
            raise PaymentGatewayError("a manual card payment needs the terminal's reference")
        return GatewayResult(approved=True, reference=charge.reference.strip(),
                             message="recorded manually",
                             raw={"brand": charge.card_brand, "last4": charge.card_last4})


_gateways: dict[str, PaymentGateway] = {"manual": ManualGateway()}


def register(gateway: PaymentGateway) -> None:
    _gateways[gateway.name] = gateway


def get(name: str) -> PaymentGateway:
    try:
        return _gateways[name]
    except KeyError:
        raise PaymentGatewayError(f"unknown payment gateway {name!r}; known: "
                                  f"{', '.join(sorted(_gateways))}") from None
