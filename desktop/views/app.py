"""Starting the window: the QApplication, the database, the instance lock."""

from __future__ import annotations

import locale
import sys
from types import TracebackType
from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.db import DatabaseError, InstanceLock, QueryError, open_database
from desktop.resources import resource_path


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    # Qt sets the C library's locale from the desktop's (setlocale(LC_ALL, "")). The application speaks English,
    # and its services write month names with strftime and read numbers with C parsers: on a German desktop the
    # window would say "3 Oktober 2026" where the command line says "3 October 2026". Qt's own widgets use
    # QLocale and are not affected.
    for category in (locale.LC_TIME, locale.LC_NUMERIC):
        locale.setlocale(category, "C")
    app.setOrganizationName("Affiliate Desk")
    app.setApplicationName("affiliate-desk")
    app.setApplicationDisplayName("Affiliate Desk")
    app.setWindowIcon(QIcon(str(resource_path("icons", "affiliate-desk.svg"))))
    font = app.font()
    # "ffi" ligatures turn "Affiliate" into one glyph, which breaks search in PDFs and copied text.
    font.setFeature(QFont.Tag("liga"), 0)
    app.setFont(font)
    app.setStyleSheet(resource_path("style.qss").read_text(encoding="utf-8"))
    return app


def run_gui(target: str | None, *, exit_after_start: bool = False) -> int:
    app = make_application()
    from desktop.views.main_window import MainWindow

    lock: InstanceLock | None = None
    try:
        db = open_database(target)
        if db.path is not None:
            lock = InstanceLock(db.path)
            lock.acquire()
    except DatabaseError as exc:
        if exit_after_start:
            raise
        QMessageBox.critical(None, "Affiliate Desk", str(exc))
        return exc.exit_code
    window = MainWindow(db, lock=lock)
    route_query_errors(window)
    if exit_after_start:
        window.painted.connect(lambda: QTimer.singleShot(0, app.quit))
        QTimer.singleShot(20_000, lambda: app.exit(1))  # never hang a smoke test
    else:  # once the window is up: never in the way of opening
        window.painted.connect(window.start_automatic_backup)
    window.show()
    return app.exec()


class _ErrorReporter(Protocol):
    def report_database_error(self, exc: BaseException) -> None: ...


def route_query_errors(window: _ErrorReporter) -> None:
    """A database error nobody caught in a slot (a page's signal handler, a timer) goes to the window, told in the
    user's words (a damaged file: the notice above every page), instead of a traceback with SQL on the console."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, trace: TracebackType | None) -> None:
        if isinstance(value, QueryError):
            window.report_database_error(value)
            return
        previous(kind, value, trace)

    sys.excepthook = hook
