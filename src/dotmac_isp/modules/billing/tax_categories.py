"""The tax categories e-invoices carry (UNCL5305, as EN 16931 uses them): one for each tax
rate, and one for lines that carry no tax. Exempt, reverse-charge, intra-community, export
and out-of-scope categories (E, AE, K, G, O) name why no tax is charged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dotmac_isp.modules.billing import setup
from dotmac_isp.modules.billing.einvoice.document import NEEDS_REASON
from dotmac_isp.shared.errors import ValidationFailed

CODES = {"S": "standard rate", "Z": "zero rated", "E": "exempt", "AE": "reverse charge",
         "K": "intra-community supply", "G": "export outside the EU",
         "O": "outside the scope of tax", "L": "Canary Islands IGIC", "M": "Ceuta and Melilla IPSI"}
MAX_REASON = 300


@dataclass(frozen=True)
class Category:
    code: str
    reason: str = ""


def problems(category: Category) -> dict[str, str]:
    """What is wrong with a category, by part ("code", "reason"); empty: nothing."""
    found: dict[str, str] = {}
    if category.code not in CODES:
        found["code"] = f"{category.code!r} is not one of {', '.join(CODES)}"
    elif category.code in NEEDS_REASON and not category.reason.strip():
        found["reason"] = (f"required for category {category.code} "
                           f"({CODES[category.code]}): say why no tax is charged")
    if len(category.reason) > MAX_REASON:
        found["reason"] = f"at most {MAX_REASON} characters"
    return found


def save(session: Session, tenant_id: uuid.UUID, rates: dict[uuid.UUID, Category],
         untaxed: Category) -> None:
    """Keep every rate's category and the untaxed lines' one; all are checked first, and a
    refused one changes nothing."""
    for category in (*rates.values(), untaxed):
        wrong = problems(category)
        if wrong:
            raise ValidationFailed("; ".join(wrong.values()))
    for rate_id, category in rates.items():
        setup.update_tax_rate(session, tenant_id, rate_id, {
            "category_code": category.code,
            "exemption_reason": category.reason.strip() if category.code in NEEDS_REASON
            else ""})
    setup.update_settings(session, tenant_id, {
        "untaxed_category": untaxed.code,
        "untaxed_exemption_reason": untaxed.reason.strip()})
