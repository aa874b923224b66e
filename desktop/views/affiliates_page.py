"""Affiliates: the table of every partner, with search, filters, bulk status changes, import and export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.affiliate_files import export_affiliates
from desktop.services.affiliates import (
    AffiliateFilter,
    affiliate_ids,
    change_status,
    count_affiliates,
    delete_affiliate,
    list_affiliates,
    list_tags,
)
from desktop.services.errors import ServiceError
from desktop.services.fraud_rules import plural
from desktop.services.quality_score import quality_scores
from desktop.views.affiliate_table_model import COL_NAME, COL_TAGS, AffiliateTableModel
from desktop.views.page_parts import page_title
from desktop.views.tasks import Task

STATUSES = ("prospect", "applied", "screening", "active", "paused", "terminated", "rejected")
REASON_REQUIRED = ("terminated", "rejected")


class AffiliatesPage(QWidget):
    title = "Affiliates"
    data_changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.filter = AffiliateFilter()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 12)
        layout.addWidget(page_title("Affiliates", "Every partner on file. Double-click one for the details."))

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search code, name, email, coupon or tag…")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("All statuses", None)
        self.status_filter.addItem("Pipeline (prospect, applied, screening)", ("prospect", "applied", "screening"))
        for status in STATUSES:
            self.status_filter.addItem(status.capitalize(), (status,))
        self.tag_filter = QComboBox()
        self.new_button = QPushButton("New affiliate…")
        self.new_button.setObjectName("primary")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        bar.addWidget(self.search, 2)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.tag_filter)
        bar.addStretch(1)
        bar.addWidget(self.import_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.new_button)
        layout.addLayout(bar)

        self.model = AffiliateTableModel(self._fetch_page, self._count, self)
        self.model.rowsInserted.connect(lambda *_: self._score_rows())
        self.model.modelReset.connect(self._score_rows)
        self._scoring: Task | None = None
        self._scoring_done = True
        self._rescore = False
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(COL_TAGS, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        layout.addWidget(self.count_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(150)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.status_filter.currentIndexChanged.connect(self.apply_filter)
        self.tag_filter.currentIndexChanged.connect(self.apply_filter)
        self.table.doubleClicked.connect(lambda index: self.open_detail(self.model.row_at(index.row()).id))
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.new_button.clicked.connect(self.new_affiliate)
        self.import_button.clicked.connect(lambda: self.import_file())
        self.export_button.clicked.connect(lambda: self.export(selected_only=False))
        self._loaded = False

    # data ---------------------------------------------------------------------------------------------

    def _fetch_page(self, sort: str, descending: bool, offset: int, limit: int):  # type: ignore[no-untyped-def]
        return list_affiliates(self.db, self.filter, sort=sort, descending=descending, offset=offset, limit=limit)

    def _count(self) -> int:
        return count_affiliates(self.db, self.filter)

    def refresh(self) -> None:
        current_tag = self.tag_filter.currentData()
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem("All tags", None)
        for tag in list_tags(self.db):
            self.tag_filter.addItem(tag, tag)
        self.tag_filter.setCurrentIndex(max(0, self.tag_filter.findData(current_tag)))
        self.tag_filter.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        self._search_timer.stop()
        statuses = self.status_filter.currentData() or ()
        self.filter = AffiliateFilter(
            search=self.search.text().strip(), statuses=tuple(statuses), tag=self.tag_filter.currentData()
        )
        self.model.reload()
        total = self.model.total
        text = f"{total:,} affiliate{'s' if total != 1 else ''}"
        narrowed = bool(self.filter.search or self.filter.statuses or self.filter.tag)
        if not total and narrowed:  # a blank table says nothing of why
            text = "No affiliate matches the search and filters: clear them to see everyone."
        elif not total:
            text = "No affiliates yet: add one with New affiliate…, or import a file of them with Import…"
        self.count_label.setText(text)

    def _score_rows(self) -> None:
        """Traffic quality takes a few queries per page: scored in the background, shown when ready."""
        ids = self.model.unscored_ids()
        if not ids:
            return
        if not self._scoring_done:
            self._rescore = True  # asked again once the running one is in
            return
        db = self.db
        self._scoring_done, self._rescore = False, False
        self._scoring = Task(lambda _progress: quality_scores(db, ids), self)
        self._scoring.finished.connect(self._scored)
        self._scoring.failed.connect(lambda _exc: self._scored({}))
        self._scoring.start()

    def _scored(self, scores: dict) -> None:  # type: ignore[type-arg]
        self._scoring_done = True
        self.model.set_scores(scores)
        if self._rescore:
            self._score_rows()

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.row_at(row).id for row in rows]

    # actions ------------------------------------------------------------------------------------------

    def _context_menu(self, pos: QPoint) -> None:
        if not self.selected_ids():
            index = self.table.indexAt(pos)
            if not index.isValid():
                return
            self.table.selectRow(index.row())
        menu = self.build_context_menu()
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def build_context_menu(self) -> QMenu:
        ids = self.selected_ids()
        menu = QMenu(self)
        edit = menu.addAction("Edit…")
        edit.setEnabled(len(ids) == 1)
        edit.triggered.connect(lambda: self.edit_affiliate(ids[0]))
        status_menu = menu.addMenu(f"Change status ({len(ids)})")
        for status in STATUSES:
            action = QAction(status.capitalize(), status_menu)
            action.triggered.connect(lambda _c=False, s=status: self.ask_status_change(ids, s))
            status_menu.addAction(action)
        note = menu.addAction("Add note…")
        note.setEnabled(len(ids) == 1)
        note.triggered.connect(lambda: self.ask_note(ids[0]))
        menu.addSeparator()
        export = menu.addAction(f"Export selection ({len(ids)})…")
        export.triggered.connect(lambda: self.export(selected_only=True))
        delete = menu.addAction("Delete…")
        delete.setEnabled(len(ids) == 1)
        delete.triggered.connect(lambda: self.ask_delete(ids[0]))
        return menu

    def ask_status_change(self, ids: list[int], status: str) -> None:
        who = "is this affiliate" if len(ids) == 1 else f"are these {len(ids):,} affiliates"
        prompt = f"Why {who} now {status}?"
        prompt += " (required: it is kept in their history)" if status in REASON_REQUIRED else " (optional)"
        reason, ok = QInputDialog.getText(self, "Change status", prompt)
        if ok:
            self.set_status(ids, status, reason.strip() or None)

    def set_status(self, ids: list[int], status: str, reason: str | None) -> int:
        try:
            changed = change_status(self.db, ids, status, reason)
        except ServiceError as exc:
            QMessageBox.warning(self, "Change status", str(exc))
            return 0
        self._after_change(f"{plural(changed, 'affiliate')} now {status}.")
        return changed

    def ask_note(self, affiliate_id: int) -> None:
        from desktop.services.affiliates import add_note

        text, ok = QInputDialog.getMultiLineText(self, "Add note", "Note:")
        if ok and text.strip():
            add_note(self.db, affiliate_id, text)
            self._after_change("Note added.")

    def ask_delete(self, affiliate_id: int) -> None:
        answer = QMessageBox.question(self, "Delete affiliate", "Delete this affiliate for good?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            delete_affiliate(self.db, affiliate_id)
        except ServiceError as exc:
            QMessageBox.information(self, "Cannot delete", str(exc))
            return
        self._after_change("Affiliate deleted.")

    def new_affiliate(self) -> None:
        from desktop.views.affiliate_dialog import AffiliateDialog

        dialog = AffiliateDialog(self.db, parent=self)
        if dialog.exec():
            self._after_change("Affiliate created.")

    def edit_affiliate(self, affiliate_id: int) -> None:
        from desktop.views.affiliate_dialog import AffiliateDialog

        dialog = AffiliateDialog(self.db, affiliate_id, parent=self)
        if dialog.exec():
            self._after_change("Affiliate saved.")

    def open_detail(self, affiliate_id: int) -> None:
        from desktop.views.affiliate_detail import AffiliateDetailDialog

        dialog = AffiliateDetailDialog(self.db, affiliate_id, self)
        dialog.exec()
        if dialog.changed:
            self._after_change("")

    def import_file(self, path: Path | None = None) -> bool:
        from desktop.views.affiliate_import_dialog import AffiliateImportDialog

        dialog = AffiliateImportDialog(self.db, path, self)
        if dialog.exec():
            self._after_change("Affiliates imported.")
            return True
        return False

    def export(self, *, selected_only: bool) -> None:
        ids = self.selected_ids() if selected_only else affiliate_ids(self.db, self.filter)
        settings = QSettings()
        folder = str(settings.value("files/export_folder", str(Path.home())))
        path, _ = QFileDialog.getSaveFileName(
            self, "Export affiliates", str(Path(folder) / "affiliates.xlsx"), "Excel workbook (*.xlsx);;CSV (*.csv)"
        )
        if not path:
            return
        try:
            written = export_affiliates(self.db, Path(path), affiliate_ids=ids)
        except (ServiceError, OSError) as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
            return
        settings.setValue("files/export_folder", str(Path(path).parent))
        self.count_label.setText(f"{written:,} affiliates written to {path}")

    def _after_change(self, message: str) -> None:
        self.refresh()
        if message:
            self.count_label.setText(f"{self.count_label.text()} · {message}")
        self.data_changed.emit()
