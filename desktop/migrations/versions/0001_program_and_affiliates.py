"""Program settings and affiliates.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("cookie_days", sa.Integer(), nullable=False),
        sa.Column("attribution", sa.String(20), nullable=False),
        sa.Column("coupon_priority", sa.Boolean(), nullable=False),
        sa.Column("payout_threshold", sa.BigInteger(), nullable=False),
        sa.Column("hold_days", sa.Integer(), nullable=False),
        sa.Column("north_star_metric", sa.String(20), nullable=False),
        sa.Column("north_star_target", sa.BigInteger(), nullable=False),
        sa.Column("configured", sa.Boolean(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_program_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_program"),
    )
    op.create_table(
        "affiliate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_affiliate"),
        sa.UniqueConstraint("code", name="uq_affiliate_code"),
    )
    op.create_index("ix_affiliate_status", "affiliate", ["status"])


def downgrade() -> None:
    op.drop_index("ix_affiliate_status", table_name="affiliate")
    op.drop_table("affiliate")
    op.drop_table("program")
