"""The main window: menu bar, navigation on the left, one page per area, the open database in the status bar."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import __version__
from desktop.db import Database, DatabaseError, InstanceLock, QueryError, is_damage, open_database
from desktop.services.maintenance import (
    BACKUP_FOLDER,
    automatic_backup,
    backup_database,
    restore_aside_path,
    restore_database,
)
from desktop.views.page_parts import error_text
from desktop.views.tasks import Task, run_with_progress

MAX_RECENT = 8

# (key, navigation label, "module:class"). An area is listed here only once it works. Pages are imported and
# built the first time they are shown, so the window opens without loading every area's code.
PAGES: list[tuple[str, str, str]] = [
    ("home", "Home", "desktop.views.home_page:HomePage"),
    ("affiliates", "Affiliates", "desktop.views.affiliates_page:AffiliatesPage"),
    ("recruiting", "Recruiting", "desktop.views.recruiting_page:RecruitingPage"),
    ("conversions", "Conversions", "desktop.views.conversions_page:ConversionsPage"),
    ("payouts", "Payouts", "desktop.views.payouts_page:PayoutsPage"),
    ("targets", "Targets", "desktop.views.targets_page:TargetsPage"),
    ("reports", "Reports", "desktop.views.reports_page:ReportsPage"),
    ("fraud", "Fraud & quality", "desktop.views.fraud_page:FraudPage"),
    ("messages", "Messages", "desktop.views.messages_page:MessagesPage"),
    ("plans", "Commission plans", "desktop.views.plans_page:PlansPage"),
    ("guidelines", "Guidelines & terms", "desktop.views.guidelines_page:GuidelinesPage"),
    ("assets", "Asset library", "desktop.views.assets_page:AssetsPage"),
    ("program", "Program", "desktop.views.program_page:ProgramPage"),
]


class LazyPages(Mapping[str, QWidget]):
    """`window.pages[key]`: the page, built on first use."""

    def __init__(self, window: MainWindow):
        self._window = window

    def __getitem__(self, key: str) -> QWidget:
        return self._window.page(key)

    def __iter__(self) -> Iterator[str]:
        return iter(key for key, _label, _where in PAGES)

    def __len__(self) -> int:
        return len(PAGES)


class MainWindow(QMainWindow):
    painted = Signal()
    database_changed = Signal()

    def __init__(self, db: Database, settings: QSettings | None = None, lock: InstanceLock | None = None):
        super().__init__()
        self.settings = settings or QSettings()
        self.db = db
        self._lock = lock
        self._painted = False
        self._automatic_backups = False  # start_automatic_backup turns them on (the real application does)
        self.setWindowTitle("Affiliate Desk")
        self.setMinimumSize(720, 520)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(190)
        self.stack = QStackedWidget()
        # Above every page while the open database is damaged: each page would otherwise fail on its own.
        self.damage_notice = QLabel()
        self.damage_notice.setObjectName("damageNotice")
        self.damage_notice.setWordWrap(True)
        self.damage_notice.setStyleSheet("color: #b3261e; padding: 8px 24px; font-weight: 600;")
        self.damage_notice.hide()
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(self.damage_notice)
        right.addWidget(self.stack, 1)
        layout.addWidget(self.navigation)
        layout.addLayout(right, 1)
        self.setCentralWidget(central)
        self.navigation.currentRowChanged.connect(self._on_navigate)

        self.db_label = QLabel()
        self.statusBar().addPermanentWidget(self.db_label)
        self._build_menus()
        self._build_pages()
        self._remember_recent(db)
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 780)

    # pages --------------------------------------------------------------------------------------------

    def _build_pages(self) -> None:
        self.navigation.blockSignals(True)
        self.navigation.clear()
        while self.stack.count():
            widget = self.stack.widget(0)
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self._built: dict[str, QWidget] = {}
        self.pages = LazyPages(self)
        for key, label, _where in PAGES:
            self.stack.addWidget(QWidget())  # stands in until the page is first shown
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.navigation.addItem(item)
        self.navigation.blockSignals(False)
        self.db_label.setText(f"Database: {self.db.display_name}")
        self.damage_notice.hide()
        self.show_page("home")

    def page(self, key: str) -> QWidget:
        """The page for `key`, imported and built the first time it is needed."""
        built = self._built.get(key)
        if built is not None:
            return built
        index = [k for k, _label, _where in PAGES].index(key)
        module_name, class_name = PAGES[index][2].split(":")
        page_class = getattr(importlib.import_module(module_name), class_name)
        page: QWidget = page_class(self.db)
        placeholder = self.stack.widget(index)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        if current == index:
            self.stack.setCurrentIndex(index)
        self._built[key] = page
        if key == "home":
            welcome = page.welcome  # type: ignore[attr-defined]
            welcome.load_demo_requested.connect(self.load_demo)
            welcome.setup_requested.connect(lambda: self.show_page("program"))
            welcome.import_requested.connect(self.import_affiliates)
        elif key == "program":
            page.saved.connect(self.refresh_all)  # type: ignore[attr-defined]
        elif key == "guidelines":
            page.announcement_drafted.connect(self.draft_announcement)  # type: ignore[attr-defined]
        for model in page.findChildren(QAbstractItemModel):  # tables paging rows in as they scroll: no caller to
            failed = getattr(model, "load_failed", None)  # catch a failed query, so they tell it here
            if failed is not None:
                failed.connect(self.report_database_error)
        return page

    def draft_announcement(self, announcement: object) -> None:
        """An announcement from the guidelines page becomes a draft on the Messages page, shown there."""
        self.show_page("messages")
        self.page("messages").take_announcement(announcement)  # type: ignore[attr-defined]

    def page_keys(self) -> list[str]:
        return [self.navigation.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.navigation.count())]

    def show_page(self, key: str) -> None:
        index = self.page_keys().index(key)
        if self.navigation.currentRow() != index:
            self.navigation.setCurrentRow(index)
        else:
            self._on_navigate(index)

    def current_page_key(self) -> str:
        return self.page_keys()[self.navigation.currentRow()]

    def _on_navigate(self, row: int) -> None:
        if row < 0:
            return
        leaving = self.stack.currentWidget()
        keep = getattr(leaving, "keep_unsaved", None)
        try:
            if keep is not None and leaving is not self._built.get(PAGES[row][0]):
                keep()  # drafts are saved as the page is left (settings not saved stay in their form, named at close)
            page = self.page(PAGES[row][0])
            refresh = getattr(page, "refresh", None)
            if refresh is not None:
                refresh()
        except QueryError as exc:  # the page shows what it has; the window says what failed
            self.report_database_error(exc)
        finally:  # whatever happened, the page highlighted is the page shown
            self.stack.setCurrentIndex(row)

    def refresh_all(self) -> None:
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if refresh is not None:
            try:
                refresh()
            except QueryError as exc:
                self.report_database_error(exc)

    def report_database_error(self, exc: BaseException) -> None:
        """A query under a page failed: a damaged file is told above every page until another database is open,
        any other failure in the status bar. In the user's words either way, never the SQL."""
        if is_damage(exc):
            self.damage_notice.setText(error_text(exc))
            self.damage_notice.show()
        else:
            self.statusBar().showMessage(error_text(exc), 15_000)

    # menus --------------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = QAction("&New database…", self, shortcut=QKeySequence.StandardKey.New)
        self.new_action.triggered.connect(self.new_database)
        self.open_action = QAction("&Open database…", self, shortcut=QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_database)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.backup_action = QAction("&Back up…", self)
        self.backup_action.triggered.connect(self.back_up)
        self.restore_action = QAction("&Restore a backup…", self)
        self.restore_action.triggered.connect(self.choose_backup)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.insertAction(self.recent_menu.menuAction(), self.new_action)
        file_menu.insertAction(self.recent_menu.menuAction(), self.open_action)
        file_menu.addSeparator()
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.restore_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Affiliate Desk", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)
        self._fill_recent_menu()

    def recent_databases(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember_recent(self, db: Database) -> None:
        name = str(db.path) if db.path is not None else db.url.render_as_string(hide_password=False)
        recent = [name] + [r for r in self.recent_databases() if r != name]
        self.settings.setValue("files/recent", recent[:MAX_RECENT])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_databases()
        for name in recent:
            action = self.recent_menu.addAction(name)
            action.triggered.connect(lambda _checked=False, n=name: self.switch_database(n))
        self.recent_menu.setEnabled(bool(recent))

    # file actions -------------------------------------------------------------------------------------

    def _start_folder(self) -> str:
        folder = self.settings.value("files/last_folder", "")
        if folder:
            return str(folder)
        return str(self.db.path.parent) if self.db.path else str(Path.home())

    def new_database(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "New database",
            str(Path(self._start_folder()) / "affiliate-desk.sqlite3"),
            "Affiliate Desk database (*.sqlite3)",
        )
        if not path:
            return
        if Path(path).exists():
            QMessageBox.warning(self, "New database", f"{path} already exists. Use File ▸ Open database… for it.")
            return
        self.switch_database(path)

    def choose_database(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open database", self._start_folder(), "Affiliate Desk database (*.sqlite3);;All files (*)"
        )
        if path:
            self.switch_database(path)

    def switch_database(self, target: str, *, ask: bool = True) -> bool:
        """Open another database in this window; on any problem the current one stays open."""
        if ask and not self.keep_unsaved_edits("Open the other database"):
            return False
        lock: InstanceLock | None = None
        try:
            db = open_database(target)
            if db.path is not None and (self.db.path is None or db.path != self.db.path):
                lock = InstanceLock(db.path)
                lock.acquire()
        except DatabaseError as exc:
            QMessageBox.warning(self, "Cannot open the database", str(exc))
            return False
        old, old_lock = self.db, self._lock
        self.db = db
        if lock is not None:
            self._lock = lock
            if old_lock is not None:
                old_lock.release()
        old.dispose()
        if db.path is not None:
            self.settings.setValue("files/last_folder", str(db.path.parent))
        self._remember_recent(db)
        self._build_pages()
        self.statusBar().showMessage(f"Opened {db.display_name}", 5000)
        self.database_changed.emit()
        if self._automatic_backups:
            self.start_automatic_backup()
        return True

    def back_up(self) -> None:
        if not self.db.is_sqlite:
            QMessageBox.information(self, "Back up", "A PostgreSQL database is backed up on its server (pg_dump).")
            return
        assert self.db.path is not None
        suggested = Path(self._start_folder()) / f"{self.db.path.stem}-backup.sqlite3"
        path, _ = QFileDialog.getSaveFileName(
            self, "Back up the database", str(suggested), "Affiliate Desk database (*.sqlite3)"
        )
        if not path:
            return
        try:
            backup_database(self.db, path)
        except Exception as exc:  # shown to the user; the database itself is untouched
            QMessageBox.warning(self, "Backup failed", str(exc))
            return
        self.statusBar().showMessage(f"Backup written to {path}", 8000)

    def choose_backup(self) -> None:
        """File ▸ Restore a backup…: pick one (the automatic ones are offered first), confirm, restore, reopen."""
        if not self.db.is_sqlite or self.db.path is None:
            QMessageBox.information(self, "Restore", "A PostgreSQL database is restored on its server (pg_restore).")
            return
        folder = self.db.path.parent / BACKUP_FOLDER
        path, _ = QFileDialog.getOpenFileName(
            self, "Restore a backup", str(folder if folder.is_dir() else self._start_folder()),
            "Affiliate Desk database (*.sqlite3);;All files (*)",
        )  # fmt: skip
        if path:
            self.restore_backup(Path(path))

    def restore_backup(self, source: Path) -> bool:
        """Replace the open database by a backup, after asking; the data it replaces is kept aside."""
        assert self.db.path is not None
        target = self.db.path
        if source.resolve() == target.resolve():
            QMessageBox.warning(self, "Restore", "That is the open database itself: choose a backup of it.")
            return False
        aside = restore_aside_path(target)
        answer = QMessageBox.question(
            self, "Restore a backup",
            f"Replace everything in {target.name} by the backup {source.name}? Whatever changed since that backup "
            f"is lost from the database; the data as it is now is kept aside as {aside.name}.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes or not self.keep_unsaved_edits("Restore the backup"):
            return False
        self.db.dispose()
        try:
            restore_database(target, source)
        except Exception as exc:  # a damaged or foreign file: nothing was replaced
            QMessageBox.warning(self, "Restore failed", str(exc))
            return False
        if self.switch_database(str(target), ask=False):
            self.statusBar().showMessage(f"Restored from {source}; the data before is in {aside.name}", 10_000)
            return True
        return False

    def start_automatic_backup(self) -> None:
        """The day's automatic backup, in the background after the window opened (see maintenance)."""
        db = self.db

        def done(made: object) -> None:
            if isinstance(made, Path):
                self.statusBar().showMessage(f"Today's automatic backup: {made}", 8000)

        def failed(exc: object) -> None:  # the data is fine; say so without a dialog in the way
            self.statusBar().showMessage(f"The automatic backup could not be made: {exc}", 15_000)

        self._automatic_backups = True  # from now on for every database this window opens (switch_database)
        self.backup_task = Task(lambda _progress: automatic_backup(db), self)
        self.backup_task.finished.connect(done)
        self.backup_task.failed.connect(failed)
        self.backup_task.start()

    def load_demo(self) -> None:
        db = self.db

        def done(summary: object) -> None:
            self.statusBar().showMessage("Demo data loaded.", 5000)
            self.show_page("home")

        def failed(exc: Exception) -> None:
            QMessageBox.warning(self, "Demo data", str(exc))

        from desktop.services.demo import load_full_demo

        self.demo_task = run_with_progress(
            self, "Loading demo data…", lambda progress: load_full_demo(db, progress=progress), done, failed
        )

    def import_affiliates(self) -> None:
        page = self.page("affiliates")
        if page.import_file():  # type: ignore[attr-defined]
            self.show_page("affiliates")

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About Affiliate Desk",
            f"<b>Affiliate Desk {__version__}</b><p>Run your affiliate program on your own computer: "
            "partners, commissions, payouts and reports, from your shop's own export files.</p>"
            f"<p>Database: {self.db.display_name}</p>",
        )

    # window life --------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.painted.emit()

    def keep_unsaved_edits(self, leaving: str) -> bool:
        """Before the window closes or another database opens: every page keeps its drafts (guidelines, messages,
        screening); edits only a Save may keep (program settings, a plan) are named, and the user may stay.
        Whether to go on."""
        left = [(key, text) for key, page in self._built.items()
                if (text := getattr(page, "keep_unsaved", lambda: None)())]  # fmt: skip
        if not left:
            return True
        names = "\n".join(f"• {text}" for _key, text in left)
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Changes not saved", f"These changes are not saved:\n{names}\n\n{leaving} without them?",
            buttons.Discard | buttons.Cancel, buttons.Cancel,
        )  # fmt: skip
        if answer == buttons.Discard:
            return True
        self.show_page(left[0][0])
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.keep_unsaved_edits("Close"):
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        self.db.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        super().closeEvent(event)
