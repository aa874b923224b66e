"""The commission plan editor: the form of one plan, its tiers and product rules, and a live example."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.money import MoneyError, format_money, format_rate, parse_money, parse_rate
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.services.plans import (
    PlanDetail,
    PlanInput,
    ProductInput,
    TierInput,
    create_plan,
    get_plan,
    to_terms,
    update_plan,
    validate_plan_input,
)
from desktop.services.program_settings import get_program
from desktop.services.quality_score import suggested_cap
from desktop.views.page_parts import FieldError, FormScrollArea
from desktop.views.plan_parts import PlanExample, RuleTable
from desktop.views.plan_what_if_dialog import WhatIfDialog

BASIS_LABELS = {"revenue": "Sales revenue in the month", "sales": "Number of sales in the month"}
MODE_LABELS = {
    "all": "All actions: the tier reached pays on every sale of the month",
    "marginal": "Marginal: a tier pays only past its threshold",
}
NEW_PLAN = PlanInput(name="", sale_rate=Decimal("0.10"))
TIER_KEY = re.compile(r"^tiers\[(\d+)\]\.(\w+)$")


def _rate_text(rate: Decimal) -> str:
    return format_rate(rate)[:-1]


def _amount(text: str) -> Decimal:
    """An amount as people type it: "2,400.00" and "2400" both work."""
    return parse_money(text)


class PlanEditor(QWidget):
    """load() / validate() / save() for one plan; `saved` carries the plan's id."""

    saved = Signal(int)
    changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.plan_id: int | None = None
        self.detail: PlanDetail | None = None
        self._loaded_state: tuple[object, ...] = ()
        self._loading = False
        self._tier_rows: list[int] = []
        self._currency = ""  # the table row of each tier of read_form()'s plan
        self.errors: dict[str, FieldError] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        self.heading.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.versions_label = QLabel()
        self.versions_label.setObjectName("pageSubtitle")
        outer.addWidget(self.heading)
        outer.addWidget(self.versions_label)
        self.version_note = QLabel()
        self.version_note.setWordWrap(True)
        self.version_note.setStyleSheet("background: #fff4d6; border: 1px solid #f0d48a; padding: 6px;")
        self.version_note.hide()
        outer.addWidget(self.version_note)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.name = QLineEdit()
        self.name.setMaxLength(100)
        self.name.setPlaceholderText("Standard")

        self.sale_is_rate = QRadioButton("% of sale")
        self.sale_is_amount = QRadioButton("flat per order")
        self._sale_kind = QButtonGroup(self)
        self._sale_kind.addButton(self.sale_is_rate)
        self._sale_kind.addButton(self.sale_is_amount)
        self.sale_value = QLineEdit()
        self.sale_value.setMaximumWidth(110)
        self.sale_unit = QLabel("%")
        sale_row = QWidget()
        sale_box = QHBoxLayout(sale_row)
        sale_box.setContentsMargins(0, 0, 0, 0)
        for part in (self.sale_is_rate, self.sale_is_amount, self.sale_value, self.sale_unit):
            sale_box.addWidget(part)
        sale_box.addStretch(1)

        self.lead_amount = QLineEdit()
        self.signup_amount = QLineEdit()
        self.cap = QLineEdit()
        self.cap.setPlaceholderText("no cap")
        for edit in (self.lead_amount, self.signup_amount, self.cap):
            edit.setMaximumWidth(140)
        self.lead_amount.setPlaceholderText("0.00")
        self.signup_amount.setPlaceholderText("0.00")
        self.tier_basis = QComboBox()
        for key, label in BASIS_LABELS.items():
            self.tier_basis.addItem(label, key)
        self.tier_mode = QComboBox()
        for key, label in MODE_LABELS.items():
            self.tier_mode.addItem(label, key)
        self.tiers = RuleTable("From", ("% of sale", "flat per order"), "Add tier", "tiers")
        self.products = RuleTable("SKU pattern", ("% of sale", "flat per unit"), "Add product rule", "products")

        rows: list[tuple[str, str, QWidget, str]] = [
            ("name", "Name", self.name, ""),
            ("sale", "Commission on sales", sale_row, ""),
            ("lead_amount", "Per lead", self.lead_amount, ""),
            ("signup_amount", "Per signup", self.signup_amount, ""),
            ("cap", "Cap", self.cap, "The most one affiliate earns from conversions in a month; bonuses come on top."),
            ("tier_basis", "Tiers counted by", self.tier_basis, ""),
            ("tier_mode", "Tier mode", self.tier_mode, ""),
            ("tiers", "Volume tiers", self.tiers, "A tier is reached when the month's count is at least its value."),
            (
                "products",
                "Product rules",
                self.products,
                "A matching SKU (GIFT-* matches GIFT-CARD) beats tiers; flat amounts are per unit.",
            ),
        ]
        # Traffic quality may call for another cap: the advice sits under the cap field with a button to use it.
        self.cap_advice = QLabel()
        self.cap_advice.setWordWrap(True)
        self.cap_advice.setStyleSheet("color: #9a6700;")
        self.use_cap_button = QPushButton("Use suggested cap")
        self.use_cap_button.clicked.connect(self._use_suggested_cap)
        self._suggested_cap: Decimal | None = None
        for key, label, widget, hint in rows:
            cell = QWidget()
            # The cell takes the whole field column, so that a message under a combo box wraps at the column's
            # width, the width its height was measured for (at the combo box's own width it was cut off).
            cell.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            if isinstance(widget, QComboBox):
                box.addWidget(widget, 0, Qt.AlignmentFlag.AlignLeft)  # as wide as its choices, not the column
            else:
                box.addWidget(widget)
            if key == "cap":
                advice_row = QHBoxLayout()
                advice_row.addWidget(self.cap_advice, 1)
                advice_row.addWidget(self.use_cap_button, 0, Qt.AlignmentFlag.AlignTop)
                box.addLayout(advice_row)
            if hint:
                hint_label = QLabel(hint)
                hint_label.setObjectName("pageSubtitle")
                hint_label.setWordWrap(True)
                box.addWidget(hint_label)
            error = FieldError()
            box.addWidget(error)
            self.errors[key] = error
            form.addRow(label, cell)
        # The form scrolls; the example and the buttons stay in sight under it.
        form_box = QWidget()
        form_column = QVBoxLayout(form_box)
        form_column.setContentsMargins(0, 0, 8, 0)
        form_column.addLayout(form)
        form_column.addStretch(1)  # spare height goes under the form, not between its rows
        outer.addWidget(FormScrollArea(form_box), 1)
        self.example = PlanExample()
        outer.addWidget(self.example)

        buttons = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Undo the changes not saved yet (Esc)")
        self.save_button = QPushButton("Save plan")
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Save the plan (Enter)")
        self.what_if_button = QPushButton("What if…")
        self.what_if_button.setToolTip("Replay a past month under these terms, against what it paid; saves nothing")
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.what_if_button)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)

        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.what_if_button.clicked.connect(self.what_if)
        for edit in (self.name, self.sale_value, self.lead_amount, self.signup_amount, self.cap):
            edit.textChanged.connect(self._edited)
            edit.returnPressed.connect(self.save)
        self._sale_kind.buttonToggled.connect(self._edited)
        self.tier_basis.currentIndexChanged.connect(self._edited)
        self.tier_mode.currentIndexChanged.connect(self._edited)
        self.tiers.changed.connect(self._edited)
        self.products.changed.connect(self._edited)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._escape)
        self.load(None)

    # load / read / validate / save ----------------------------------------------------------------------

    def _show_cap_advice(self, plan_id: int | None) -> None:
        advice = suggested_cap(self.db, plan_id) if plan_id is not None else None
        self._suggested_cap = advice.suggested_cap if advice else None
        self.cap_advice.setText(
            f"Suggested cap {format_money(advice.suggested_cap)}: {advice.reason}" if advice else ""
        )
        self.cap_advice.setVisible(advice is not None)
        self.use_cap_button.setVisible(advice is not None)

    def _use_suggested_cap(self) -> None:
        if self._suggested_cap is not None:
            self.cap.setText(format_money(self._suggested_cap))
            self.cap.textEdited.emit(self.cap.text())

    def load(self, detail: PlanDetail | None) -> None:
        """Show a saved plan, or an empty form for a new one (detail None)."""
        self._loading = True
        self.detail = detail
        self.plan_id = detail.id if detail else None
        data = detail.data if detail else NEW_PLAN
        self.name.setText(data.name)
        (self.sale_is_rate if data.sale_rate is not None else self.sale_is_amount).setChecked(True)
        if data.sale_rate is not None:
            self.sale_value.setText(_rate_text(data.sale_rate))
        else:
            self.sale_value.setText(format_money(data.sale_amount or Decimal(0)))
        self.lead_amount.setText(format_money(data.lead_amount))
        self.signup_amount.setText(format_money(data.signup_amount))
        self.cap.setText("" if data.cap is None else format_money(data.cap))
        self._show_cap_advice(detail.id if detail else None)
        self.tier_basis.setCurrentIndex(max(0, self.tier_basis.findData(data.tier_basis)))
        self.tier_mode.setCurrentIndex(max(0, self.tier_mode.findData(data.tier_mode)))
        self._currency = get_program(self.db).currency
        self._show_sale_unit()
        by_sales = data.tier_basis == "sales"
        self._show_basis(by_sales)
        self.tiers.set_rows(
            [(f"{t.min_value:.0f}" if by_sales else format_money(t.min_value), *self._earning(t)) for t in data.tiers]
        )
        self.products.set_rows([(p.sku_glob, *self._earning(p)) for p in data.products])
        if detail is None:
            self.heading.setText("New plan")
            self.versions_label.setText("Not saved yet: fill in the terms, then press Save plan.")
        else:
            self.heading.setText(detail.name)
            users = "1 affiliate" if detail.affiliates == 1 else f"{detail.affiliates} affiliates"
            self.versions_label.setText(f"Version {detail.version} of {len(detail.versions)} · {users} on this plan")
        self.status.setText("")
        self._loading = False
        self._loaded_state = self._state()
        self.validate()

    @staticmethod
    def _earning(rule: TierInput | ProductInput) -> tuple[int, str]:
        if rule.sale_rate is not None:
            return 0, _rate_text(rule.sale_rate)
        return 1, format_money(rule.sale_amount or Decimal(0))

    def _escape(self) -> None:
        """Esc leaves a table cell being edited, as in any table; otherwise it reverts the form."""
        if not (self.tiers.cancel_edit() or self.products.cancel_edit()):
            self.revert()

    def revert(self) -> None:
        self.load(self.detail)

    def _state(self) -> tuple[object, ...]:
        return (
            self.name.text(), self.sale_is_rate.isChecked(), self.sale_value.text(), self.lead_amount.text(),
            self.signup_amount.text(), self.cap.text(), self.tier_basis.currentData(), self.tier_mode.currentData(),
            tuple(self.tiers.rows()), tuple(self.products.rows()),
        )  # fmt: skip

    def is_dirty(self) -> bool:
        return self._state() != self._loaded_state

    def read_form(self) -> tuple[PlanInput, dict[str, str]]:
        """The plan the form describes, and the texts that are not numbers (keyed like the service's fields)."""
        errors: dict[str, str] = {}

        def parsed(key: str, text: str, rate: bool, default: Decimal | None = None) -> Decimal | None:
            if not text.strip():
                return default
            try:
                return parse_rate(text) if rate else _amount(text)
            except MoneyError as exc:
                errors[key] = str(exc)[:1].upper() + str(exc)[1:]
                return None

        rate = self.sale_is_rate.isChecked()
        sale = parsed("sale", self.sale_value.text(), rate)
        tiers: list[tuple[int, TierInput]] = []
        for index, (low, kind, value) in enumerate(self.tiers.rows()):
            if not low.strip():
                errors[f"tiers[{index}].min"] = "Type where the tier starts: an amount, or a number of sales."
            low_value = parsed(f"tiers[{index}].min", low, False) or Decimal(0)
            earned = parsed(f"tiers[{index}].sale", value, kind == 0)
            tiers.append((index, TierInput(low_value, *((earned, None) if kind == 0 else (None, earned)))))
        # Tiers are kept in rising order whatever order they were typed in; _problems() maps them back to rows.
        tiers.sort(key=lambda row_tier: row_tier[1].min_value)
        self._tier_rows = [row for row, _ in tiers]
        products = []
        for index, (sku, kind, value) in enumerate(self.products.rows()):
            earned = parsed(f"products[{index}].sale", value, kind == 0)
            products.append(ProductInput(sku, *((earned, None) if kind == 0 else (None, earned))))
        data = PlanInput(
            name=self.name.text(),
            sale_rate=sale if rate else None,
            sale_amount=None if rate else sale,
            lead_amount=parsed("lead_amount", self.lead_amount.text(), False, Decimal("0.00")) or Decimal("0.00"),
            signup_amount=parsed("signup_amount", self.signup_amount.text(), False, Decimal("0.00")) or Decimal("0.00"),
            tier_basis=self.tier_basis.currentData(),
            tier_mode=self.tier_mode.currentData(),
            cap=parsed("cap", self.cap.text(), False),
            tiers=tuple(tier for _, tier in tiers),
            products=tuple(products),
        )
        return data, errors

    def _problems(self) -> tuple[PlanInput, dict[str, str]]:
        data, errors = self.read_form()
        for key, message in self._to_rows(validate_plan_input(self.db, data, self.plan_id)).items():
            errors.setdefault(key, message)
        return data, errors

    def _to_rows(self, errors: dict[str, str]) -> dict[str, str]:
        """The service counts tiers in rising order; the table shows them as typed."""
        mapped = {}
        for key, message in errors.items():
            tier = TIER_KEY.match(key)
            if tier and int(tier.group(1)) < len(self._tier_rows):
                key = f"tiers[{self._tier_rows[int(tier.group(1))]}].{tier.group(2)}"
            mapped[key] = message
        return mapped

    def _show(self, errors: dict[str, str]) -> None:
        for key, label in self.errors.items():
            if key not in ("tiers", "products"):
                label.show_message(errors.get(key))
        for table, key in ((self.tiers, "tiers"), (self.products, "products")):
            self.errors[key].show_message(table.show_errors(errors))

    def validate(self) -> bool:
        data, errors = self._problems()
        self._show(errors)
        self.save_button.setEnabled(not errors and (self.plan_id is None or self.is_dirty()))
        self.revert_button.setEnabled(self.is_dirty())
        self.what_if_button.setEnabled(not errors and self.plan_id is not None)  # a new plan has nobody on it yet
        self._show_version_note()
        # The example does not need the name: it shows while the name is all that is missing.
        sound = not (set(errors) - {"name"})
        self.example.show_terms(to_terms(replace(data, name=data.name.strip() or "New plan")) if sound else None)
        return not errors

    def what_if(self) -> None:
        """The form's terms, saved or not, replayed on a past month in a dialog."""
        data, errors = self._problems()
        if not errors and self.plan_id is not None:
            WhatIfDialog(self.db, self.plan_id, data, self).open()

    def _show_version_note(self) -> None:
        detail = self.detail
        if detail is None or not detail.frozen:
            self.version_note.hide()
            return
        self.version_note.setText(
            f"Version {detail.version} was used by an approved payout sheet, so it stays exactly as it is. "
            f"Saving your changes creates version {detail.version + 1}; affiliates on the plan earn by it from then on."
        )
        self.version_note.show()

    def _edited(self) -> None:
        if self._loading:
            return
        self._show_basis(self.tier_basis.currentData() == "sales")
        self._show_sale_unit()
        self.status.setText("")
        self.validate()
        self.changed.emit()

    def _show_sale_unit(self) -> None:
        self.sale_unit.setText("%" if self.sale_is_rate.isChecked() else self._currency)

    def _show_basis(self, by_sales: bool) -> None:
        self.tiers.set_first_header("From (number of sales)" if by_sales else "From (revenue)")
        self.example.set_basis(by_sales)

    def save(self) -> bool:
        data, errors = self._problems()
        if errors:
            self._show(errors)
            return False
        if self.plan_id is not None and not self.is_dirty():
            self.status.setText("Nothing changed.")
            return True
        try:
            if self.plan_id is None:
                plan_id = create_plan(self.db, data)
                message = "Plan created."
            else:
                plan_id = self.plan_id
                result = update_plan(self.db, plan_id, data)
                message = f"Saved as version {result.version}." if result.new_version else "Saved."
        except ValidationFailed as exc:  # another window took the name meanwhile
            self._show(self._to_rows(exc.errors))
            return False
        except ServiceError as exc:
            self.status.setText(str(exc))
            return False
        self.load(get_plan(self.db, plan_id))  # what was stored: tiers in order, the version it went into
        self.status.setText(message)
        self.saved.emit(plan_id)
        return True
