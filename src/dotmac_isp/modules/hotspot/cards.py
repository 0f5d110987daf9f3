"""A batch printed as a sheet of voucher cards (fpdf2, as the invoices are): ten cards an A4
page, each with the tenant's name and logo, the plan, its price and the code."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from fpdf import FPDF

from dotmac_isp.modules.hotspot.models import Voucher, VoucherBatch, VoucherPlan
from dotmac_isp.modules.hotspot.schemas import price_text

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]
COLUMNS, ROWS = 2, 5
CARD_W, CARD_H = 90.0, 52.0
GAP = 4.0


def duration(seconds: int) -> str:
    """3600 -> '1 h', 5400 -> '1 h 30 min', 172800 -> '2 days'."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} day{'s' if days != 1 else ''}" if days else "",
             f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or f"{seconds} s"


def volume(octets: int) -> str:
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if octets >= size:
            return f"{octets / size:.3g} {unit}"
    return f"{octets} bytes"


def allowance(plan: VoucherPlan) -> str:
    """What the plan gives, in a line: '1 h, 5 GB, valid 1 day from first login'."""
    parts = []
    if plan.time_allowance_seconds:
        parts.append(duration(plan.time_allowance_seconds))
    if plan.data_allowance_bytes:
        parts.append(volume(plan.data_allowance_bytes))
    if plan.validity_seconds:
        parts.append(f"valid {duration(plan.validity_seconds)} from first login")
    if plan.devices > 1:
        parts.append(f"{plan.devices} devices")
    return ", ".join(parts)


class _Sheet(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = False
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("Body", "", str(regular))
                self.add_font("Body", "B", str(bold))
                self.unicode = True
                break
        self.set_auto_page_break(auto=False)
        self.set_margins(12, 12)

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font("Body" if self.unicode else "Helvetica", "B" if bold else "", size)

    def text_(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")


def cards_pdf(tenant_name: str, batch: VoucherBatch, plan: VoucherPlan, vouchers: list[Voucher],
              logo: bytes | None = None) -> bytes:
    """The batch's cards, in code order."""
    sheet = _Sheet()
    sheet.set_title(f"Vouchers {batch.name}")
    sheet.set_author(tenant_name)
    per_page = COLUMNS * ROWS
    for index, voucher in enumerate(vouchers):
        if index % per_page == 0:
            sheet.add_page()
        slot = index % per_page
        x = sheet.l_margin + (slot % COLUMNS) * (CARD_W + GAP)
        y = sheet.t_margin + (slot // COLUMNS) * (CARD_H + GAP)
        _card(sheet, x, y, tenant_name, plan, voucher, logo)
    if not vouchers:
        sheet.add_page()
    return bytes(sheet.output())


def _card(sheet: _Sheet, x: float, y: float, tenant_name: str, plan: VoucherPlan,
          voucher: Voucher, logo: bytes | None) -> None:
    sheet.set_draw_color(160, 160, 160)
    sheet.set_line_width(0.2)
    sheet.rect(x, y, CARD_W, CARD_H)
    inner = CARD_W - 8
    if logo:
        sheet.image(BytesIO(logo), x=x + CARD_W - 26, y=y + 3, w=22, h=10,
                    keep_aspect_ratio=True)
    sheet.set_xy(x + 4, y + 4)
    sheet.font(11, bold=True)
    sheet.cell(inner - 24, 6, sheet.text_(tenant_name[:40]))
    sheet.set_xy(x + 4, y + 11)
    sheet.font(9)
    sheet.cell(inner, 5, sheet.text_(f"{plan.name[:45]}  ·  {price_text(plan.price, plan.currency)}"
                                     if sheet.unicode else
                                     f"{plan.name[:45]} - {price_text(plan.price, plan.currency)}"))
    sheet.set_xy(x + 4, y + 16)
    sheet.font(7.5)
    sheet.multi_cell(inner, 3.6, sheet.text_(allowance(plan)[:160]))
    sheet.set_xy(x + 4, y + 26)
    sheet.font(7.5)
    sheet.cell(inner, 4, "Voucher code")
    sheet.set_xy(x + 4, y + 31)
    sheet.set_font("Courier", "B", 17)
    # printed whole, as typed: MikroTik's own login page sends what is typed
    sheet.cell(inner, 9, voucher.code, align="C", border=1)
    sheet.set_xy(x + 4, y + 43)
    sheet.font(6.5)
    sheet.set_text_color(90, 90, 90)
    sheet.cell(inner, 4, sheet.text_("Connect to the Wi-Fi, open any page and enter the code."))
    sheet.set_text_color(0, 0, 0)
