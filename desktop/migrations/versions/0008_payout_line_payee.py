"""Payout lines keep the affiliate's code, name and payee email as they were when the sheet was approved.

A paid sheet's exports (payout CSV and XLSX, PayPal file) used to read them from the affiliate as it is now: a
new payee email made the record say the money went to an address that was never paid. Sheets approved before
this revision get today's values, the best there is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = (("affiliate_code", 64), ("affiliate_name", 200), ("payee_email", 254))


def upgrade() -> None:
    with op.batch_alter_table("payout_line") as batch:
        for name, length in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))
    op.execute(
        """
        UPDATE payout_line SET
            affiliate_code = (SELECT code FROM affiliate WHERE affiliate.id = payout_line.affiliate_id),
            affiliate_name = (SELECT name FROM affiliate WHERE affiliate.id = payout_line.affiliate_id),
            payee_email = (SELECT TRIM(COALESCE(NULLIF(TRIM(payee_email), ''), email, ''))
                           FROM affiliate WHERE affiliate.id = payout_line.affiliate_id)
        WHERE sheet_id IN (SELECT id FROM payout_sheet WHERE state != 'draft')
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("payout_line") as batch:
        for name, _length in reversed(_COLUMNS):
            batch.drop_column(name)
