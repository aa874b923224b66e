"""Targets: every target with its progress, a form to set one, and settling them when their month ends."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import QDate, Qt, Signal
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
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.money import MoneyError, format_rate, parse_money, parse_rate
from desktop.services.affiliates import list_tags
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.services.metrics import METRIC_LABELS, DateRange, add_months, format_value, period_of
from desktop.services.targets import (
    TargetInput,
    affiliate_choices,
    parse_goal,
    parse_growth,
    program_today_of,
    validate_target,
)
from desktop.services.targets_progress import TargetView, get_target, list_targets
from desktop.services.targets_settle import (
    Settlement,
    create_target,
    delete_target,
    settle_due_targets,
    settle_target,
    sheets_to_build_again,
    targets_to_settle,
    update_target,
)
from desktop.views.page_parts import FieldError, page_title

TARGET_METRICS = ("revenue", "sales", "leads", "signups", "clicks", "conversion_rate", "epc")
SHOW = (("Running, upcoming and to settle", "open"), ("Last 3 months", "3"), ("Last 12 months", "12"), ("All", "all"))
HEADERS = ("Month", "For", "Metric", "Goal", "Progress", "State", "Rewards")
MEMBER_HEADERS = ("Affiliate", "Goal", "Actual", "% of goal", "Met")
KINDS = (("One affiliate", "affiliate"), ("Affiliates with a tag", "tag"), ("All active affiliates", "all"))


BAR_COLOURS = {"met": "#8cc5b3", "partly": "#f3d79b", "missed": "#f2b8b5", "running": "#bcd3ec"}
WIDEST = {1: 180, 3: 140, 4: 220, 5: 160}  # For, Goal, Progress, State: sized to their contents, at most this


def bar_state(view: TargetView) -> str:
    """A bar's colour: green only when everyone met it; a group where some met is "partly", never green."""
    if view.state in ("running", "upcoming"):
        return "running"
    if view.members and view.met == len(view.members):
        return "met"
    return "partly" if view.met else "missed"


def progress_bar(view: TargetView) -> QProgressBar:
    """One affiliate: percent of the goal; a group: how many of its affiliates met it."""
    bar = QProgressBar()
    bar.setRange(0, 100)
    state = bar_state(view)
    bar.setStyleSheet(
        "QProgressBar { border: none; background: #f0f3f2; color: #1f2d2a; text-align: center; margin: 3px; }"
        f"QProgressBar::chunk {{ background: {BAR_COLOURS[state]}; }}"
    )
    if len(view.members) == 1:
        member = view.members[0]
        bar.setValue(int(min(member.percent, Decimal(100))))
        goal, actual = (format_value(view.data.metric, v) for v in (member.goal, member.actual))
        bar.setFormat(f"{actual} of {goal} ({member.percent} %)")
    else:
        total = len(view.members)
        bar.setValue(int(view.met * 100 / total) if total else 0)
        bar.setFormat(f"{view.met} of {total} met" if total else "nobody in the group")
    bar.setToolTip(bar.format())
    return bar


def sheets_words(drafts: tuple[str, ...] | list[str]) -> str:
    """What to do about draft sheets built before a settlement, in words ("" when there is none)."""
    periods = sorted(set(drafts))
    if not periods:
        return ""
    if len(periods) == 1:
        return (f"The draft payout sheet of {periods[0]} was built before: open Payouts and click "
                "“Build again” for it to include these rewards.")  # fmt: skip
    listed = ", ".join(periods[:-1]) + f" and {periods[-1]}"
    return (f"The draft payout sheets of {listed} were built before: open Payouts and click “Build again” on "
            "each for them to include these rewards.")  # fmt: skip


def settled_words(settlements: list[Settlement]) -> str:
    if not settlements:
        return "Nothing was left to settle."
    months = sorted({s.period for s in settlements})
    met = sum(s.met for s in settlements)
    total = sum(s.members for s in settlements)
    head = (
        f"Settled {len(settlements)} target{'s' if len(settlements) != 1 else ''} of {', '.join(months)}: "
        f"{met} of {total} met."
    )
    drafts = sheets_words([period for s in settlements for period in s.drafts])
    return f"{head} {drafts}" if drafts else head


def state_text(view: TargetView) -> str:
    if view.state == "running":
        text = f"Running · day {view.day} of {view.days}"
    elif view.state == "upcoming":
        text = "Upcoming"
    elif view.state == "ended":
        text = "Ended: settle it"
    elif len(view.members) == 1:
        text = "Met" if view.met else "Missed"
    else:
        text = f"Settled: {view.met} of {len(view.members)} met"
    return text + (" · sheet approved" if view.frozen else "")


