"""Import affiliates from a CSV or XLSX file: choose it, see what would change and what is wrong, then import."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.affiliate_files import ImportPreview, ImportResult, import_affiliates, preview_affiliate_import
from desktop.services.errors import BadInput
from desktop.views.tasks import Task, run_with_progress

FILE_FILTER = "Affiliate files (*.csv *.xlsx);;CSV files (*.csv);;Excel workbooks (*.xlsx)"
FOLDER_SETTING = "affiliate_import/folder"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_Index = QModelIndex | QPersistentModelIndex


class TextTableModel(QAbstractTableModel):
    """A read-only table of texts: the recognised columns, the problems, the sample rows."""

    def __init__(self, headers: Sequence[str] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self._headers: tuple[str, ...] = tuple(headers)
        self._rows: list[tuple[str, ...]] = []

    def set_rows(self, rows: Sequence[Sequence[object]], headers: Sequence[str] | None = None) -> None:
        self.beginResetModel()
        if headers is not None:
            self._headers = tuple(headers)
        self._rows = [tuple("" if cell is None else str(cell) for cell in row) for row in rows]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self._rows[index.row()]
        return row[index.column()] if index.column() < len(row) else ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if section < len(self._headers) else None
        return str(section + 1)


def _table(model: TextTableModel, stretch_last: bool = True) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


class AffiliateImportDialog(QDialog):
    """Preview a file of affiliates, then import it off the GUI thread; `.result` (ImportResult) after accept."""

    previewed = Signal()  # a preview is on screen (with or without problems)

    def __init__(self, db: Database, path: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.path: Path | None = None
        self.preview: ImportPreview | None = None
        # Shadows QDialog.result() on purpose: callers read `dialog.result` as the import's outcome.
        self.result: ImportResult | None = None  # type: ignore[assignment]
        self.task: Task | None = None
        self.setWindowTitle("Import affiliates")
        self.resize(960, 680)

        self.file_label = QLabel("No file chosen. Columns: code and name, then any of email, status, plan, …")
        self.file_label.setWordWrap(True)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.choose_file)
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.choose_button)

        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.columns_model = TextTableModel(("Column in the file", "Meaning"), self)
        self.columns_view = _table(self.columns_model)
        self.problems_model = TextTableModel(("Line", "Column", "Problem"), self)
        self.problems_view = _table(self.problems_model)
        self.problems_label = QLabel("Problems — fix them in the file, then choose it again:")
        self.problems_label.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.sample_model = TextTableModel((), self)
        self.sample_view = _table(self.sample_model, stretch_last=False)
        self.sample_label = QLabel("First rows of the file:")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)  # `accepted` stays unconnected: accept() follows a successful import

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addWidget(QLabel("Columns recognised:"))
        layout.addWidget(self.columns_view, 2)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems_view, 3)
        layout.addWidget(self.sample_label)
        layout.addWidget(self.sample_view, 3)
        layout.addWidget(self.buttons)
        self._show_problems(False)
        if path is not None:
            self.set_path(path)

    # choosing and previewing ---------------------------------------------------------------------------

    def choose_file(self) -> None:
        settings = QSettings()
        folder = str(settings.value(FOLDER_SETTING, str(Path.home())))
        name, _ = QFileDialog.getOpenFileName(self, "Choose a file of affiliates", folder, FILE_FILTER)
        if name:
            settings.setValue(FOLDER_SETTING, str(Path(name).parent))
            self.set_path(Path(name))

    def set_path(self, path: Path) -> None:
        """Preview `path` in the background; `previewed` is emitted when it is shown."""
        self.path, self.preview = Path(path), None
        self.import_button.setEnabled(False)
        self.file_label.setText(str(self.path))
        self.summary_label.setText(f"Reading {self.path.name}…")
        db, chosen = self.db, self.path
        self._start(
            f"Reading {chosen.name}…",
            lambda progress: preview_affiliate_import(db, chosen, progress=progress),
            self._show_preview,
            self._preview_failed,
        )

    def _show_preview(self, preview: ImportPreview) -> None:
        self.preview = preview
        self._set_busy(False)
        counts = f"{preview.new:,} new / {preview.updated:,} updated / {preview.unchanged:,} unchanged"
        details = [preview.file, preview.kind.upper()]
        if preview.encoding:
            details.append(f"encoding {preview.encoding}")
        if preview.delimiter:
            details.append(f"delimiter {_DELIMITER_NAMES.get(preview.delimiter, repr(preview.delimiter))}")
        text = f"{' · '.join(details)} — {counts}"
        if preview.problems:
            count = len(preview.problems)
            text += f" — {count:,} problem{'s' if count != 1 else ''}: nothing can be imported until they are fixed"
        self.summary_label.setText(text)
        self.columns_model.set_rows(preview.columns)
        self.columns_view.resizeColumnToContents(0)
        self._set_problems(preview.problems)
        self.sample_model.set_rows(preview.sample, preview.header)
        self.sample_view.resizeColumnsToContents()
        self.import_button.setEnabled(preview.ok)
        self.previewed.emit()

    def _preview_failed(self, exc: Exception) -> None:
        self._set_busy(False)
        self.summary_label.setText(f"{self.path.name if self.path else 'The file'} could not be read: {exc}")
        self.previewed.emit()

    def _set_problems(self, problems: Sequence[Any]) -> None:
        rows = [("" if p.line is None else str(p.line), p.column or "", p.message) for p in problems]
        self.problems_model.set_rows(rows)
        self.problems_view.resizeColumnToContents(0)
        self.problems_view.resizeColumnToContents(1)
        self._show_problems(bool(rows))

    def _show_problems(self, visible: bool) -> None:
        self.problems_label.setVisible(visible)
        self.problems_view.setVisible(visible)

    # importing ------------------------------------------------------------------------------------------

    def start_import(self) -> None:
        if self.path is None or self.preview is None or not self.preview.ok:
            return
        db, chosen = self.db, self.path
        self.summary_label.setText(f"Importing {chosen.name}…")
        self._start(
            f"Importing {chosen.name}…",
            lambda progress: import_affiliates(db, chosen, progress=progress),
            self._imported,
            self._import_failed,
        )

    def _imported(self, result: ImportResult) -> None:
        self.result = result
        self._set_busy(False)
        self.accept()

    def _import_failed(self, exc: Exception) -> None:
        self._set_busy(False)
        if isinstance(exc, BadInput):  # the file or the database changed since the preview
            self.preview = None
            self.import_button.setEnabled(False)
            self._set_problems([p for p in exc.problems if hasattr(p, "message")])
            count = len(exc.problems)
            self.summary_label.setText(f"The import was refused and nothing was changed: {count} problem(s).")
        else:
            self.summary_label.setText(f"The import failed and nothing was changed: {exc}")

    def _cancelled(self) -> None:
        self._set_busy(False)
        self.summary_label.setText("Cancelled; nothing was changed.")

    def _start(self, title: str, func: Any, on_done: Any, on_error: Any) -> None:
        self._set_busy(True)
        self.task = run_with_progress(self, title, func, on_done, on_error)
        self.task.cancelled.connect(self._cancelled)

    def _set_busy(self, busy: bool) -> None:
        self.choose_button.setEnabled(not busy)
        if busy:
            self.import_button.setEnabled(False)
        elif self.preview is not None:
            self.import_button.setEnabled(self.preview.ok)
