"""The feedback log of one affiliate (for the affiliate dialog), and the dialog that writes an entry."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.services.feedback import (
    KIND_LABELS,
    FeedbackEntry,
    FeedbackInput,
    add_feedback,
    delete_feedback,
    list_feedback,
    update_feedback,
    validate_feedback,
)
from desktop.services.fraud_rules import period_label, shift_period
from desktop.views.page_parts import FieldError

KIND_COLOURS = {"praise": "#1f6f5c", "coaching": "#3b5b92", "warning": "#b3261e", "reward": "#9a6700"}
MONTHS_OFFERED = 24


class FeedbackDialog(QDialog):
    """Write (or edit) one entry: load() / validate() / save(); Ctrl+Enter saves, Esc cancels."""

    def __init__(self, db: Database, affiliate_id: int, entry: FeedbackEntry | None = None,
                 parent: QWidget | None = None):  # fmt: skip
        super().__init__(parent)
        self.db, self.affiliate_id, self.entry = db, affiliate_id, entry
        self.saved_id: int | None = None
        self.setWindowTitle("Edit feedback" if entry else "Add feedback")
        self.setMinimumWidth(460)
        form = QFormLayout(self)
        self.kind = QComboBox()
        for key, label in KIND_LABELS.items():
            self.kind.addItem(label, key)
        self.written_on = QDateEdit()
        self.written_on.setCalendarPopup(True)
        self.written_on.setDisplayFormat("yyyy-MM-dd")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("What you tell them. It is printed in their performance review of the month, "
                                     "which they may read: write it to them.")
        self.errors = {key: FieldError() for key in ("kind", "written_on", "text")}
        for label, key, widget in (("Kind", "kind", self.kind), ("Date", "written_on", self.written_on),
                                   ("Feedback", "text", self.text)):  # fmt: skip
            cell = QVBoxLayout()
            cell.addWidget(widget)
            cell.addWidget(self.errors[key])
            form.addRow(label, cell)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Save (Ctrl+Enter)")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.text.installEventFilter(self)  # Ctrl+Enter in the text saves; a plain Enter is a new line
        self.load()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.text and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):  # fmt: skip
            self.accept()
            return True
        return super().eventFilter(watched, event)

    def load(self) -> None:
        entry = self.entry
        self.kind.setCurrentIndex(max(0, self.kind.findData(entry.kind if entry else "praise")))
        day = entry.written_on if entry else date.today()
        self.written_on.setDate(QDate(day.year, day.month, day.day))
        self.text.setPlainText(entry.text if entry else "")
        self.text.setFocus()

    def value(self) -> FeedbackInput:
        day = self.written_on.date()
        return FeedbackInput(self.kind.currentData(), self.text.toPlainText(), date(day.year(), day.month(), day.day()))

    def validate(self) -> bool:
        errors = validate_feedback(self.value())
        for key, label in self.errors.items():
            label.show_message(errors.get(key))
        return not errors

    def save(self) -> bool:
        if not self.validate():
            return False
        try:
            if self.entry is None:
                self.saved_id = add_feedback(self.db, self.affiliate_id, self.value())
            else:
                update_feedback(self.db, self.entry.id, self.value())
                self.saved_id = self.entry.id
        except ValidationFailed as exc:
            for key, message in exc.errors.items():
                self.errors.get(key, self.errors["text"]).show_message(message)
            return False
        except (ServiceError, DatabaseError) as exc:
            self.errors["text"].show_message(str(exc))
            return False
        return True

    def accept(self) -> None:
        if self.save():
            super().accept()


class FeedbackPanel(QWidget):
    """An affiliate's feedback, newest first, with filters by kind and month; add, edit, delete."""

    changed = Signal()

    def __init__(self, db: Database, affiliate_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.affiliate_id = db, affiliate_id
        self.entries: tuple[FeedbackEntry, ...] = ()
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.kind_filter, self.month_filter = QComboBox(), QComboBox()
        self.kind_filter.addItem("All kinds", None)
        for key, label in KIND_LABELS.items():
            self.kind_filter.addItem(label, key)
        self.month_filter.addItem("Any month", None)
        this_month = f"{date.today():%Y-%m}"
        for back in range(MONTHS_OFFERED):
            month = shift_period(this_month, -back)
            self.month_filter.addItem(period_label(month), month)
        self.add_button, self.edit_button = QPushButton("Add…"), QPushButton("Edit…")
        self.delete_button = QPushButton("Delete")
        for widget in (self.kind_filter, self.month_filter):
            filters.addWidget(widget)
            widget.currentIndexChanged.connect(lambda _i: self.refresh())
        filters.addStretch(1)
        for button in (self.add_button, self.edit_button, self.delete_button):
            filters.addWidget(button)
        layout.addLayout(filters)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(("Date", "Kind", "Feedback", "By"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col == 2
                                        else QHeaderView.ResizeMode.ResizeToContents)  # fmt: skip
        self.empty = QLabel("No feedback yet. Praise, coaching, warnings and rewards you note here are printed in "
                            "the affiliate's performance review of their month (the review you hand them); they "
                            "never go into newsletters or e-mails. Keep what is only for you as a note (Add note).")
        self.empty.setWordWrap(True)
        self.empty.setObjectName("pageSubtitle")
        self.error = FieldError()
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.delete_button.clicked.connect(self.delete)
        self.table.itemDoubleClicked.connect(lambda _item: self.edit())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.refresh()

    def refresh(self) -> None:
        try:
            self.entries = list_feedback(self.db, self.affiliate_id, period=self.month_filter.currentData(),
                                         kind=self.kind_filter.currentData())  # fmt: skip
        except (ServiceError, DatabaseError) as exc:
            self.error.show_message(str(exc))
            return
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            cells = (f"{entry.written_on:%Y-%m-%d}", entry.kind_label, entry.text, entry.author)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(entry.text)
                if col == 1:
                    item.setForeground(QBrush(QColor(KIND_COLOURS.get(entry.kind, "#1f2d2a"))))
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        self.empty.setVisible(not self.entries)
        self._selection_changed()

    def current(self) -> FeedbackEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        chosen = self.current() is not None
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _open(self, entry: FeedbackEntry | None) -> None:
        dialog = FeedbackDialog(self.db, self.affiliate_id, entry, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.refresh()
            self.changed.emit()

    def add(self) -> None:
        self._open(None)

    def edit(self) -> None:
        if (entry := self.current()) is not None:
            self._open(entry)

    def delete(self) -> None:
        entry = self.current()
        if entry is None:
            return
        answer = QMessageBox.question(self, "Delete feedback", f"Delete the {entry.kind_label.lower()} of "
                                      f"{entry.written_on:%d %b %Y}? This cannot be undone.")  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            delete_feedback(self.db, entry.id)
            self.refresh()
            self.changed.emit()

