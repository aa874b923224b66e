"""The program keeps its shop's referral link template ("https://shop.example/?ref={code}") for asset kits.

Kits used to fill in a made-up https://example.com/?ref=CODE. Programs upgraded by this revision have no template
yet (""): their kits keep the readable blank "[your referral link]" until one is set on the Program page.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("program") as batch:
        batch.add_column(sa.Column("referral_link_template", sa.String(500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("program") as batch:
        batch.drop_column("referral_link_template")
