"""Commission plans: the list of plans on the left, the selected plan's editor on the right."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.errors import RefusedByState
from desktop.services.plans import PlanSummary, delete_plan, get_plan, list_plans
from desktop.views.page_parts import page_title
from desktop.views.plan_editor import PlanEditor

COL_NAME, COL_VERSION, COL_AFFILIATES, COL_DESCRIPTION = range(4)
_HEADERS = ("Plan", "Version", "Affiliates", "Terms")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the PlanSummary itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


class PlanListModel(QAbstractTableModel):
    """One row per plan, in list order (the first plan is the default for new affiliates)."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[PlanSummary] = []

    def set_rows(self, rows: list[PlanSummary]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_of(self, plan_id: int | None) -> int | None:
        return next((row for row, plan in enumerate(self._rows) if plan.id == plan_id), None)

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
        plan = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return plan
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_NAME:
                return plan.name + (" (default)" if index.row() == 0 else "")
            if column == COL_VERSION:
                return f"v{plan.version}"
            if column == COL_AFFILIATES:
                return f"{plan.affiliates:,}"
            return plan.description
        if role == SORT_ROLE:
            return (plan.name.casefold(), plan.version, plan.affiliates, plan.description)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            frozen = "\nThis version was used by an approved payout sheet." if plan.frozen else ""
            return f"{plan.name} v{plan.version}: {plan.description}{frozen}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_VERSION, COL_AFFILIATES):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class PlansPage(QWidget):
    title = "Commission plans"
    plans_changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(
            page_title(
                "Commission plans",
                "What affiliates earn: a rate or a flat amount per sale, volume tiers, product rules and a cap. "
                "The first plan is the one new affiliates get.",
            )
        )
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)

        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 8, 0)
        self.model = PlanListModel(self)
        self.list = QTableView()
        self.list.setModel(self.model)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.verticalHeader().setVisible(False)
        self.list.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.list.setWordWrap(True)  # the terms column wraps: it is what tells the plans apart
        self.list.setAlternatingRowColors(True)
        header = self.list.horizontalHeader()
        for column in (COL_NAME, COL_VERSION, COL_AFFILIATES):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        left_box.addWidget(self.list)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New plan")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setEnabled(False)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        left_box.addLayout(buttons)
        self.page_status = QLabel()
        self.page_status.setWordWrap(True)
        left_box.addWidget(self.page_status)

        self.editor = PlanEditor(db)
        self.editor.setContentsMargins(12, 0, 0, 0)
        splitter.addWidget(left)
        splitter.addWidget(self.editor)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 620])
        outer.addWidget(splitter, 1)

        self.new_button.clicked.connect(self.new_plan)
        self.delete_button.clicked.connect(self.delete_selected)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.editor.saved.connect(self._saved)
        self._selected_id: int | None = None

    # list ------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the list; the selected plan stays selected, and the form keeps any edits not saved yet."""
        self.model.set_rows(list_plans(self.db))
        if self.model.rowCount() == 0:
            self.page_status.setText("No plans yet: fill in the form and save your first plan.")
        if self.editor.is_dirty():
            self._select_row(self.model.row_of(self.editor.plan_id), reload=False)
            return
        row = self.model.row_of(self._selected_id)
        if row is None and self.model.rowCount() > 0:
            row = 0
        self._select_row(row)

    def selected_plan(self) -> PlanSummary | None:
        rows = self.list.selectionModel().selectedRows()
        if not rows:
            return None
        plan = self.model.data(rows[0], ROW_ROLE)
        return plan if isinstance(plan, PlanSummary) else None

    def _select_row(self, row: int | None, reload: bool = True) -> None:
        selection = self.list.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        if row is not None:
            index = self.model.index(row, 0)
            selection.select(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        selection.blockSignals(False)
        plan = self.selected_plan()
        self._select(plan.id if plan else None, reload)

    def _select(self, plan_id: int | None, reload: bool = True) -> None:
        self._selected_id = plan_id
        self.delete_button.setEnabled(plan_id is not None)
        if not reload:
            return
        try:
            self.editor.load(get_plan(self.db, plan_id) if plan_id is not None else None)
        except RefusedByState as exc:  # deleted meanwhile (another window, the command line)
            self.page_status.setText(str(exc))
            self.editor.load(None)

    def _selection_changed(self) -> None:
        plan = self.selected_plan()
        plan_id = plan.id if plan else None
        if plan_id == self.editor.plan_id and plan_id is not None:
            return
        if self.editor.is_dirty() and not self.ask(
            "Discard changes?", "The plan you are editing has changes that are not saved. Discard them?"
        ):
            self._select_row(self.model.row_of(self.editor.plan_id), reload=False)
            return
        self.page_status.setText("")
        self._select(plan_id)

    # actions ---------------------------------------------------------------------------------------------

    def keep_unsaved(self) -> str | None:
        """Before the window closes: a plan with changes not saved is named (saving it is the user's decision)."""
        if not self.editor.is_dirty():
            return None
        name = self.editor.name.text().strip()
        return f"the plan “{name}”" if name else "a new plan"

    def ask(self, title: str, question: str) -> bool:
        """A yes/no question (tests answer it without a dialog)."""
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def new_plan(self) -> None:
        if self.editor.is_dirty() and not self.ask(
            "Discard changes?", "The plan you are editing has changes that are not saved. Discard them?"
        ):
            return
        self.page_status.setText("")
        self._select_row(None, reload=False)
        self.editor.load(None)
        self.editor.name.setFocus()

    def delete_selected(self) -> None:
        plan = self.selected_plan()
        if plan is None:
            return
        if not self.ask("Delete plan?", f"Delete the plan {plan.name}? This cannot be undone."):
            return
        try:
            delete_plan(self.db, plan.id)
        except RefusedByState as exc:
            self.page_status.setText(f"Not deleted: {exc}")
            return
        self.page_status.setText(f"Deleted the plan {plan.name}.")
        self._selected_id = None
        self.editor.load(None)
        self.refresh()
        self.plans_changed.emit()

    def _saved(self, plan_id: int) -> None:
        """The editor shows the saved plan already; the list catches up and selects it."""
        self.model.set_rows(list_plans(self.db))
        self._select_row(self.model.row_of(plan_id), reload=False)
        self.page_status.setText("")
        self.plans_changed.emit()
