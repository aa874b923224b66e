"""Order lines are keyed by (order, line number) and, on SQLite, stored in that order (WITHOUT ROWID).

Lines are only ever read by their order; their own id column and the separate unique index on (conversion_id,
line_no) made every imported line two B-tree inserts instead of one. On PostgreSQL the id column goes and the
pair becomes the primary key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SQLITE_TABLE = """
CREATE TABLE conversion_line_new (
	conversion_id INTEGER NOT NULL,
	line_no INTEGER NOT NULL,
	sku VARCHAR(100),
	product VARCHAR(300),
	quantity INTEGER NOT NULL,
	amount BIGINT NOT NULL,
	CONSTRAINT pk_conversion_line PRIMARY KEY (conversion_id, line_no),
	CONSTRAINT fk_conversion_line_conversion_id_conversion FOREIGN KEY(conversion_id) REFERENCES conversion (id)
		ON DELETE CASCADE
) WITHOUT ROWID
"""
_SQLITE_OLD_TABLE = """
CREATE TABLE conversion_line_old (
	id INTEGER NOT NULL,
	conversion_id INTEGER NOT NULL,
	line_no INTEGER NOT NULL,
	sku VARCHAR(100),
	product VARCHAR(300),
	quantity INTEGER NOT NULL,
	amount BIGINT NOT NULL,
	CONSTRAINT pk_conversion_line PRIMARY KEY (id),
	CONSTRAINT fk_conversion_line_conversion_id_conversion FOREIGN KEY(conversion_id) REFERENCES conversion (id)
		ON DELETE CASCADE,
	CONSTRAINT uq_conversion_line_conversion_id_line_no UNIQUE (conversion_id, line_no)
)
"""
_COLUMNS = "conversion_id, line_no, sku, product, quantity, amount"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_TABLE)
        op.execute(f"INSERT INTO conversion_line_new ({_COLUMNS}) SELECT {_COLUMNS} FROM conversion_line")
        op.execute("DROP TABLE conversion_line")
        op.execute("ALTER TABLE conversion_line_new RENAME TO conversion_line")
        return
    op.drop_constraint("uq_conversion_line_conversion_id_line_no", "conversion_line", type_="unique")
    op.drop_constraint("pk_conversion_line", "conversion_line", type_="primary")
    op.drop_column("conversion_line", "id")
    op.create_primary_key("pk_conversion_line", "conversion_line", ["conversion_id", "line_no"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_OLD_TABLE)
        op.execute(f"INSERT INTO conversion_line_old ({_COLUMNS}) SELECT {_COLUMNS} FROM conversion_line "
                   "ORDER BY conversion_id, line_no")  # fmt: skip
        op.execute("DROP TABLE conversion_line")
        op.execute("ALTER TABLE conversion_line_old RENAME TO conversion_line")
        return
    op.drop_constraint("pk_conversion_line", "conversion_line", type_="primary")
    op.execute("ALTER TABLE conversion_line ADD COLUMN id SERIAL")
    op.create_primary_key("pk_conversion_line", "conversion_line", ["id"])
    op.create_unique_constraint("uq_conversion_line_conversion_id_line_no", "conversion_line",
                                ["conversion_id", "line_no"])  # fmt: skip
