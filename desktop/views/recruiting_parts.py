"""The recruiting page's candidate table model and the dialog that asks why a candidate is approved or rejected."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.services.recruiting import Candidate
from desktop.views.page_parts import FieldError

COL_NAME, COL_FIT, COL_FOLLOWERS, COL_ENGAGEMENT, COL_SCREENING, COL_RISK = range(6)
_HEADERS = ("Name", "Fit", "Followers", "Engagement", "Screening", "Risk")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the Candidate itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value
Index = QModelIndex | QPersistentModelIndex


def fit_colour(total: int) -> QColor:
    return QColor("#1f6f5c") if total >= 70 else QColor("#9a6700") if total >= 40 else QColor("#8a8f8d")


class CandidateTableModel(QAbstractTableModel):
    """One stage's candidates; rows are set by the page, never queried here."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: tuple[Candidate, ...] = ()

    def set_rows(self, rows: tuple[Candidate, ...]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_of(self, affiliate_id: int) -> int:
        return next((i for i, c in enumerate(self._rows) if c.id == affiliate_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c, col = self._rows[index.row()], index.column()
        if role == ROW_ROLE:
            return c
        if role == SORT_ROLE:
            rate = c.best_engagement if c.best_engagement is not None else -1
            raw = (c.name.casefold(), c.fit.total, c.total_followers, rate, c.screening_done, c.risk_rating or "")
            return raw[col]
        if role == Qt.ItemDataRole.DisplayRole:
            engagement = "—" if c.best_engagement is None else f"{c.best_engagement.normalize():f} %"
            done = f"{c.screening_done} of {c.screening_total}" if c.screening_done else "not started"
            risk = (c.risk_rating or "—").capitalize()
            return (c.name, str(c.fit.total), f"{c.total_followers:,}", engagement, done, risk)[col]
        if role == Qt.ItemDataRole.ToolTipRole:  # a tooltip with a tag in it is shown as rich text: escaped
            return "<br>".join(escape(line) for line in (f"{c.name} ({c.code})", *c.fit.explanation))
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_FIT:
            return QBrush(fit_colour(c.fit.total))
        if role == Qt.ItemDataRole.FontRole and col == COL_FIT:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_FIT, COL_FOLLOWERS, COL_ENGAGEMENT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ReasonDialog(QDialog):
    """Asks why; `submit(reason)` does the work and returns an error to show next to the field, or None."""

    def __init__(self, parent: QWidget, title: str, prompt: str, verb: str, submit: Callable[[str], str | None]):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self._submit = submit
        layout = QVBoxLayout(self)
        self.prompt = QLabel(prompt)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("One sentence is enough")
        self.error = FieldError()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # service errors quote names
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(verb)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for widget in (self.prompt, self.reason, self.error, buttons):
            layout.addWidget(widget)

    def accept(self) -> None:
        reason = self.reason.text().strip()
        error = "Write the reason: it is kept in the partner's history." if not reason else self._submit(reason)
        self.error.show_message(error)
        if error is None:
            super().accept()
        else:
            self.adjustSize()  # make room for the message without clipping the prompt
