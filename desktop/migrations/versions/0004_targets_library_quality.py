"""targets library quality

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:09:40.838314
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("stored_name", sa.String(length=100), nullable=True),
        sa.Column("original_name", sa.String(length=500), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("tags", sa.String(length=500), nullable=False),
        sa.Column("campaign", sa.String(length=100), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("sha256", name=op.f("uq_asset_sha256")),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_campaign"), ["campaign"], unique=False)

    op.create_table(
        "guideline_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("draft_markdown", sa.Text(), nullable=False),
        sa.Column("requires_acceptance", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_document")),
        sa.UniqueConstraint("kind", name=op.f("uq_guideline_document_kind")),
    )
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_via", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
    )
    op.create_table(
        "guideline_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["guideline_document.id"],
            name=op.f("fk_guideline_version_document_id_guideline_document"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_version")),
        sa.UniqueConstraint("document_id", "number", name="uq_guideline_version_document_id_number"),
    )
    op.create_table(
        "acceptance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_acceptance_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["guideline_version.id"],
            name=op.f("fk_acceptance_version_id_guideline_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance")),
        sa.UniqueConstraint("affiliate_id", "version_id", name="uq_acceptance_affiliate_id_version_id"),
    )
    with op.batch_alter_table("acceptance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acceptance_affiliate_id"), ["affiliate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_acceptance_version_id"), ["version_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_feedback_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_affiliate_written", ["affiliate_id", "written_on"], unique=False)

    op.create_table(
        "fraud_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_fraud_flag_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_flag")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_fraud_flag_fingerprint")),
    )
    with op.batch_alter_table("fraud_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraud_flag_affiliate_id"), ["affiliate_id"], unique=False)
        batch_op.create_index("ix_fraud_flag_state_affiliate", ["state", "affiliate_id"], unique=False)

    op.create_table(
        "kit_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=True),
        sa.Column("campaign", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("manifest_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_kit_sent_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_sent")),
    )
    with op.batch_alter_table("kit_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kit_sent_affiliate_id"), ["affiliate_id"], unique=False)

    op.create_table(
        "message_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"],
            ["affiliate.id"],
            name=op.f("fk_message_recipient_affiliate_id_affiliate"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_message_recipient_message_id_message"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_recipient")),
    )
    with op.batch_alter_table("message_recipient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_recipient_affiliate_id"), ["affiliate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_recipient_message_id"), ["message_id"], unique=False)

    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=True),
        sa.Column("tag", sa.String(length=60), nullable=True),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("goal", sa.BigInteger(), nullable=True),
        sa.Column("growth", sa.BigInteger(), nullable=True),
        sa.Column("bonus", sa.BigInteger(), nullable=True),
        sa.Column("reward_rate", sa.BigInteger(), nullable=True),
        sa.Column("reward_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_target_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target")),
    )
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.create_index("ix_target_period", ["period"], unique=False)

    op.create_table(
        "fraud_flag_conversion",
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("conversion_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["conversion.id"],
            name=op.f("fk_fraud_flag_conversion_conversion_id_conversion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["fraud_flag.id"], name=op.f("fk_fraud_flag_conversion_flag_id_fraud_flag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("flag_id", "conversion_id", name=op.f("pk_fraud_flag_conversion")),
    )
    with op.batch_alter_table("fraud_flag_conversion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraud_flag_conversion_conversion_id"), ["conversion_id"], unique=False)

    op.create_table(
        "kit_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_kit_item_asset_id_asset"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["kit_id"], ["kit_sent.id"], name=op.f("fk_kit_item_kit_id_kit_sent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_item")),
    )
    with op.batch_alter_table("kit_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kit_item_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kit_item_kit_id"), ["kit_id"], unique=False)

    op.create_table(
        "payout_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_payout_hold_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["fraud_flag.id"], name=op.f("fk_payout_hold_flag_id_fraud_flag"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_hold")),
    )
    with op.batch_alter_table("payout_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_hold_affiliate_id"), ["affiliate_id"], unique=False)

    op.create_table(
        "target_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("goal_value", sa.BigInteger(), nullable=False),
        sa.Column("actual", sa.BigInteger(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_target_result_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["target.id"], name=op.f("fk_target_result_target_id_target"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_result")),
        sa.UniqueConstraint("target_id", "affiliate_id", name="uq_target_result_target_id_affiliate"),
    )
    with op.batch_alter_table("target_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_result_affiliate_id"), ["affiliate_id"], unique=False)

    op.create_table(
        "rate_reward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("affiliate_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("rate_boost", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("target_result_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["affiliate_id"], ["affiliate.id"], name=op.f("fk_rate_reward_affiliate_id_affiliate"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_result_id"],
            ["target_result.id"],
            name=op.f("fk_rate_reward_target_result_id_target_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_reward")),
    )
    with op.batch_alter_table("rate_reward", schema=None) as batch_op:
        batch_op.create_index("ix_rate_reward_affiliate_period", ["affiliate_id", "period"], unique=False)

    with op.batch_alter_table("payout_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("payout_line", schema=None) as batch_op:
        batch_op.drop_column("held")

    with op.batch_alter_table("rate_reward", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_reward_affiliate_period")

    op.drop_table("rate_reward")
    with op.batch_alter_table("target_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_result_affiliate_id"))

    op.drop_table("target_result")
    with op.batch_alter_table("payout_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_hold_affiliate_id"))

    op.drop_table("payout_hold")
    with op.batch_alter_table("kit_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kit_item_kit_id"))
        batch_op.drop_index(batch_op.f("ix_kit_item_asset_id"))

    op.drop_table("kit_item")
    with op.batch_alter_table("fraud_flag_conversion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_flag_conversion_conversion_id"))

    op.drop_table("fraud_flag_conversion")
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.drop_index("ix_target_period")

    op.drop_table("target")
    with op.batch_alter_table("message_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_recipient_message_id"))
        batch_op.drop_index(batch_op.f("ix_message_recipient_affiliate_id"))

    op.drop_table("message_recipient")
    with op.batch_alter_table("kit_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kit_sent_affiliate_id"))

    op.drop_table("kit_sent")
    with op.batch_alter_table("fraud_flag", schema=None) as batch_op:
        batch_op.drop_index("ix_fraud_flag_state_affiliate")
        batch_op.drop_index(batch_op.f("ix_fraud_flag_affiliate_id"))

    op.drop_table("fraud_flag")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_affiliate_written")

    op.drop_table("feedback")
    with op.batch_alter_table("acceptance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acceptance_version_id"))
        batch_op.drop_index(batch_op.f("ix_acceptance_affiliate_id"))

    op.drop_table("acceptance")
    op.drop_table("guideline_version")
    op.drop_table("message")
    op.drop_table("guideline_document")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_campaign"))

    op.drop_table("asset")
