"""The data layer: connection settings, transactions, migrations, and refusing bad or damaged files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from desktop.db import (
    BadDatabaseLocation,
    DamagedDatabase,
    Database,
    DatabaseRefused,
    InstanceLock,
    current_revision,
    head_revision,
    open_database,
    resolve_target,
)
from desktop.migrations import SCHEMA_HEAD
from desktop.models import Affiliate

DATA = Path(__file__).parent / "data"


def test_sqlite_connection_settings(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_write_transaction_takes_the_write_lock_at_begin(db: Database, db_path: Path) -> None:
    """BEGIN IMMEDIATE: while a write session is open, nobody else can start writing, even before it writes."""
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        with db.write() as session:
            session.execute(select(1))  # starts the transaction; no write yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_read_sessions_do_not_block_writers(db: Database, db_path: Path) -> None:
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        with db.read() as session:
            session.execute(select(Affiliate)).all()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_rolled_back_savepoint_discards_only_its_part(db: Database) -> None:
    """pysqlite's own transaction handling would commit behind the SAVEPOINT; ours must not."""
    with db.write() as session:
        session.add(Affiliate(code="KEEP", name="Kept", status="active"))
        session.flush()
        nested = session.begin_nested()
        session.add(Affiliate(code="DROP", name="Dropped", status="active"))
        session.flush()
        nested.rollback()
    with db.read() as session:
        assert session.scalars(select(Affiliate.code)).all() == ["KEEP"]


def test_outer_rollback_discards_a_released_savepoint(db: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.write() as session:
        with session.begin_nested():
            session.add(Affiliate(code="INNER", name="Inner", status="active"))
        raise Boom()
    with db.read() as session:
        assert session.scalars(select(Affiliate.code)).all() == []


def test_error_rolls_back_the_whole_change(db: Database) -> None:
    with pytest.raises(ValueError), db.write() as session:
        session.add(Affiliate(code="A1", name="One", status="active"))
        session.flush()
        raise ValueError("half way")
    with db.read() as session:
        assert session.scalar(select(Affiliate.id)) is None


def test_new_file_is_created_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    database = open_database(path)
    try:
        assert path.exists()
        assert current_revision(database) == head_revision() == SCHEMA_HEAD
    finally:
        database.dispose()


def test_schema_head_constant_matches_alembic() -> None:
    assert head_revision() == SCHEMA_HEAD


def test_upgrades_a_database_made_by_the_first_migration(tmp_path: Path) -> None:
    """tests/data/v0001.sqlite3 was written by revision 0001; opening it migrates and keeps its rows."""
    path = tmp_path / "old.sqlite3"
    shutil.copy(DATA / "v0001.sqlite3", path)
    database = open_database(path)
    try:
        assert current_revision(database) == SCHEMA_HEAD
        with database.read() as session:
            codes = session.scalars(select(Affiliate.code).order_by(Affiliate.code)).all()
        assert codes == ["JANE10", "OMAR7"]
    finally:
        database.dispose()
    if SCHEMA_HEAD != "0001":
        assert list(tmp_path.glob("old.sqlite3.before-0001-*.bak")), "the file is copied aside before migrating"


def test_missing_folder_is_refused_and_nothing_created(tmp_path: Path) -> None:
    with pytest.raises(BadDatabaseLocation, match="does not exist"):
        open_database(tmp_path / "no" / "such" / "folder.sqlite3")
    assert not (tmp_path / "no").exists()


def test_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(BadDatabaseLocation, match="folder"):
        open_database(tmp_path)


def test_damaged_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite3"
    payload = b"this is not a database at all\n" * 100
    path.write_bytes(payload)
    with pytest.raises(DamagedDatabase, match="untouched"):
        open_database(path)
    assert path.read_bytes() == payload


def test_truncated_sqlite_file_is_refused(tmp_path: Path, db: Database, db_path: Path) -> None:
    db.dispose()
    data = db_path.read_bytes()
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(data[:100] + b"\x00" * 50 + data[150:4096])
    with pytest.raises((DamagedDatabase, DatabaseRefused)):
        open_database(broken)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(DamagedDatabase, match="another program"):
        open_database(path)


def test_database_from_a_newer_version_is_refused(db: Database, db_path: Path) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    with pytest.raises(DatabaseRefused, match="newer version"):
        open_database(db_path)


def test_bad_url_is_refused() -> None:
    with pytest.raises(BadDatabaseLocation):
        open_database("nosuchdriver://x/y")


def test_target_comes_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AFFILIATE_DESK_DB", str(tmp_path / "env.sqlite3"))
    assert resolve_target(None) == str(tmp_path / "env.sqlite3")
    assert resolve_target("given.sqlite3") == "given.sqlite3"


def test_default_location_is_the_user_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AFFILIATE_DESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    target = Path(resolve_target(None))
    assert target.name == "affiliate-desk.sqlite3"
    assert target.parent == tmp_path / "xdg" / "affiliate-desk"


def test_instance_lock_allows_one_window_per_file(db_path: Path) -> None:
    first = InstanceLock(db_path)
    first.acquire()
    try:
        second = InstanceLock(db_path)
        with pytest.raises(DatabaseRefused, match="already open"):
            second.acquire()
    finally:
        first.release()
    again = InstanceLock(db_path)
    again.acquire()
    again.release()


def test_migrations_match_the_models(any_db: Database) -> None:
    """The schema the migrations build is the one the ORM classes describe (on SQLite and PostgreSQL)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from desktop.models import Base

    with any_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_approved_payout_lines_get_whom_they_paid_when_upgraded(tmp_path: Path) -> None:
    """Revision 0008 keeps the payee on payout lines: sheets approved before it get today's values, drafts none."""
    from desktop.db import upgrade

    path = tmp_path / "before-0008.sqlite3"
    database = open_database(path, migrate=False)
    try:
        upgrade(database, "0007")
        with database.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO affiliate (id, code, name, email, payee_email, status) "
                "VALUES (1, 'JANE', 'Jane Doe', 'jane@example.com', ' ', 'active')"
            ))  # fmt: skip
            for sheet_id, period, state in ((1, "2026-01", "paid"), (2, "2026-02", "draft")):
                conn.execute(text(
                    "INSERT INTO payout_sheet (id, period, state, currency, built_at, built_by, settings_json) "
                    f"VALUES ({sheet_id}, '{period}', '{state}', 'USD', '2026-02-01', 'me', '{{}}')"
                ))  # fmt: skip
                conn.execute(text(
                    "INSERT INTO payout_line (sheet_id, affiliate_id, sales, sales_revenue, leads, signups, commission,"
                    " over_cap, bonuses, adjustments, carried_in, payable, carried_out, held) "
                    f"VALUES ({sheet_id}, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"
                ))  # fmt: skip
        upgrade(database)
        with database.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT sheet_id, affiliate_code, affiliate_name, payee_email FROM payout_line ORDER BY sheet_id"
            )).all()  # fmt: skip
        assert [tuple(row) for row in rows] == [(1, "JANE", "Jane Doe", "jane@example.com"), (2, None, None, None)]
    finally:
        database.dispose()
