"""Small building blocks shared by the pages: titles, KPI cards, field error labels, read-only tables, error texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.db import QueryError, driver_message, is_damage

RESTORE_ADVICE = "Restore a backup: File ▸ Restore a backup…"


class FormScrollArea(QScrollArea):
    """A scroll area for a form with wrapping texts (hints, messages, advice): its content is as tall as the texts
    need at the width it is shown at.

    A plain QScrollArea gives its content the minimum height the texts would need on one line each; where the form
    is taller than the view, the wrapped texts were cut off.
    """

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(content)
        content.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        self._fit()
        super().resizeEvent(event)

    def _fit(self) -> None:
        content, layout = self.widget(), self.widget().layout()
        if layout is not None and layout.hasHeightForWidth():
            content.setMinimumHeight(layout.totalHeightForWidth(self.viewport().width()))


def page_title(text: str, subtitle: str = "") -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 8)
    title = QLabel(text)
    title.setObjectName("pageTitle")
    layout.addWidget(title)
    if subtitle:
        sub = QLabel(subtitle)
        sub.setObjectName("pageSubtitle")
        sub.setWordWrap(True)
        layout.addWidget(sub)
    return box


class WrappedLabel(QLabel):
    """A word-wrapped label that asks for the height its lines need at the width it has (a hint or a message).

    In a form row (QFormLayout) a wrapped label was given the height of one line: a two-line message then
    squashed the field above it and ran into the next row.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setWordWrap(True)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        needed = self.heightForWidth(self.width()) if self.width() > 0 else -1
        if needed > 0:
            self.setMinimumHeight(needed)


class FieldError(WrappedLabel):
    """The validation message shown right under a form field; hidden while the field is fine."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("", parent)
        self.setProperty("role", "fieldError")
        self.setStyleSheet("color: #b3261e;")
        self.setWordWrap(True)
        self.hide()

    def show_message(self, message: str | None) -> None:
        self.setText(message or "")
        self.setVisible(bool(message))


class Card(QFrame):
    """A KPI tile: a big value with a label under it."""

    def __init__(self, label: str, value: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        self.value_label = QLabel(value)
        self.value_label.setObjectName("cardValue")
        self.caption = QLabel(label)
        self.caption.setObjectName("cardLabel")
        self.caption.setWordWrap(True)
        layout.addWidget(self.value_label)
        layout.addWidget(self.caption)

    def set_value(self, value: str) -> None:
        self.value_label.setText(value)


class FormGrid(QGridLayout):
    """A form's rows (label, field) on a grid: QFormLayout gave a row with a message of two lines the height of
    one, squashing the field above it and clipping the message; a grid measures wrapped texts by their width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnStretch(1, 1)
        self.setHorizontalSpacing(12)
        self.setVerticalSpacing(8)
        self._rows = 0

    def addRow(self, label: str, field: QWidget) -> None:  # noqa: N802 (QFormLayout's name, for add_form_field)
        row = self._rows
        caption = QLabel(label)
        caption.setBuddy(field)
        caption.setContentsMargins(0, 3, 0, 0)  # level with the text in the field beside it
        self.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.addWidget(field, row, 1)
        self._rows += 1
        self.setRowStretch(row, 0)
        self.setRowStretch(self._rows, 1)  # the rows keep to the top, as a form's do


def add_form_field(form: QFormLayout | FormGrid, label: str, widget: QWidget, hint: str = "") -> FieldError:
    """A form row: the field, an optional grey hint under it, and its (hidden) validation message under that."""
    cell = QWidget()
    # The cell takes the whole field column, so that a hint wraps at its width and not at a short combo box's
    # (there it was cut off); a field that does not grow keeps its own width, on the left.
    cell.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    box = QVBoxLayout(cell)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(2)
    grows = widget.sizePolicy().horizontalPolicy().value & QSizePolicy.PolicyFlag.ExpandFlag.value
    top = Qt.AlignmentFlag.AlignTop  # a field of limited height stays next to its label
    box.addWidget(widget, 0, top if grows else top | Qt.AlignmentFlag.AlignLeft)
    if hint:
        hint_label = WrappedLabel(hint)
        hint_label.setObjectName("pageSubtitle")
        box.addWidget(hint_label)
    error = FieldError()
    box.addWidget(error)
    form.addRow(label, cell)
    return error


def table_of(headers: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> QTableWidget:
    """A read-only table of these rows (None shown as empty), sized to its contents."""
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
    table.horizontalHeader().setStretchLastSection(True)
    table.resizeColumnsToContents()
    return table


def error_text(exc: BaseException) -> str:
    """An error in the user's words. A database error is its driver's sentence, without the SQL statement and the
    parameters SQLAlchemy's text carries; a damaged file's says what to do about it."""
    if isinstance(exc, QueryError) and is_damage(exc):
        return f"This database file is damaged ({driver_message(exc)}). {RESTORE_ADVICE}"
    if isinstance(exc, QueryError):
        return f"The database could not answer: {driver_message(exc)}"
    return str(exc) or type(exc).__name__
