"""payments keep the gateway's name for how they were paid (card, sepa_debit, ideal ...);
a tenant's own autopay retry schedule; saved cards' expiry and how autopay was agreed to

Revision ID: 0791
Revises: 0831
Create Date: 2026-12-19 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0791"
down_revision: str | None = "0831"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Plain ALTER TABLE with constant defaults: no table rewrite on PostgreSQL, and no SQLite
    # batch copy (which would drop indexes it cannot reflect).
    op.add_column("payments", sa.Column("method_type", sa.String(32), nullable=False,
                                        server_default=sa.text("''")))
    # NULL: the installation's DOTMAC_PAYMENTS__AUTOPAY_RETRY_DAYS
    op.add_column("billing_settings", sa.Column("autopay_retry_days", JSON, nullable=True))
    for name in ("card_exp_month", "card_exp_year"):
        op.add_column("payment_gateway_cards", sa.Column(name, sa.Integer(), nullable=True))
    # cards that have autopay on agreed in the portal, the only way there was
    op.add_column("payment_gateway_cards", sa.Column("autopay_consent_via", sa.String(16),
                                                     nullable=False, server_default=""))
    op.add_column("payment_gateway_cards", sa.Column("autopay_consent_text", sa.Text(),
                                                     nullable=False, server_default=""))
    op.execute("UPDATE payment_gateway_cards SET autopay_consent_via = 'portal' "
               "WHERE autopay_consent_at IS NOT NULL")
    with op.batch_alter_table("payment_gateway_cards") as batch:
        for name, type_ in (("autopay_consent_via", sa.String(16)),
                            ("autopay_consent_text", sa.Text())):
            batch.alter_column(name, existing_type=type_, server_default=None)


def downgrade() -> None:
    for name in ("autopay_consent_text", "autopay_consent_via", "card_exp_year",
                 "card_exp_month"):
        op.drop_column("payment_gateway_cards", name)
    op.drop_column("billing_settings", "autopay_retry_days")
    op.drop_column("payments", "method_type")
