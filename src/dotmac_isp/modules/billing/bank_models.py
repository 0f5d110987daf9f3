"""Lines of imported bank statements, kept so each is matched (or set aside) once."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dotmac_isp.shared.db import Audited, Base, TenantOwned, Timestamps, UUIDPrimaryKey
from dotmac_isp.shared.money import MoneyColumn


class BankStatementLine(UUIDPrimaryKey, Timestamps, TenantOwned, Audited, Base):
    """One booking of a bank statement. The fingerprint (date, amount, currency, reference
    and its occurrence in the file) makes importing the same statement again a no-op."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "fingerprint"),
        Index("ix_bank_statement_lines_status", "tenant_id", "status", "booked_date"),
    )

    import_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    line_number: Mapped[int] = mapped_column(Integer)  # in the uploaded file, header is 1
    booked_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)  # negative: money out
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(300), default="")
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="unmatched")
    matched_by: Mapped[str] = mapped_column(String(16), default="")  # invoice, customer, manual
    note: Mapped[str] = mapped_column(String(300), default="")  # why it is unmatched/ignored
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("customers.id", ondelete="SET NULL"), nullable=True, index=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id", ondelete="SET NULL"), nullable=True)
