"""conversions clicks payouts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:49:53.204278
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "column_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("mapping_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_mapping")),
        sa.UniqueConstraint("name", name=op.f("uq_column_mapping_name")),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("preset", sa.String(length=30), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_table(
        "payout_sheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("built_by", sa.String(length=100), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("paid_reference", sa.String(length=200), nullable=True),
        sa.Column("settings_json", sa.Text(), nullable=False),
        sa.Column("changes_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_sheet")),
        sa.UniqueConstraint("period", name=op.f("uq_payout_sheet_period")),
    )
    op.create_table(
        "click",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clicked_at", sa.DateTime(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.String(length=100), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("landing_url", sa.String(length=1000), nullable=True),
        sa.Column("referrer", sa.String(length=1000), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_click_affiliate_id_affiliate"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_click_batch_id_import_batch"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_click")),
        sa.UniqueConstraint(
            "affiliate_id", "clicked_at", "visitor_id", name="uq_click_affiliate_id_clicked_at_visitor"
        ),
    )
    with op.batch_alter_table("click", schema=None) as batch_op:
        batch_op.create_index("ix_click_affiliate_date", ["affiliate_id", "local_date"], unique=False)
        batch_op.create_index("ix_click_visitor_time", ["visitor_id", "clicked_at"], unique=False)

    op.create_table(
        "conversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("net_amount", sa.BigInteger(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=True),
        sa.Column("attribution", sa.String(length=10), nullable=False),
        sa.Column("attribution_detail", sa.Text(), nullable=True),
        sa.Column("coupon_code", sa.String(length=64), nullable=True),
        sa.Column("referral_code", sa.String(length=64), nullable=True),
        sa.Column("visitor_id", sa.String(length=100), nullable=True),
        sa.Column("customer_email", sa.String(length=254), nullable=True),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("paid_sheet_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_conversion_affiliate_id_affiliate"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_conversion_batch_id_import_batch"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["paid_sheet_id"],
            ["payout_sheet.id"],
            name=op.f("fk_conversion_paid_sheet_id_payout_sheet"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion")),
        sa.UniqueConstraint("order_id", name=op.f("uq_conversion_order_id")),
    )
    with op.batch_alter_table("conversion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversion_affiliate_date", ["affiliate_id", "local_date", "status", "type", "net_amount"], unique=False
        )
        batch_op.create_index(
            "ix_conversion_date", ["local_date", "status", "affiliate_id", "net_amount"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversion_paid_sheet_id"), ["paid_sheet_id"], unique=False)
        batch_op.create_index("ix_conversion_visitor", ["visitor_id"], unique=False)

    op.create_table(
        "daily_clicks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_daily_clicks_affiliate_id_affiliate"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_daily_clicks_batch_id_import_batch"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_clicks")),
        sa.UniqueConstraint("affiliate_id", "day", name="uq_daily_clicks_affiliate_id_day"),
    )
    op.create_table(
        "payout_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), nullable=True),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("sales_revenue", sa.BigInteger(), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.Column("signups", sa.Integer(), nullable=False),
        sa.Column("commission", sa.BigInteger(), nullable=False),
        sa.Column("over_cap", sa.BigInteger(), nullable=False),
        sa.Column("bonuses", sa.BigInteger(), nullable=False),
        sa.Column("adjustments", sa.BigInteger(), nullable=False),
        sa.Column("carried_in", sa.BigInteger(), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("carried_out", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_payout_line_affiliate_id_affiliate"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name=op.f("fk_payout_line_plan_version_id_plan_version"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["payout_sheet.id"], name=op.f("fk_payout_line_sheet_id_payout_sheet"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_line")),
        sa.UniqueConstraint("sheet_id", "affiliate_id", name="uq_payout_line_sheet_id_affiliate_id"),
    )
    with op.batch_alter_table("payout_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_line_affiliate_id"), ["affiliate_id"], unique=False)

    op.create_table(
        "adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("conversion_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_adjustment_affiliate_id_affiliate"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["conversion.id"],
            name=op.f("fk_adjustment_conversion_id_conversion"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustment")),
    )
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.create_index("ix_adjustment_period_affiliate", ["period", "affiliate_id"], unique=False)

    op.create_table(
        "commission_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("conversion_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("commission", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("trace", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"],
            ["affiliate.id"],
            name=op.f("fk_commission_line_affiliate_id_affiliate"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["conversion.id"],
            name=op.f("fk_commission_line_conversion_id_conversion"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["payout_sheet.id"], name=op.f("fk_commission_line_sheet_id_payout_sheet"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_line")),
    )
    with op.batch_alter_table("commission_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commission_line_conversion_id"), ["conversion_id"], unique=False)
        batch_op.create_index("ix_commission_line_sheet_affiliate", ["sheet_id", "affiliate_id"], unique=False)

    op.create_table(
        "conversion_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversion_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("product", sa.String(length=300), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["conversion.id"],
            name=op.f("fk_conversion_line_conversion_id_conversion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion_line")),
        sa.UniqueConstraint("conversion_id", "line_no", name="uq_conversion_line_conversion_id_line_no"),
    )
    op.create_table(
        "conversion_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversion_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=10), nullable=True),
        sa.Column("to_status", sa.String(length=10), nullable=False),
        sa.Column("from_refunded", sa.BigInteger(), nullable=True),
        sa.Column("to_refunded", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
            name=op.f("fk_conversion_status_change_batch_id_import_batch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["conversion.id"],
            name=op.f("fk_conversion_status_change_conversion_id_conversion"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion_status_change")),
    )
    with op.batch_alter_table("conversion_status_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversion_status_change_conversion_id"), ["conversion_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversion_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversion_status_change_conversion_id"))

    op.drop_table("conversion_status_change")
    op.drop_table("conversion_line")
    with op.batch_alter_table("commission_line", schema=None) as batch_op:
        batch_op.drop_index("ix_commission_line_sheet_affiliate")
        batch_op.drop_index(batch_op.f("ix_commission_line_conversion_id"))

    op.drop_table("commission_line")
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.drop_index("ix_adjustment_period_affiliate")

    op.drop_table("adjustment")
    with op.batch_alter_table("payout_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_line_affiliate_id"))

    op.drop_table("payout_line")
    op.drop_table("daily_clicks")
    with op.batch_alter_table("conversion", schema=None) as batch_op:
        batch_op.drop_index("ix_conversion_visitor")
        batch_op.drop_index(batch_op.f("ix_conversion_paid_sheet_id"))
        batch_op.drop_index("ix_conversion_date")
        batch_op.drop_index("ix_conversion_affiliate_date")

    op.drop_table("conversion")
    with op.batch_alter_table("click", schema=None) as batch_op:
        batch_op.drop_index("ix_click_visitor_time")
        batch_op.drop_index("ix_click_affiliate_date")

    op.drop_table("click")
    op.drop_table("payout_sheet")
    op.drop_table("import_batch")
    op.drop_table("column_mapping")