class TargetsPage(QWidget):
    title = "Targets"
    data_changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.views: list[TargetView] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 12)
        layout.addWidget(page_title("Targets", "Goals for one affiliate, a tag or every active affiliate, month by "
                                    "month. When a month ends, settle its targets: bonuses go on its payout sheet, "
                                    "better rates into the next month."))  # fmt: skip
        bar = QHBoxLayout()
        self.show_choice = QComboBox()
        for label, key in SHOW:
            self.show_choice.addItem(label, key)
        self.new_button = QPushButton("New target…")
        self.new_button.setObjectName("primary")
        self.edit_button, self.delete_button = QPushButton("Edit…"), QPushButton("Delete")
        self.settle_button, self.settle_all_button = QPushButton("Settle"), QPushButton("Settle ended targets")
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.show_choice)
        bar.addStretch(1)
        for button in (self.settle_all_button, self.settle_button, self.delete_button, self.edit_button,
                       self.new_button):  # fmt: skip
            bar.addWidget(button)
        layout.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(HEADERS))
        self.members = QTableWidget(0, len(MEMBER_HEADERS))
        for table, headers in ((self.table, HEADERS), (self.members, MEMBER_HEADERS)):
            table.setHorizontalHeaderLabels(headers)
            table.setTextElideMode(Qt.TextElideMode.ElideRight)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.verticalHeader().setVisible(False)
            table.verticalHeader().setDefaultSectionSize(28)
            splitter.addWidget(table)
        # Every column can be dragged wider; Rewards takes what is left. Widths fit the rows shown until the user
        # drags one: from then on a refresh never undoes what they chose.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.user_sized = self.fitting = False
        self.table.horizontalHeader().sectionResized.connect(self._column_resized)
        self.members.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        splitter.setSizes([400, 200])
        layout.addWidget(splitter, 1)
        self.status = QLabel()
        layout.addWidget(self.status)
        self.show_choice.currentIndexChanged.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._show_members)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.new_button.clicked.connect(self.new_target)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.settle_button.clicked.connect(self.settle_selected)
        self.settle_all_button.clicked.connect(self.settle_ended)

    # data ---------------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        today = program_today_of(self.db)
        choice = self.show_choice.currentData()
        rng = None
        if choice in ("3", "12"):
            rng = DateRange.months(add_months(period_of(today), 1 - int(choice)), add_months(period_of(today), 6))
        views = list_targets(self.db, rng, today)
        if choice == "open":
            views = [v for v in views if v.state != "settled" or v.data.period >= period_of(today)]
        selected = self.selected()
        self.views = views
        self.table.clearContents()  # and the progress bars in the cells with them
        self.table.setRowCount(len(views))
        for row, view in enumerate(views):
            values = (view.data.period, view.scope_label, view.metric_label, view.goal_text, "", state_text(view),
                      view.reward_text)  # fmt: skip
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, view.id)
                item.setToolTip(value)  # the whole text of a clipped cell
                self.table.setItem(row, column, item)
            bar = progress_bar(view)
            self.table.setCellWidget(row, 4, bar)
            self.table.item(row, 4).setToolTip(bar.format())
        if views and not self.user_sized:
            self._fit_columns()
        ended = targets_to_settle(self.db, today)
        self.settle_all_button.setText(f"Settle ended targets ({ended})")
        self.settle_all_button.setEnabled(ended > 0)
        self.status.setText(f"{len(views)} target{'s' if len(views) != 1 else ''}")
        rows = [row for row, v in enumerate(views) if selected and v.id == selected.id]
        if rows:
            self.table.selectRow(rows[0])
        self._show_members()

    def _fit_columns(self) -> None:
        self.fitting = True
        try:
            self.table.resizeColumnsToContents()
            for column, widest in WIDEST.items():
                self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
            self.table.setColumnWidth(4, WIDEST[4])
        finally:
            self.fitting = False

    def _column_resized(self, column: int, _old: int, _new: int) -> None:
        if not self.fitting and column != len(HEADERS) - 1:  # the last one stretches on its own
            self.user_sized = True

    def selected(self) -> TargetView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.views[rows[0].row()] if rows and rows[0].row() < len(self.views) else None

    def _show_members(self) -> None:
        view = self.selected()
        members = view.members if view else ()
        for button in (self.edit_button, self.delete_button):
            button.setEnabled(view is not None and not view.frozen)
        self.settle_button.setEnabled(view is not None and view.state in ("ended", "settled") and not view.frozen)
        self.members.setRowCount(len(members))
        for row, member in enumerate(members):
            metric = view.data.metric if view else "revenue"
            values = (f"{member.name} ({member.code})", format_value(metric, member.goal),
                      format_value(metric, member.actual), f"{member.percent} %", "yes" if member.met else "not yet"
                      if view and view.state in ("running", "upcoming") else "no")  # fmt: skip
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.members.setItem(row, column, item)

    # actions ------------------------------------------------------------------------------------------------------

    def new_target(self) -> None:
        dialog = TargetDialog(self.db, None, self)
        if dialog.exec():
            self._saved(dialog)

    def edit_selected(self) -> None:
        view = self.selected()
        if view is not None and not view.frozen:
            dialog = TargetDialog(self.db, view.id, self)
            if dialog.exec():
                self._saved(dialog)

    def _saved(self, dialog: TargetDialog) -> None:
        """A target of a month that is over was settled as it was saved: say which draft sheets it made stale."""
        drafts = sheets_to_build_again(self.db, dialog.target_id) if dialog.target_id is not None else ()
        if drafts:
            self._after("Target saved and settled.")
            QMessageBox.information(self, "Targets", f"Target saved and settled. {sheets_words(drafts)}")
        else:
            self._after("Target saved.")

    def delete_selected(self) -> None:
        view = self.selected()
        if view is None:
            return
        answer = QMessageBox.question(self, "Delete target", f"Delete the {view.metric_label.lower()} target of "
                                      f"{view.scope_label} for {view.data.period}, with what it settled?")  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self._run(lambda: delete_target(self.db, view.id), "Target deleted.")

    def settle_selected(self) -> None:
        view = self.selected()
        if view is not None:
            self._settle(lambda: [settle_target(self.db, view.id)])

    def settle_ended(self) -> None:
        self._settle(lambda: settle_due_targets(self.db))

    def _settle(self, action: Callable[[], list[Settlement]]) -> None:
        try:
            settlements = action()
        except ServiceError as exc:
            QMessageBox.warning(self, "Targets", str(exc))
            return
        message = settled_words(settlements)
        self._after(message)
        if any(s.drafts for s in settlements):  # easy to miss in the status line, and the sheet would be wrong
            QMessageBox.information(self, "Targets", message)

    def _run(self, action: object, message: str) -> None:
        try:
            action()  # type: ignore[operator]
        except ServiceError as exc:
            QMessageBox.warning(self, "Targets", str(exc))
            return
        self._after(message)

    def _after(self, message: str) -> None:
        self.refresh()
        self.status.setText(f"{self.status.text()} · {message}")
        self.data_changed.emit()


