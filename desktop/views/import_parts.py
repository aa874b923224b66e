"""What the import windows (orders, clicks) share: a summary, tabs of what the file holds, Import and Cancel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services.conversion_values import DATE_ORDERS
from desktop.views.page_parts import table_of


class ImportDialog(QDialog):
    """The frame of an import window: `top` (the file and its options), the summary, the tabs, the buttons.

    Import stays off until a preview says the file can be imported; then it calls `on_import`.
    """

    def _build(self, top: QLayout | QWidget, on_import: Callable[[], None]) -> None:
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.tabs = QTabWidget()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(on_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if isinstance(top, QLayout):
            layout.addLayout(top)
        else:
            layout.addWidget(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)

    def add_problems_tab(self, problems: Sequence[Any], count: int | None = None) -> None:
        """Every problem with its line and column (`count`: all of them, when only some are listed)."""
        rows = [(getattr(p, "line", ""), getattr(p, "column", "") or "", getattr(p, "message", str(p)))
                for p in problems]  # fmt: skip
        self.problems_table = table_of(("Line", "Column", "Problem"), rows)
        total = len(problems) if count is None else count
        self.tabs.addTab(self.problems_table, f"Problems ({total:,})")


def dates_combo() -> QComboBox:
    """'Dates are written': as the file's own dates show (None), or as the user says (conversion_values.DATE_ORDERS)."""
    combo = QComboBox()
    combo.addItem("as the file shows", None)
    for order, label in DATE_ORDERS.items():
        combo.addItem(label, order)
    combo.setToolTip(
        "Dates like 03/10/2026 are read day first or month first for the whole file, never row by row: "
        "as its first date with a day above 12 shows, or as you say here."
    )
    return combo
