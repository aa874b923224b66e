"""Where the data lives: engine, sessions, connection settings and automatic migrations."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desktop.migrations import SCHEMA_HEAD

DB_FILENAME = "affiliate-desk.sqlite3"
ENV_VAR = "AFFILIATE_DESK_DB"
SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BACKUP_FOLDER = "backups"  # the automatic daily backups, beside the database (made by services.maintenance)
# Opening looks for damage with PRAGMA quick_check for this long at most. Measured (SQLite 3.40, warm cache): 16 ms
# for the demo database (5 MB); 0.9-1.2 s for 250 MB and 625,000 orders, of which the walk of every page, the part
# that finds damaged pages, is 0.25 s. Past the deadline the rest of a large file is not looked at here: damage
# there is told when a query reads it (is_damage).
OPEN_CHECK_SECONDS = 0.3
_SQLITE_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_DAMAGE_WORDS = ("database disk image is malformed", "file is not a database")

# What a query raises when the database fails under it (SQLAlchemy's DBAPIError, the driver's error inside): views
# catch it under this name, as they import nothing from SQLAlchemy.
QueryError = DBAPIError


class DatabaseError(Exception):
    """A database that cannot be used; the message says why in the user's words."""

    exit_code = 1


class BadDatabaseLocation(DatabaseError):
    """The path or URL itself is wrong: nothing was created."""

    exit_code = 2


class DamagedDatabase(DatabaseError):
    """The file exists but is not a healthy Affiliate Desk database; it is never replaced."""

    exit_code = 2


class MalformedDatabase(DamagedDatabase):
    """An SQLite file whose pages are damaged (a disk fault, a copy cut short): SQLite calls it malformed."""

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path


class DatabaseRefused(DatabaseError):
    """The database is fine but cannot be used now: locked, busy, or made by a newer version."""

    exit_code = 3


def driver_message(exc: BaseException) -> str:
    """The database's own sentence for an error, without the SQL statement and parameters SQLAlchemy adds."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    if orig is not None:
        return str(orig).strip() or type(orig).__name__
    return str(exc).strip() or type(exc).__name__


def is_damage(exc: BaseException) -> bool:
    """Whether an error means the SQLite file itself is damaged, rather than locked, busy or asked a wrong query."""
    if isinstance(exc, MalformedDatabase):
        return True
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, sqlite3.DatabaseError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_DAMAGE_CODES  # the primary code: extended ones (CORRUPT_INDEX...) count too
    return any(words in str(orig) for words in _DAMAGE_WORDS)


def restore_advice(path: Path | None) -> str:
    """Where a damaged database file's data can come back from: a backup, restored with the command line."""
    if path is None:
        return "Restore it from a backup."
    return (
        f'Restore a backup over it: affiliate-desk --db "{path}" restore BACKUP; the automatic daily backups are in '
        f"{path.parent / BACKUP_FOLDER}."
    )


def default_database_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("affiliate-desk", appauthor=False)) / DB_FILENAME


def resolve_target(target: str | os.PathLike[str] | None) -> str:
    """The database to open: the argument, else $AFFILIATE_DESK_DB, else the user data directory."""
    if target is None or str(target) == "":
        target = os.environ.get(ENV_VAR) or None
    if target is None:
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(path)
    return str(target)


def _is_url(target: str) -> bool:
    return "://" in target


def to_url(target: str) -> URL:
    if _is_url(target):
        try:
            url = make_url(target)
        except ArgumentError as exc:
            raise BadDatabaseLocation(f"{target!r} is not a database URL: {exc}") from exc
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url
    return URL.create("sqlite+pysqlite", database=str(Path(target).expanduser().resolve()))


