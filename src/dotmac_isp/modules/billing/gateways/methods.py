"""How a gateway payment was paid, as billing records it: a card payment keeps the card's
brand and last four; any other means (SEPA debit, iDEAL, Link ...) is an online payment with
the gateway's name for the means and the account's last four digits when it gives them."""

from __future__ import annotations

import re
from typing import Any

from dotmac_isp.modules.billing.enums import PaymentMethod
from dotmac_isp.sdks.payments import SettledPayment


def recorded_as(settled: SettledPayment, card_last4: str = "") -> dict[str, Any]:
    """PaymentInput fields for the way `settled` was paid (`card_last4`: the saved card's,
    for a card charge whose details the gateway left out)."""
    if settled.method_type in ("", "card"):
        return {"method": PaymentMethod.CARD, "card_brand": settled.card_brand,
                "card_last4": settled.card_last4 or card_last4, "method_type": "card"}
    last4 = settled.card_last4 if re.fullmatch(r"\d{4}", settled.card_last4) else ""
    return {"method": PaymentMethod.ONLINE, "card_brand": "", "card_last4": last4,
            "method_type": settled.method_type}
