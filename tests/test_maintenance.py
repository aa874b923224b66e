"""Keeping the data safe: the automatic daily backups, and restoring one from the window."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from desktop.db import Database, open_database
from desktop.models import Affiliate
from desktop.services.affiliates import AffiliateInput, create_affiliate
from desktop.services.maintenance import automatic_backup
from desktop.views.app import make_application
from desktop.views.main_window import MainWindow


def test_one_automatic_backup_a_day_and_only_the_last_seven_kept(db: Database, db_path: Path) -> None:
    first = date(2026, 12, 1)
    made = [automatic_backup(db, today=first + timedelta(days=n)) for n in range(9)]
    assert made[0] == db_path.parent / "backups" / f"{db_path.stem}-2026-12-01.sqlite3"
    assert automatic_backup(db, today=first + timedelta(days=8)) is None  # that day's exists already
    kept = sorted(path.name for path in (db_path.parent / "backups").iterdir())
    assert kept == [f"{db_path.stem}-2026-12-{day:02d}.sqlite3" for day in range(3, 10)]
    other = db_path.parent / "backups" / "notes.sqlite3"  # not one of ours: left alone
    other.write_bytes(b"")
    automatic_backup(db, today=first + timedelta(days=9))
    assert other.exists() and len(list((db_path.parent / "backups").glob(f"{db_path.stem}-*"))) == 7
    backup = open_database(made[-1] or Path(), create=False)
    assert backup.is_sqlite
    backup.dispose()


def test_two_databases_in_one_folder_keep_their_own_backups(tmp_path: Path) -> None:
    """shop.db and shop.sqlite3 side by side: each gets its day's backup, and pruning one leaves the other's."""
    first = date(2026, 12, 1)
    sqlite3_file, db_file = open_database(tmp_path / "shop.sqlite3"), open_database(tmp_path / "shop.db")
    try:
        for n in range(8):
            made = [automatic_backup(sqlite3_file, today=first + timedelta(days=n)),
                    automatic_backup(db_file, today=first + timedelta(days=n))]  # fmt: skip
            assert None not in made and made[0] != made[1]
    finally:
        sqlite3_file.dispose()
        db_file.dispose()
    names = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert names == sorted([f"shop-2026-12-{day:02d}.sqlite3" for day in range(2, 9)]
                           + [f"shop.db-2026-12-{day:02d}.sqlite3" for day in range(2, 9)])  # fmt: skip


def test_restoring_a_backup_from_the_window(qtbot, db: Database, db_path: Path, qsettings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_application()
    create_affiliate(db, AffiliateInput(code="JANE", name="Jane Hiker"))
    backup = automatic_backup(db, today=date(2026, 12, 1))
    assert backup is not None
    create_affiliate(db, AffiliateInput(code="TOM", name="Tom Runner"))  # after the backup
    window = MainWindow(db, settings=qsettings)
    qtbot.addWidget(window)
    window.show()
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *_a: asked.append(text)
                        or QMessageBox.StandardButton.Yes)  # fmt: skip
    assert window.restore_backup(backup)
    assert asked[0].startswith(f"Replace everything in {db_path.name} by the backup {backup.name}?")
    assert codes(window.db) == ["JANE"]
    aside = open_database(db_path.with_name(db_path.name + ".before-restore.bak"), create=False)
    assert codes(aside) == ["JANE", "TOM"]  # what was replaced is kept aside
    aside.dispose()
    assert sorted(p.name for p in backup.parent.iterdir()) == [backup.name]  # no -wal or -shm left beside it


def codes(db: Database) -> list[str]:
    from sqlalchemy import select

    with db.read() as session:
        return list(session.scalars(select(Affiliate.code).order_by(Affiliate.code)))


def test_a_second_restore_keeps_what_the_first_one_put_aside(db: Database, db_path: Path, tmp_path: Path) -> None:
    """Restoring the wrong backup first, then the right one, erased the day's work the first restore had kept."""
    import pytest

    from desktop.services.errors import RefusedByState
    from desktop.services.maintenance import restore_database

    create_affiliate(db, AffiliateInput(code="OLD", name="Old"))
    backup = automatic_backup(db, today=date(2026, 12, 1))
    assert backup is not None
    create_affiliate(db, AffiliateInput(code="TODAY", name="Today's work"))
    db.dispose()
    restore_database(db_path, backup)
    restore_database(db_path, backup)
    kept = [db_path.with_name(db_path.name + ".before-restore.bak"), db_path.with_name(f"{db_path.name}"
                                                                                        ".before-restore-2.bak")]
    first = open_database(kept[0], create=False)
    assert codes(first) == ["OLD", "TODAY"] and kept[1].exists()
    first.dispose()
    newer = tmp_path / "newer.sqlite3"  # a backup from a later version of the application
    newer.write_bytes(backup.read_bytes())
    import sqlite3

    conn = sqlite3.connect(newer)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(RefusedByState, match="made by a newer version .* nothing was replaced"):
        restore_database(db_path, newer)
    assert db_path.read_bytes() == before


def test_the_command_line_does_not_restore_under_an_open_window(db: Database, db_path: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from desktop.db import InstanceLock

    backup = automatic_backup(db, today=date(2026, 12, 1))
    assert backup is not None
    lock = InstanceLock(db_path)  # what the window holds while it is open
    lock.acquire()
    try:
        done = subprocess.run([sys.executable, "-m", "desktop", "--db", str(db_path), "restore", str(backup)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    finally:
        lock.release()
    assert done.returncode == 3 and "already open" in done.stderr
    assert not db_path.with_name(db_path.name + ".before-restore.bak").exists()
    folder = tmp_path / "out"
    folder.mkdir()
    import pytest

    from desktop.services.errors import BadInput
    from desktop.services.maintenance import backup_database

    with pytest.raises(BadInput, match="is a folder: give a file name in it"):
        backup_database(db, folder)
