"""A database file damaged in the middle (a failing disk, a copy cut short): refused at open, told by `check`, told
in plain words by the command line, never copied over the good backups, and restored over."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from desktop.cli import _report
from desktop.db import Database, MalformedDatabase, open_database
from desktop.services.affiliates import AffiliateFilter, AffiliateInput, create_affiliate, list_affiliates
from desktop.services.errors import RefusedByState
from desktop.services.maintenance import automatic_backup, check_damaged_file, check_database, restore_database


def damage_table(path: Path, table: str) -> None:
    """Overwrite the first page of `table` and of its indexes with 0xFF bytes, as a failing disk would: SQLite then
    calls the file malformed as soon as that table is read. The file must be closed (its log folded in) before."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    roots = [row[0] for row in conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = ?", (table,))]
    conn.close()
    with path.open("r+b") as fh:
        for root in roots:
            fh.seek((root - 1) * page_size)
            fh.write(b"\xff" * page_size)


def with_affiliates(db: Database, count: int = 3) -> None:
    for n in range(count):
        create_affiliate(db, AffiliateInput(code=f"A{n}", name=f"Affiliate {n}"))


@pytest.fixture
def damaged(db: Database, db_path: Path) -> Database:
    """A database damaged after it was opened (what the check at open cannot see): its pool is closed, so the next
    query reads the damaged page from the file."""
    with_affiliates(db)
    db.dispose()
    damage_table(db_path, "affiliate")
    return db


def test_opening_refuses_a_file_damaged_in_the_middle_and_leaves_it_untouched(damaged: Database, db_path: Path) -> None:
    before = db_path.read_bytes()
    with pytest.raises(MalformedDatabase, match="is damaged .*left untouched") as refused:
        open_database(db_path)
    assert "restore BACKUP" in str(refused.value) and str(db_path.parent / "backups") in str(refused.value)
    assert refused.value.path == db_path and refused.value.exit_code == 2
    assert db_path.read_bytes() == before


def test_check_reports_damage_found_after_opening(damaged: Database, db_path: Path) -> None:
    report = check_database(damaged)
    assert not report.ok
    assert any(line.startswith("integrity: ") and line != "integrity: ok" for line in report.messages)
    assert report.messages[-1].startswith("The file is damaged. Restore a backup over it")
    assert str(db_path.parent / "backups") in report.messages[-1]


def test_check_reads_a_file_opening_refused(damaged: Database, db_path: Path) -> None:
    report = check_damaged_file(db_path)
    assert not report.ok
    assert report.messages[0].startswith("integrity: ") and "ok" not in report.messages[0]
    assert "restore BACKUP" in report.messages[-1]


def test_check_command_on_a_damaged_file_reports_it_and_fails(damaged: Database, db_path: Path) -> None:
    """The QA's file: the check said "unexpected error: DatabaseError: ... malformed", the one problem it is for."""
    before = db_path.read_bytes()
    env = {key: value for key, value in os.environ.items() if key != "AFFILIATE_DESK_DB"}
    done = subprocess.run([sys.executable, "-m", "desktop", "--db", str(db_path), "check"],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert done.returncode == 1, done.stderr  # a failed check, as for any problem it finds
    assert "unexpected error" not in done.stderr and "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("integrity: ") and lines[-1] == f"{db_path}: PROBLEMS FOUND"
    assert "The file is damaged. Restore a backup over it" in done.stdout and "backups" in done.stdout
    assert db_path.read_bytes() == before


def test_command_line_tells_damage_met_by_a_query_without_the_sql(
    damaged: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Exception) as failed:
        list_affiliates(damaged, AffiliateFilter())
    assert _report(failed.value, str(db_path)) == 2
    said = capsys.readouterr().err
    assert said.startswith("affiliate-desk: the database is damaged (database disk image is malformed).")
    assert "restore BACKUP" in said
    assert "SELECT" not in said and "[SQL" not in said and "parameters" not in said


def test_the_daily_backup_of_a_damaged_file_is_refused_and_the_good_ones_kept(db: Database, db_path: Path) -> None:
    with_affiliates(db)
    first = date(2026, 12, 1)
    good = [automatic_backup(db, today=first + timedelta(days=n)) for n in range(7)]
    db.dispose()
    damage_table(db_path, "affiliate")
    with pytest.raises(RefusedByState, match="is damaged .*no backup was made today, and the earlier ones are kept"):
        automatic_backup(db, today=first + timedelta(days=7))
    kept = sorted((db_path.parent / "backups").iterdir())
    assert kept == good  # the damaged copy is not kept, and does not push the oldest sound one out


def test_restoring_over_a_file_too_damaged_to_read(db: Database, db_path: Path, tmp_path: Path) -> None:
    with_affiliates(db)
    backup = automatic_backup(db, today=date(2026, 12, 1))
    assert backup is not None
    db.dispose()
    garbage = b"\xff" * 8192
    db_path.write_bytes(garbage)  # not even an SQLite header left
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    restore_database(db_path, backup)
    assert db_path.with_name(db_path.name + ".before-restore.bak").read_bytes() == garbage  # kept aside as it was
    restored = open_database(db_path, create=False)
    try:
        assert check_database(restored).ok
    finally:
        restored.dispose()
