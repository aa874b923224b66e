"""Parts of the plan editor: the editable rule tables (tiers, product rules) and the live example."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.money import MoneyError, parse_money
from desktop.services.commission_engine import PlanError, PlanTerms, explain_example

COL_KEY, COL_KIND, COL_VALUE = range(3)
_PROBLEM = QColor("#fde7e9")

Row = tuple[str, int, str]  # (threshold or SKU pattern, 0 = rate / 1 = flat amount, value as typed)


class RuleTable(QWidget):
    """Rows are edited in place; `changed` fires on every edit. Field keys look like "tiers[2].min"."""

    changed = Signal()

    def __init__(self, key_header: str, kinds: tuple[str, str], add_label: str, field: str,
                 parent: QWidget | None = None):  # fmt: skip
        super().__init__(parent)
        self.field = field
        self.kinds = kinds
        self._first_key = "min" if field == "tiers" else "sku"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([key_header, "Earns", "Rate (%) or amount"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_KEY, QHeaderView.ResizeMode.Stretch)
        # As wide as the choice box with its longest choice ("flat per unit"); sized to contents, the column took
        # the width of the boxes before they were laid out, and showed "fla".
        sample = QComboBox()
        sample.addItems(list(kinds))
        header.setSectionResizeMode(COL_KIND, QHeaderView.ResizeMode.Fixed)
        heading = header.fontMetrics().horizontalAdvance("Earns") + 16
        self.table.setColumnWidth(COL_KIND, max(sample.sizeHint().width(), heading))
        header.setSectionResizeMode(COL_VALUE, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(90)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(add_label)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(lambda: self.add_row(edit=True))
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        self.table.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        )
        self._fit_height()

    def set_first_header(self, text: str) -> None:
        self.table.setHorizontalHeaderItem(COL_KEY, QTableWidgetItem(text))

    def set_rows(self, rows: list[Row]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for row in rows:
            self._append(*row)
        self.table.blockSignals(False)
        self._fit_height()

    def rows(self) -> list[Row]:
        result = []
        for row in range(self.table.rowCount()):
            key, value = self.table.item(row, COL_KEY), self.table.item(row, COL_VALUE)
            kind = self.table.cellWidget(row, COL_KIND)
            assert isinstance(kind, QComboBox)
            key_text = key.text().strip() if key else ""
            result.append((key_text, kind.currentIndex(), value.text().strip() if value else ""))
        return result

    def _append(self, key: str, kind: int, value: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, COL_KEY, QTableWidgetItem(key))
        combo = QComboBox()
        combo.addItems(self.kinds)
        combo.setCurrentIndex(kind)
        combo.currentIndexChanged.connect(lambda _index: self.changed.emit())
        self.table.setCellWidget(row, COL_KIND, combo)
        value_item = QTableWidgetItem(value)
        value_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, COL_VALUE, value_item)
        return row

    def add_row(self, key: str = "", kind: int = 0, value: str = "", edit: bool = False) -> int:
        self.table.blockSignals(True)
        row = self._append(key, kind, value)
        self.table.blockSignals(False)
        self._fit_height()
        self.changed.emit()
        if edit:
            self.table.setCurrentCell(row, COL_KEY)
            item = self.table.item(row, COL_KEY)
            if item is not None:
                self.table.editItem(item)
        return row

    def cancel_edit(self) -> bool:
        """Close the cell editor without keeping what was typed; False when no cell was being edited."""
        if self.table.state() != QAbstractItemView.State.EditingState:
            return False
        editor = QApplication.focusWidget()
        if editor is None or not self.table.isAncestorOf(editor):
            return False
        self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)
        return True

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self._fit_height()
            self.changed.emit()

    def _fit_height(self) -> None:
        """Tall enough for every row (up to eight), so the form scrolls rather than the table."""
        rows = min(max(self.table.rowCount(), 2), 8)
        header = self.table.horizontalHeader().sizeHint().height()
        body = rows * self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(header + body + 2 * self.table.frameWidth() + 2)

    def show_errors(self, errors: dict[str, str]) -> str | None:
        """Tint the cells with a problem; the problems, worded "Row 2: ...", for the label under the table."""
        lines: list[str] = []
        self.table.blockSignals(True)
        for row in range(self.table.rowCount()):
            keys = (f"{self.field}[{row}].{self._first_key}", f"{self.field}[{row}].sale")
            messages = [errors[key] for key in keys if key in errors]
            for column, key in ((COL_KEY, keys[0]), (COL_VALUE, keys[1])):
                item = self.table.item(row, column)
                if item is not None:
                    item.setBackground(QBrush(_PROBLEM) if key in errors else QBrush())
                    item.setToolTip(errors.get(key, ""))
            lines += [f"Row {row + 1}: {message}" for message in messages]
        self.table.blockSignals(False)
        return "\n".join(lines[:4] + ([f"… and {len(lines) - 4} more"] if len(lines) > 4 else [])) or None


class PlanExample(QFrame):
    """ "An order of [150.00] by an affiliate with [2,400.00] this month earns 18.00 — …", recomputed as typed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self._terms: PlanTerms | None = None
        layout = QVBoxLayout(self)
        caption = QLabel("Example")
        caption.setObjectName("cardLabel")
        layout.addWidget(caption)
        line = QHBoxLayout()
        self.order = QLineEdit("150.00")
        self.order.setFixedWidth(90)
        self.revenue = QLineEdit("2,400.00")
        self.revenue.setFixedWidth(100)
        self.sales = QSpinBox()
        self.sales.setRange(0, 1_000_000)
        self.sales.setValue(12)
        self.sales.setSuffix(" sales")
        self.sales.setFixedWidth(100)
        self.basis = QStackedWidget()
        self.basis.addWidget(self.revenue)
        self.basis.addWidget(self.sales)
        self.basis.setFixedWidth(100)
        parts = (QLabel("An order of"), self.order, QLabel("by an affiliate with"), self.basis, QLabel("this month"))
        for part in parts:
            line.addWidget(part)
        line.addStretch(1)
        layout.addLayout(line)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet("font-size: 14px; font-weight: 600;")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result)
        self.order.textChanged.connect(self._update)
        self.revenue.textChanged.connect(self._update)
        self.sales.valueChanged.connect(self._update)

    def set_basis(self, by_sales: bool) -> None:
        """Tiers by number of sales ask how many sales the affiliate had; by revenue, how much revenue."""
        self.basis.setCurrentIndex(1 if by_sales else 0)

    def show_terms(self, terms: PlanTerms | None) -> None:
        """The plan as typed (None while the form has problems)."""
        self._terms = terms
        self._update()

    def _update(self) -> None:
        if self._terms is None:
            self.result.setText("earns … (fix the plan's terms above to see the example)")
            return
        try:
            order = parse_money(self.order.text())
            revenue = parse_money(self.revenue.text() or "0")
        except MoneyError:
            self.result.setText("earns … (type the example's amounts like 150.00)")
            return
        try:
            sentence = explain_example(self._terms, order, revenue, self.sales.value())
        except (PlanError, ValueError) as exc:
            self.result.setText(f"earns … ({exc})")
            return
        self.result.setText(sentence.split(" this month ", 1)[-1])
