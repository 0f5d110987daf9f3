"""Invoice, credit-note-aware and receipt PDFs (fpdf2), laid out like a paper invoice."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from fpdf import FPDF

from dotmac_isp.modules.billing.models import Invoice, Payment, Receipt
from dotmac_isp.modules.customers.models import Customer
from dotmac_isp.modules.identity.models import Tenant
from dotmac_isp.shared.money import format_amount

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]


@dataclass(frozen=True)
class Party:
    name: str
    lines: list[str]


def bill_to(customer: Customer) -> Party:
    billing = next((a for a in customer.addresses if a.kind == "billing"),
                   customer.addresses[0] if customer.addresses else None)
    lines = [f"Account {customer.number}"]
    if billing is not None:
        lines.append(billing.one_line())
    if customer.tax_id:
        lines.append(f"Tax id {customer.tax_id}")
    if customer.email:
        lines.append(customer.email)
    return Party(customer.display_name, lines)


@dataclass(frozen=True)
class Issuer:
    """The company block under the tenant's name: address, tax id, contact, logo."""

    lines: list[str] = field(default_factory=list)
    logo: bytes | None = None


class _Document(FPDF):
    def __init__(self, tenant: Tenant, title: str, issuer: Issuer | None = None):
        super().__init__(format="A4")
        self.unicode = self._load_fonts()
        self.set_auto_page_break(auto=True, margin=18)
        self.tenant_name, self.title_text = tenant.name, title
        self.issuer = issuer or Issuer()
        self.set_title(title)
        self.set_author(tenant.name)
        self.add_page()

    def _load_fonts(self) -> bool:
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("Body", "", str(regular))
                self.add_font("Body", "B", str(bold))
                return True
        return False

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font("Body" if self.unicode else "Helvetica", "B" if bold else "", size)

    def text_(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        if self.issuer.logo:
            self.image(BytesIO(self.issuer.logo), x=self.w - self.r_margin - 40, y=8, h=16,
                       keep_aspect_ratio=True, w=40)
        self.font(16, bold=True)
        self.cell(0, 9, self.text_(self.tenant_name), new_x="LMARGIN", new_y="NEXT")
        if self.issuer.lines:
            self.font(8)
            for line in self.issuer.lines:
                self.cell(0, 4, self.text_(line), new_x="LMARGIN", new_y="NEXT")
        self.font(22, bold=True)
        self.set_text_color(11, 92, 173)
        self.cell(0, 12, self.title_text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"Page {self.page_no()}", align="R")

    def facts(self, rows: list[tuple[str, str]], party: Party | None) -> None:
        top = self.get_y()
        self.font(10)
        for label, value in rows:
            self.set_x(self.l_margin)
            self.font(10, bold=True)
            self.cell(38, 6, label)
            self.font(10)
            self.cell(60, 6, self.text_(value), new_x="LMARGIN", new_y="NEXT")
        bottom = self.get_y()
        if party is not None:
            self.set_xy(120, top)
            self.font(10, bold=True)
            self.cell(0, 6, "Bill to", new_x="LEFT", new_y="NEXT")
            self.font(11, bold=True)
            self.multi_cell(75, 6, self.text_(party.name), new_x="LEFT", new_y="NEXT")
            self.font(9)
            for line in party.lines:
                self.multi_cell(75, 5, self.text_(line), new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, self.get_y())
        self.set_y(bottom + 6)

    def grid(self, head: list[str], widths: list[float], rows: list[list[str]]) -> None:
        self.font(9, bold=True)
        self.set_fill_color(238, 243, 248)
        aligns = ["L"] + ["R"] * (len(head) - 1)
        for text, width, align in zip(head, widths, aligns, strict=True):
            self.cell(width, 7, text, border="B", align=align, fill=True)
        self.ln()
        self.font(9)
        for row in rows:
            for text, width, align in zip(row, widths, aligns, strict=True):
                self.cell(width, 6.5, self.text_(text), border="B", align=align)
            self.ln()

    def total_row(self, label: str, value: str, bold: bool = False) -> None:
        self.font(10, bold=bold)
        self.set_x(110)
        self.cell(50, 7, label, align="R")
        self.cell(30, 7, value, align="R", new_x="LMARGIN", new_y="NEXT")


# The page layout (header with the company block, facts, grid, totals) other documents share.
Document = _Document


def _money(value: Decimal, currency: str) -> str:
    return f"{format_amount(value)} {currency}"


def invoice_pdf(tenant: Tenant, invoice: Invoice, customer: Customer,
                issuer: Issuer | None = None) -> bytes:
    status = {"paid": "PAID", "void": "VOID (credited)"}.get(invoice.status, "")
    doc = _Document(tenant, f"INVOICE {status}".strip() if invoice.number else "DRAFT INVOICE",
                    issuer)
    doc.facts([("Invoice number", invoice.number or "draft"),
               ("Issue date", f"{invoice.issue_date or '-'}"),
               ("Due date", f"{invoice.due_date or '-'}"),
               ("Currency", invoice.currency)], bill_to(customer))
    rows = [[line.description, format_amount(line.quantity).rstrip("0").rstrip("."),
             format_amount(line.net_amount), format_amount(line.tax_amount),
             format_amount(line.gross_amount)] for line in invoice.lines]
    doc.grid(["Description", "Qty", "Net", "Tax", "Total"], [100, 14, 25, 20, 27], rows)
    doc.ln(3)
    doc.total_row("Subtotal", _money(invoice.subtotal, invoice.currency))
    for tax in invoice.tax_summary:
        doc.total_row(f"{tax['name']} {tax['rate']}%", _money(Decimal(tax["amount"]),
                                                             invoice.currency))
    doc.total_row("Total", _money(invoice.total, invoice.currency), bold=True)
    if invoice.amount_paid:
        doc.total_row("Paid", _money(invoice.amount_paid, invoice.currency))
    if invoice.amount_credited:
        doc.total_row("Credited", _money(invoice.amount_credited, invoice.currency))
    doc.total_row("Balance due", _money(invoice.balance_due, invoice.currency), bold=True)
    if invoice.notes:
        doc.ln(4)
        doc.font(9)
        doc.multi_cell(0, 5, doc.text_(invoice.notes))
    return bytes(doc.output())


def receipt_pdf(tenant: Tenant, receipt: Receipt, payment: Payment, customer: Customer,
                allocations: list[tuple[str, Decimal]], issuer: Issuer | None = None) -> bytes:
    doc = _Document(tenant, "RECEIPT", issuer)
    method = payment.method_label
    doc.facts([("Receipt number", receipt.number), ("Payment", payment.number),
               ("Received on", str(payment.received_on)), ("Method", method),
               ("Reference", payment.reference or "-")], bill_to(customer))
    doc.grid(["Applied to invoice", "Amount"], [150, 36],
              [[number, _money(amount, payment.currency)] for number, amount in allocations]
              or [["held as credit on the account", _money(payment.amount, payment.currency)]])
    doc.ln(3)
    doc.total_row("Amount received", _money(payment.amount, payment.currency), bold=True)
    if payment.unallocated:
        doc.total_row("Credit on account", _money(payment.unallocated, payment.currency))
    return bytes(doc.output())
