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