def _check_sqlite_path(path: Path, *, create: bool) -> bool:
    """Refuse paths that can't hold a database and files that aren't one. Returns True if the file is new."""
    if path.is_dir():
        raise BadDatabaseLocation(f"{path} is a folder, not a database file")
    if not path.parent.is_dir():
        raise BadDatabaseLocation(f"cannot create {path.name}: the folder {path.parent} does not exist")
    if not path.exists() or path.stat().st_size == 0:
        if not create:
            raise BadDatabaseLocation(f"{path} does not exist")
        return True
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BadDatabaseLocation(f"cannot read {path}: {exc.strerror}") from exc
    if header != SQLITE_HEADER:
        raise DamagedDatabase(
            f"{path} is not an Affiliate Desk database (it is not an SQLite file, or it is damaged); "
            "it was left untouched — restore it from a backup or choose another file"
        )
    return False


def _install_sqlite_settings(engine: Engine) -> None:
    """WAL, full sync, foreign keys, 5 s busy wait, and BEGIN issued by us (the documented pysqlite recipe).

    pysqlite's own transaction handling begins transactions lazily and commits behind SAVEPOINTs; with
    isolation_level None it stays out of the way and every transaction starts with our BEGIN. Writes use
    BEGIN IMMEDIATE so two writers queue on the busy timeout instead of failing half-way.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


@dataclass
class Database:
    """An open database: the engine and the two kinds of session the services use."""

    url: URL
    engine: Engine
    path: Path | None
    _reader: sessionmaker[Session]
    _writer: sessionmaker[Session]
    created: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def display_name(self) -> str:
        if self.path is not None:
            return str(self.path)
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction (BEGIN IMMEDIATE on SQLite): committed when the block ends, rolled back on error."""
        try:
            with self._writer.begin() as session:
                yield session
        except OperationalError as exc:
            if "database is locked" in str(exc) or "database is busy" in str(exc):
                raise DatabaseRefused(
                    f"{self.display_name} is busy: another program is writing to it; try again"
                ) from exc
            raise

    @contextmanager
    def write_connection(self) -> Iterator[Any]:
        """A Core connection in one write transaction, for bulk statements."""
        with self._writer.begin() as session:
            yield session.connection()

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 5, "check_same_thread": False})
        _install_sqlite_settings(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def placeholder(paramstyle: str) -> str:
    """The parameter mark for SQL handed to the driver directly (`conn.dialect.paramstyle`, or a bulk
    executor's): ? for SQLite, %s for psycopg."""
    return "?" if paramstyle == "qmark" else "%s"


def open_database(
    target: str | os.PathLike[str] | None = None, *, create: bool = True, migrate: bool = True
) -> Database:
    """Open (and if needed create and migrate) the database named by a path or URL."""
    resolved = resolve_target(target)
    url = to_url(resolved)
    path: Path | None = None
    created = False
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BadDatabaseLocation("an in-memory database cannot be used; give a file path")
        path = Path(url.database)
        created = _check_sqlite_path(path, create=create)
    try:
        engine = _make_engine(url)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise BadDatabaseLocation(f"cannot use {resolved!r}: {exc}") from exc
    writer_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    db = Database(
        url=url,
        engine=engine,
        path=path,
        _reader=sessionmaker(bind=engine, expire_on_commit=False),
        _writer=sessionmaker(bind=writer_engine, expire_on_commit=False),
        created=created,
    )
    try:
        if not created and db.is_sqlite:
            _look_for_damage(db)  # before a migration writes to it
        if migrate:
            upgrade(db)
        else:
            _probe(db)
    except Exception:
        engine.dispose()
        if created and path is not None and path.exists():
            _remove_sqlite_files(path)  # a half-created file must not pass for a database next time
        raise
    return db


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _probe(db: Database) -> None:
    try:
        with db.engine.connect() as conn:
            inspect(conn).get_table_names()
    except DBAPIError as exc:
        raise _classify(db, exc) from exc


def _look_for_damage(db: Database, seconds: float | None = None) -> None:
    """PRAGMA quick_check(1) for `seconds` at most (OPEN_CHECK_SECONDS): a damaged file is refused before any use.

    The check is interrupted at the deadline (sqlite3_interrupt, which also stops the walk of the pages, where a
    progress handler is not called); the part of a large file it did not reach is let through unchecked.
    """
    try:
        with db.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            alarm = threading.Timer(OPEN_CHECK_SECONDS if seconds is None else seconds, driver.interrupt)
            alarm.start()
            try:
                rows = conn.exec_driver_sql("PRAGMA quick_check(1)").fetchall()
            finally:
                alarm.cancel()
                alarm.join()
    except DBAPIError as exc:
        if "interrupted" in driver_message(exc):
            return
        raise _classify(db, exc) from exc
    # the answer is "ok", or the first problem after a heading: "*** in database main ***\nPage 14: ..."
    finding = " ".join(line for line in str(rows[0][0]).splitlines() if not line.startswith("***")) if rows else ""
    if finding != "ok":
        raise MalformedDatabase(
            f"{db.display_name} is damaged ({finding or 'no answer'}); it was left untouched. "
            f"{restore_advice(db.path)}",
            db.path,
        )


def _classify(db: Database, exc: DBAPIError) -> DatabaseError:
    text = driver_message(exc)
    if "locked" in text or "busy" in text:
        return DatabaseRefused(f"{db.display_name} is locked by another program; try again later")
    if db.is_sqlite and is_damage(exc):
        return MalformedDatabase(
            f"{db.display_name} is damaged ({text}); it was left untouched. {restore_advice(db.path)}", db.path
        )
    return DatabaseError(f"cannot open {db.display_name}: {text}")


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to date; an existing file is copied aside first."""
    if revision == "head" and _stored_revision(db) == SCHEMA_HEAD:
        return  # the common case, answered without importing Alembic
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    try:
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            from alembic.runtime.migration import MigrationContext

            current = MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        raise _classify(db, exc) from exc
    if tables and "alembic_version" not in tables:
        raise DamagedDatabase(
            f"{db.display_name} is a database of another program (tables: {', '.join(sorted(tables)[:5])}); "
            "it was left untouched"
        )
    target = script.get_current_head() if revision == "head" else revision
    if current is not None:
        try:
            script.get_revision(current)
        except Exception as exc:
            raise DatabaseRefused(
                f"{db.display_name} was made by a newer version of Affiliate Desk; update the application"
            ) from exc
    if current == target:
        return
    if current is not None and db.path is not None:
        backup_before_migration(db, current)
    try:
        with db.engine.connect() as conn, conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except DBAPIError as exc:
        raise _classify(db, exc) from exc


def _stored_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError as exc:
        text_ = str(exc.orig) if exc.orig is not None else str(exc)
        if "no such table" in text_ or "does not exist" in text_ or "UndefinedTable" in type(exc.orig).__name__:
            return None
        raise _classify(db, exc) from exc
    return row[0] if row else None


def backup_before_migration(db: Database, revision: str) -> Path:
    assert db.path is not None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = db.path.with_name(f"{db.path.name}.before-{revision}-{stamp}.bak")
    sqlite_backup(db.path, target)
    return target


def sqlite_backup(source: Path, target: Path, *, immutable: bool = False) -> None:
    """A consistent copy of a live SQLite file (the online backup API), written under a temporary name.

    `immutable`: the source is a file nobody writes (a backup being restored): read without the -wal and -shm files
    a read-only open of a WAL database leaves beside it."""
    tmp = target.with_name(f".{target.name}.tmp")
    src = sqlite3.connect(f"file:{source}?mode=ro{'&immutable=1' if immutable else ''}", uri=True)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(tmp, target)


def copy_file_atomically(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


class InstanceLock:
    """One Affiliate Desk window per database file: an OS file lock held while the window is open.

    The OS releases it when the process dies, so a crash never leaves a stale lock behind.
    """

    def __init__(self, db_path: Path):
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fh: Any = None

    def acquire(self) -> None:
        fh = self.path.open("a+")
        try:
            if os.name == "nt":
                import msvcrt

                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            raise DatabaseRefused(
                f"{self.path.with_suffix('')} is already open in another Affiliate Desk window"
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            self.path.unlink(missing_ok=True)
