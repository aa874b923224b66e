"""Covering indexes for program-wide metrics: conversions by day with type, clicks and daily clicks by day.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_conversion_date", table_name="conversion")
    op.create_index("ix_conversion_date", "conversion", ["local_date", "status", "type", "affiliate_id", "net_amount"])
    op.create_index("ix_conversion_batch_id", "conversion", ["batch_id"])
    op.create_index("ix_click_date", "click", ["local_date", "affiliate_id"])
    op.create_index("ix_daily_clicks_day", "daily_clicks", ["day", "affiliate_id", "clicks"])


def downgrade() -> None:
    op.drop_index("ix_daily_clicks_day", table_name="daily_clicks")
    op.drop_index("ix_click_date", table_name="click")
    op.drop_index("ix_conversion_batch_id", table_name="conversion")
    op.drop_index("ix_conversion_date", table_name="conversion")
    op.create_index("ix_conversion_date", "conversion", ["local_date", "status", "affiliate_id", "net_amount"])