class TargetDialog(QDialog):
    """Create or edit one target: load(), validate() (messages next to the fields), save(). Enter saves."""

    def __init__(self, db: Database, target_id: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.target_id = db, target_id
        self.setWindowTitle("New target" if target_id is None else "Edit target")
        self.kind = QComboBox()
        for label, key in KINDS:
            self.kind.addItem(label, key)
        self.affiliate = QComboBox()
        for code, label in affiliate_choices(db):
            self.affiliate.addItem(label, code)
        self.tag = QComboBox()
        for name in list_tags(db):
            self.tag.addItem(name, name)
        self.metric_choice = QComboBox()
        for metric in TARGET_METRICS:
            self.metric_choice.addItem(METRIC_LABELS[metric], metric)
        self.month = QDateEdit()
        self.month.setDisplayFormat("MMMM yyyy")
        self.month.setCalendarPopup(True)
        self.reach, self.grow = QRadioButton("Reach"), QRadioButton("Grow by, over the month before (%)")
        self.reach.setChecked(True)
        self.goal, self.growth = QLineEdit(), QLineEdit()
        self.goal.setPlaceholderText("5000.00, 25, or 3.5 for a rate in %")
        self.growth.setPlaceholderText("20%")
        self.bonus, self.rate, self.reward = QLineEdit(), QLineEdit(), QLineEdit()
        self.bonus.setPlaceholderText("100.00")
        self.rate.setPlaceholderText("1%")
        self.reward.setPlaceholderText("Trail shoes of their choice, a newsletter feature…")
        self.errors = {key: FieldError() for key in ("scope", "metric", "period", "goal", "bonus", "reward_rate",
                                                     "reward_text")}  # fmt: skip
        form = QFormLayout(self)
        scope = QHBoxLayout()
        for widget in (self.kind, self.affiliate, self.tag):
            scope.addWidget(widget)
        rows: list[tuple[str, object, str]] = [
            ("For", scope, "scope"), ("Metric", self.metric_choice, "metric"), ("Month", self.month, "period"),
            ("Goal", self._pair(self.reach, self.goal), ""), ("", self._pair(self.grow, self.growth), "goal"),
            ("Bonus when met", self.bonus, "bonus"), ("Better rate next month", self.rate, "reward_rate"),
            ("Product or recognition", self.reward, "reward_text"),
        ]  # fmt: skip
        for label, field, key in rows:
            form.addRow(label, field)  # type: ignore[call-overload]
            if key:
                form.addRow("", self.errors[key])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.reach.toggled.connect(self._goal_kind_changed)
        self.load()

    @staticmethod
    def _pair(button: QRadioButton, field: QLineEdit) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(button)
        row.addWidget(field, 1)
        return row

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.affiliate.setVisible(kind == "affiliate")
        self.tag.setVisible(kind == "tag")

    def _goal_kind_changed(self) -> None:
        self.goal.setEnabled(self.reach.isChecked())
        self.growth.setEnabled(self.grow.isChecked())

    def load(self) -> None:
        today = program_today_of(self.db)
        self.month.setDate(QDate(today.year, today.month, 1))
        if self.target_id is not None:
            data = get_target(self.db, self.target_id).data
            kind = "all" if data.scope == "all" else "tag" if data.scope.startswith("tag:") else "affiliate"
            self.kind.setCurrentIndex(self.kind.findData(kind))
            if kind == "tag":
                self._choose_tag(data.scope[4:])
            elif kind == "affiliate":
                self._choose_affiliate(data.scope)
            self.metric_choice.setCurrentIndex(self.metric_choice.findData(data.metric))
            self.month.setDate(QDate(int(data.period[:4]), int(data.period[5:]), 1))
            self.grow.setChecked(data.growth is not None)
            self.goal.setText("" if data.goal is None else str(data.goal))
            self.growth.setText("" if data.growth is None else format_rate(data.growth))
            self.bonus.setText("" if data.bonus is None else f"{data.bonus:.2f}")
            self.rate.setText("" if data.reward_rate is None else format_rate(data.reward_rate))
            self.reward.setText(data.reward_text or "")
        self._kind_changed()
        self._goal_kind_changed()

    def _choose_affiliate(self, code: str) -> None:
        """Show the target's own affiliate, never another: a terminated one is added to the list, marked so."""
        if self.affiliate.findData(code) < 0:
            self.affiliate.clear()
            for choice, label in affiliate_choices(self.db, keep=code):
                self.affiliate.addItem(label, choice)
            if self.affiliate.findData(code) < 0:
                self.affiliate.addItem(f"{code} (no longer exists)", code)
        self.affiliate.setCurrentIndex(self.affiliate.findData(code))

    def _choose_tag(self, name: str) -> None:
        """Show the target's own tag; one that no longer exists is listed, marked so (saving then says why not)."""
        index = next((i for i in range(self.tag.count()) if self.tag.itemData(i).casefold() == name.casefold()), -1)
        if index < 0:
            self.tag.addItem(f"{name} (no longer exists)", name)
            index = self.tag.count() - 1
        self.tag.setCurrentIndex(index)

    def data(self) -> tuple[TargetInput, dict[str, str]]:
        """The form's target, and the problems of values that are not even numbers."""
        errors: dict[str, str] = {}

        def read(key: str, field: QLineEdit, parse: Callable[[str], Decimal]) -> Decimal | None:
            text = field.text().strip()
            if not text or not field.isEnabled():
                return None
            try:
                return parse(text)
            except MoneyError as exc:  # its own words: "'0.005' has more than two decimals", "… too large …"
                errors[key] = str(exc)
            return None

        kind = self.kind.currentData()
        tag = self.tag.currentData() or ""
        scope = {"all": "all", "tag": f"tag:{tag}"}.get(kind) or self.affiliate.currentData() or ""
        month = self.month.date()
        metric = self.metric_choice.currentData()
        data = TargetInput(
            scope=scope,
            metric=metric,
            period=f"{month.year():04d}-{month.month():02d}",
            goal=read("goal", self.goal, lambda text: parse_goal(text, metric)),
            growth=read("goal", self.growth, parse_growth),
            bonus=read("bonus", self.bonus, parse_money),
            reward_rate=read("reward_rate", self.rate, parse_rate),
            reward_text=self.reward.text().strip() or None,
        )
        return data, errors

    def validate(self) -> bool:
        data, errors = self.data()
        errors = {**validate_target(self.db, data), **errors}
        for key, label in self.errors.items():
            label.show_message(errors.get(key))
        return not errors

    def save(self) -> bool:
        if not self.validate():
            return False
        data, _ = self.data()
        try:
            if self.target_id is None:
                self.target_id = create_target(self.db, data)
            else:
                update_target(self.db, self.target_id, data)
        except ValidationFailed as exc:
            for key, label in self.errors.items():
                label.show_message(exc.errors.get(key))
            return False
        except ServiceError as exc:
            QMessageBox.warning(self, self.windowTitle(), str(exc))
            return False
        return True

    def accept(self) -> None:
        if self.save():
            super().accept()
