"""Keeping the data safe: integrity check, backup and restore, and the automatic daily backups."""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from desktop.db import (
    BACKUP_FOLDER,
    SQLITE_HEADER,
    Database,
    copy_file_atomically,
    current_revision,
    driver_message,
    head_revision,
    is_damage,
    restore_advice,
    sqlite_backup,
)
from desktop.migrations import SCHEMA_HEAD
from desktop.models import Affiliate, Program
from desktop.services.errors import BadInput, RefusedByState

MAX_FINDINGS = 20


@dataclass(frozen=True)
class CheckReport:
    ok: bool
    messages: tuple[str, ...]


def check_database(db: Database) -> CheckReport:
    """SQLite's integrity and foreign-key checks plus the schema version; PostgreSQL: reachable and current.

    A damaged file is reported, never raised: the check exists to find it. What a damaged page keeps from being
    read (the foreign keys, the schema version, the count) is left out after the damage is told."""
    messages: list[str] = []
    ok, damaged = True, False
    try:
        with db.engine.connect() as conn:
            if db.is_sqlite:
                driver = conn.connection.driver_connection
                assert driver is not None
                findings = _integrity_findings(driver)
                damaged = bool(findings)
                messages.extend(f"integrity: {finding}" for finding in findings[:MAX_FINDINGS])
                if not findings:
                    messages.append("integrity: ok")
                fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if fk:
                    ok = False
                    messages.append(f"foreign keys: {len(fk)} rows point at missing records")
                else:
                    messages.append("foreign keys: ok")
            else:
                conn.execute(text("SELECT 1"))
                messages.append("server: reachable")
        revision, head = current_revision(db), head_revision()
        if revision != head:
            ok = False
            messages.append(f"schema: version {revision}, expected {head}")
        else:
            messages.append(f"schema: version {revision} (current)")
        with db.read() as session:
            affiliates = session.scalar(select(func.count()).select_from(Affiliate)) or 0
        messages.append(f"affiliates: {affiliates}")
    except DBAPIError as exc:
        if not is_damage(exc):
            raise
        if not damaged:
            messages.append(f"integrity: {driver_message(exc)}")
        damaged = True
    if damaged:
        messages.append(f"The file is damaged. {restore_advice(db.path)}")
    return CheckReport(ok=ok and not damaged, messages=tuple(messages))


