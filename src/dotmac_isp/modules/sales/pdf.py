"""The quote as a PDF, laid out like the tenant's invoices (fpdf2)."""

from __future__ import annotations

from decimal import Decimal

from dotmac_isp.modules.billing.pdf import Document, Issuer, Party
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.modules.sales.models import Lead, Quote, QuoteLine
from dotmac_isp.shared.money import format_amount


def _money(value: Decimal, currency: str) -> str:
    return f"{format_amount(value)} {currency}"


def _row(line: QuoteLine) -> list[str]:
    what = line.description
    if line.kind == "plan" and line.term_months:
        what += f" ({line.term_months}-month term)"
    return [what[:70], str(line.quantity), format_amount(line.net_amount),
            format_amount(line.tax_amount), format_amount(line.gross_amount)]


def quote_pdf(tenant: Tenant, quote: Quote, lead: Lead, lines: list[QuoteLine],
              terms: str, issuer: Issuer | None = None) -> bytes:
    doc = Document(tenant, "QUOTE", issuer)
    party = Party(lead.name, [v for v in (lead.address_text(), lead.email, lead.phone) if v])
    doc.facts([("Quote number", quote.number), ("Valid until", str(quote.valid_until)),
               ("Currency", quote.currency),
               ("Prices", "include tax" if quote.prices_include_tax else "before tax")], party)
    widths: list[float] = [100, 14, 25, 20, 27]
    head = ["Description", "Qty", "Net", "Tax", "Total"]
    monthly = [ln for ln in lines if ln.kind == "plan"]
    once = [ln for ln in lines if ln.kind != "plan"]
    if monthly:
        doc.font(11, bold=True)
        doc.cell(0, 8, "Every month", new_x="LMARGIN", new_y="NEXT")
        doc.grid(head, widths, [_row(ln) for ln in monthly])
        doc.ln(2)
        doc.total_row("Monthly subtotal", _money(quote.monthly_subtotal, quote.currency))
        doc.total_row("Monthly tax", _money(quote.monthly_tax, quote.currency))
        doc.total_row("Monthly total", _money(quote.monthly_total, quote.currency), bold=True)
        doc.ln(3)
    if once:
        doc.font(11, bold=True)
        doc.cell(0, 8, "Once, on the first invoice", new_x="LMARGIN", new_y="NEXT")
        doc.grid(head, widths, [_row(ln) for ln in once])
        doc.ln(2)
        doc.total_row("One-off subtotal", _money(quote.one_off_subtotal, quote.currency))
        doc.total_row("One-off tax", _money(quote.one_off_tax, quote.currency))
        doc.total_row("One-off total", _money(quote.one_off_total, quote.currency), bold=True)
    for title, text in (("Notes", quote.notes), ("Terms", terms)):
        if text:
            doc.ln(4)
            doc.font(10, bold=True)
            doc.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
            doc.font(9)
            doc.multi_cell(0, 5, doc.text_(text))
    return bytes(doc.output())
