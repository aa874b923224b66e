"""Conversions: index visitor ids and paid sheets only where they are set (most orders have neither).

A million-order import spent a tenth of its insert time putting NULL keys into these two indexes; the queries
that use them always look for a value (visitor_id = ?, paid_sheet_id = ?), which a partial index answers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_conversion_visitor", table_name="conversion")
    op.drop_index("ix_conversion_paid_sheet_id", table_name="conversion")
    visitor = sa.text("visitor_id IS NOT NULL")
    paid = sa.text("paid_sheet_id IS NOT NULL")
    op.create_index("ix_conversion_visitor", "conversion", ["visitor_id"], sqlite_where=visitor,
                    postgresql_where=visitor)  # fmt: skip
    op.create_index("ix_conversion_paid_sheet_id", "conversion", ["paid_sheet_id"], sqlite_where=paid,
                    postgresql_where=paid)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_conversion_paid_sheet_id", table_name="conversion")
    op.drop_index("ix_conversion_visitor", table_name="conversion")
    op.create_index("ix_conversion_paid_sheet_id", "conversion", ["paid_sheet_id"])
    op.create_index("ix_conversion_visitor", "conversion", ["visitor_id"])