def check_damaged_file(path: Path) -> CheckReport:
    """The integrity check of an SQLite file that opening refused as damaged, read without using it otherwise."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        findings = _integrity_findings(conn)
    finally:
        conn.close()
    messages = [f"integrity: {finding}" for finding in findings[:MAX_FINDINGS]] or ["integrity: ok"]
    if findings:
        messages.append(f"The file is damaged. {restore_advice(path)}")
    return CheckReport(ok=not findings, messages=tuple(messages))


def _integrity_findings(conn: sqlite3.Connection, check: str = "integrity_check") -> list[str]:
    """PRAGMA integrity_check's findings (or quick_check's, without the indexes' contents), none for a sound file.

    Where a page is too damaged to walk, SQLite ends the full check with an error ("database disk image is
    malformed") instead of listing: the first finding is then asked for alone, which it can still name."""
    try:
        rows = conn.execute(f"PRAGMA {check}").fetchall()
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        try:
            rows = conn.execute("PRAGMA quick_check(1)").fetchall()
        except sqlite3.DatabaseError:
            rows = []
        rows = [row for row in rows if row[0] != "ok"] + [(str(exc),)]
    # one row may hold several lines, under a heading: "*** in database main ***\nPage 14: ..."
    lines = [line for row in rows for line in str(row[0]).splitlines() if line and not line.startswith("***")]
    return [] if lines == ["ok"] else lines


def is_empty(db: Database) -> bool:
    """True for a database with no affiliates and a program never set up: the welcome page's case."""
    with db.read() as session:
        has_affiliate = session.scalar(select(Affiliate.id).limit(1)) is not None
        configured = session.scalar(select(Program.configured).where(Program.id == 1))
    return not has_affiliate and not configured


def backup_database(db: Database, target: Path | str) -> Path:
    """A consistent copy of the open SQLite database, written under a temporary name and renamed."""
    target = Path(target)
    if not db.is_sqlite or db.path is None:
        raise RefusedByState("backups of a PostgreSQL database are made on the server (pg_dump)")
    if not target.parent.is_dir():
        raise BadInput(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.is_dir():
        example = target / f"{db.path.stem}-backup.sqlite3"
        raise BadInput(f"{target} is a folder: give a file name in it, like {example}")
    if target.resolve() == db.path.resolve():
        raise BadInput("choose another file than the open database for the backup")
    sqlite_backup(db.path, target)
    return target


AUTOMATIC_BACKUPS_KEPT = 7


def automatic_backup(db: Database, *, today: date | None = None, keep: int = AUTOMATIC_BACKUPS_KEPT) -> Path | None:
    """The day's automatic backup of an SQLite database: made once a day (when the window first opens that day)
    in a `backups` folder beside it, as NAME-YYYY-MM-DD.sqlite3 (NAME without .sqlite3); only the newest `keep`
    days stay.

    None when the day's backup exists already, or for PostgreSQL (backed up on the server). Restore one with
    File ▸ Restore a backup…, or `affiliate-desk restore FILE`.
    """
    if not db.is_sqlite or db.path is None:
        return None
    folder = db.path.parent / BACKUP_FOLDER
    # shop.sqlite3 -> shop-DATE.sqlite3; any other name keeps its suffix (shop.db -> shop.db-DATE.sqlite3), so two
    # databases beside each other never share, or prune, each other's backups
    stem = db.path.stem if db.path.suffix == ".sqlite3" else db.path.name
    target = folder / f"{stem}-{(today or date.today()).isoformat()}.sqlite3"
    if target.exists():
        return None
    folder.mkdir(exist_ok=True)
    sqlite_backup(db.path, target)
    # The copy is a page-by-page one, damaged pages included: a damaged backup must not take the place of the
    # sound ones pruned below.
    copy = sqlite3.connect(f"file:{target}?mode=ro&immutable=1", uri=True)
    try:
        findings = _integrity_findings(copy, "quick_check")
    finally:
        copy.close()
    if findings:
        target.unlink()
        raise RefusedByState(f"{db.path.name} is damaged ({findings[0]}): no backup was made today, and the "
                             "earlier ones are kept")  # fmt: skip
    ours = re.compile(rf"{re.escape(stem)}-\d{{4}}-\d{{2}}-\d{{2}}\.sqlite3")
    made = sorted(path for path in folder.iterdir() if ours.fullmatch(path.name))  # dates sort as text
    for old in made[: max(0, len(made) - keep)]:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{old}{suffix}").unlink(missing_ok=True)
    return target


def restore_aside_path(db_path: Path) -> Path:
    """Where a restore keeps the data it replaces: NAME.before-restore.bak, or -2, -3… when an earlier restore's
    copy is there (a second restore, after picking the wrong backup, must not erase the first one's)."""
    aside = db_path.with_name(db_path.name + ".before-restore.bak")
    number = 2
    while aside.exists():
        aside = db_path.with_name(f"{db_path.name}.before-restore-{number}.bak")
        number += 1
    return aside


def restore_database(db_path: Path, source: Path | str) -> Path:
    """Replace the database file by a backup, after checking the backup; the old file is kept aside."""
    source = Path(source)
    if not source.is_file():
        raise BadInput(f"{source}: no such file")
    with source.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BadInput(f"{source} is not an Affiliate Desk backup (not an SQLite file)")
    # A backup nobody writes is read as immutable, which leaves no -wal/-shm beside it; one with a log beside it
    # (opened by another program since) is read the ordinary way, or the log's changes would be missed.
    still = not Path(f"{source}-wal").exists()
    conn = sqlite3.connect(f"file:{source}?mode=ro{'&immutable=1' if still else ''}", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone() if "alembic_version" in tables \
            else None  # fmt: skip
    except sqlite3.DatabaseError as exc:
        raise BadInput(f"{source} is damaged: {exc}") from exc
    finally:
        conn.close()
    if result is None or result[0] != "ok":
        raise BadInput(f"{source} is damaged: {result[0] if result else 'no answer'}")
    if "alembic_version" not in tables or "program" not in tables:
        raise BadInput(f"{source} is not an Affiliate Desk database")
    if version is None or not str(version[0]).isdigit() or int(version[0]) > int(SCHEMA_HEAD):
        # checked before anything is replaced: afterwards the database itself would refuse to open
        schema = version[0] if version else "none"
        raise RefusedByState(f"{source} was made by a newer version of Affiliate Desk (schema {schema}, this one "
                             f"knows up to {SCHEMA_HEAD}): update the application first; nothing was "
                             "replaced")  # fmt: skip
    if db_path.exists():
        aside = restore_aside_path(db_path)
        try:
            sqlite_backup(db_path, aside)
        except sqlite3.DatabaseError:  # a file too damaged to be read as a database: its bytes are kept aside
            copy_file_atomically(db_path, aside)
    tmp = db_path.with_name(f".{db_path.name}.restore.tmp")
    sqlite_backup(source, tmp, immutable=still)
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, db_path)
    return db_path
