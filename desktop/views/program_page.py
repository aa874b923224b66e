"""Program settings: the form that says how the affiliate program works."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.money import MoneyError, parse_money
from desktop.services.conversions_list import has_conversions, orders_not_in
from desktop.services.errors import ValidationFailed
from desktop.services.program_settings import (
    ATTRIBUTION_LABELS,
    ATTRIBUTION_SETTINGS,
    NORTH_STAR_LABELS,
    ProgramSettings,
    get_program,
    save_program_and_reattribute,
    validate_program,
)
from desktop.services.timezones import timezone_names
from desktop.views.page_parts import FieldError, FormGrid, FormScrollArea, add_form_field, page_title
from desktop.views.tasks import run_with_progress

COMMON_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "NZD")


class ProgramPage(QWidget):
    title = "Program"
    saved = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self._loaded = ProgramSettings()
        self._has_loaded = False
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        content = QWidget()
        outer = QVBoxLayout(content)
        outer.setContentsMargins(24, 24, 24, 24)
        # In a short window the rows kept their places and got squashed: the page scrolls instead.
        page_layout.addWidget(FormScrollArea(content))
        outer.addWidget(
            page_title(
                "Program settings",
                "How your program works: these settings decide attribution, holds and who gets paid.",
            )
        )
        form = FormGrid()
        self.errors: dict[str, FieldError] = {}

        self.name = QLineEdit()
        self.name.setMaxLength(200)
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems(COMMON_CURRENCIES)
        self.currency.lineEdit().setMaxLength(3)
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(timezone_names())
        completer = QCompleter(timezone_names(), self.timezone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.timezone.setCompleter(completer)
        self.cookie_days = QSpinBox()
        self.cookie_days.setRange(0, 365)
        self.cookie_days.setSuffix(" days")
        self.attribution = QComboBox()
        for key, label in ATTRIBUTION_LABELS.items():
            self.attribution.addItem(label, key)
        self.coupon_priority = QCheckBox("A coupon code beats a referral link or a click")
        self.referral_link = QLineEdit()
        self.referral_link.setMaxLength(500)
        self.referral_link.setPlaceholderText("https://yourshop.example/?ref={code}")
        self.payout_threshold = QLineEdit()
        self.payout_threshold.setPlaceholderText("50.00")
        self.hold_days = QSpinBox()
        self.hold_days.setRange(0, 365)
        self.hold_days.setSuffix(" days")
        self.north_star_metric = QComboBox()
        for key, label in NORTH_STAR_LABELS.items():
            self.north_star_metric.addItem(label, key)
        self.north_star_target = QLineEdit()
        self.target_niches = QLineEdit()
        self.target_niches.setPlaceholderText("hiking; camping; trail running")

        rows: list[tuple[str, str, QWidget, str]] = [
            ("name", "Program name", self.name, ""),
            ("currency", "Currency", self.currency, "All amounts are in this currency."),
            ("timezone", "Time zone", self.timezone, "Orders belong to the month of their local date."),
            ("cookie_days", "Cookie window", self.cookie_days, "How long after a click an order still counts."),
            ("attribution", "Click attribution", self.attribution, ""),
            ("coupon_priority", "Coupons", self.coupon_priority, ""),
            (
                "referral_link_template",
                "Referral link",
                self.referral_link,
                "Asset kits put each affiliate's code where {code} is; while empty, they leave a blank.",
            ),
            (
                "payout_threshold",
                "Payout threshold",
                self.payout_threshold,
                "Smaller balances carry over to the next month.",
            ),
            (
                "hold_days",
                "Hold period",
                self.hold_days,
                "Orders younger than this wait for the next sheet (time for returns).",
            ),
            ("north_star_metric", "North Star", self.north_star_metric, "The one number the program lives by."),
            ("north_star_target", "Monthly goal", self.north_star_target, ""),
            (
                "target_niches",
                "Niches we recruit for",
                self.target_niches,
                "Separated by ; — a recruit whose niches match scores higher.",
            ),
        ]
        for key, label, widget, hint in rows:
            self.errors[key] = add_form_field(form, label, widget, hint)
        form_box = QWidget()
        form_box.setMaximumWidth(760)
        form_box.setLayout(form)
        outer.addWidget(form_box)

        buttons = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.revert_button = QPushButton("Revert")
        self.save_button = QPushButton("Save settings")
        self.save_button.setObjectName("primary")
        self.save_button.setDefault(True)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        buttons_box = QWidget()
        buttons_box.setMaximumWidth(760)
        buttons_box.setLayout(buttons)
        outer.addWidget(buttons_box)
        outer.addStretch(1)

        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)
        for edit in (self.name, self.referral_link, self.payout_threshold, self.north_star_target, self.target_niches):
            edit.textEdited.connect(self.validate)
            edit.returnPressed.connect(self.save)
        self.currency.currentTextChanged.connect(self.validate)
        self.timezone.currentTextChanged.connect(self.validate)
        self.north_star_metric.currentIndexChanged.connect(self.validate)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.load)

    # load / validate / save ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the stored settings, unless the form holds changes not saved yet: coming back to the page keeps
        them (leaving it and coming back threw them away without a word)."""
        if self._has_loaded and self.is_dirty():
            self.status.setText("Your changes are not saved yet: Save them, or they stay only in this form.")
            return
        self.load()

    def keep_unsaved(self) -> str | None:
        """Before the window closes: the settings need Save (a currency change asks first), so they are only named."""
        return "the program settings" if self._has_loaded and self.is_dirty() else None

    def is_dirty(self) -> bool:
        settings, errors = self._read_form()
        return bool(errors) or settings != self._loaded

    def load(self) -> None:
        settings = get_program(self.db)
        self._loaded = settings
        self._has_loaded = True
        self.name.setText(settings.name)
        self.currency.setCurrentText(settings.currency)
        self.timezone.setCurrentText(settings.timezone)
        self.cookie_days.setValue(settings.cookie_days)
        self.attribution.setCurrentIndex(max(0, self.attribution.findData(settings.attribution)))
        self.coupon_priority.setChecked(settings.coupon_priority)
        self.payout_threshold.setText(f"{settings.payout_threshold:.2f}")
        self.hold_days.setValue(settings.hold_days)
        self.north_star_metric.setCurrentIndex(max(0, self.north_star_metric.findData(settings.north_star_metric)))
        target = settings.north_star_target
        self.north_star_target.setText(f"{target:.2f}" if settings.north_star_metric == "revenue" else f"{int(target)}")
        self.target_niches.setText(settings.target_niches)
        self.referral_link.setText(settings.referral_link_template)
        self.status.setText("" if settings.configured else "Not saved yet: these are the suggested settings.")
        self.validate()

    def _read_form(self) -> tuple[ProgramSettings, dict[str, str]]:
        errors: dict[str, str] = {}
        amounts: dict[str, Decimal] = {}
        for key, edit in (("payout_threshold", self.payout_threshold), ("north_star_target", self.north_star_target)):
            try:
                amounts[key] = parse_money(edit.text() or "0")
            except MoneyError as exc:
                errors[key] = str(exc)
                amounts[key] = getattr(self._loaded, key)
        settings = replace(
            self._loaded,
            name=self.name.text(),
            currency=self.currency.currentText().strip().upper(),
            timezone=self.timezone.currentText().strip(),
            cookie_days=self.cookie_days.value(),
            attribution=self.attribution.currentData(),
            coupon_priority=self.coupon_priority.isChecked(),
            payout_threshold=amounts["payout_threshold"],
            hold_days=self.hold_days.value(),
            north_star_metric=self.north_star_metric.currentData(),
            north_star_target=amounts["north_star_target"],
            target_niches="; ".join(p.strip() for p in self.target_niches.text().split(";") if p.strip()),
            referral_link_template=self.referral_link.text().strip(),
        )
        for key, message in validate_program(settings).items():
            errors.setdefault(key, message)
        return settings, errors

    def validate(self) -> bool:
        _settings, errors = self._read_form()
        for key, label in self.errors.items():
            label.show_message(errors.get(key))
        self.save_button.setEnabled(not errors)
        return not errors

    def save(self) -> bool:
        """Save; when the attribution rules changed, the orders not yet on an approved sheet are attributed again
        by them in the same transaction, behind a progress dialog (a million orders take seconds)."""
        settings, errors = self._read_form()
        if errors:
            self.validate()
            return False
        if settings.currency != self._loaded.currency and not self._currency_confirmed(settings.currency):
            self.status.setText("Not saved: the currency stays " + self._loaded.currency + ".")
            return False
        if any(getattr(settings, key) != getattr(self._loaded, key) for key in ATTRIBUTION_SETTINGS):
            db = self.db
            self.save_button.setEnabled(False)
            self.task = run_with_progress(
                self,
                "Attributing orders again…",
                lambda progress: save_program_and_reattribute(db, settings, progress),
                self._saved,
                self._not_saved,
            )
            self.task.cancelled.connect(lambda: self._not_saved(None))
            return True
        try:
            self._saved(save_program_and_reattribute(self.db, settings))
        except ValidationFailed as exc:
            self._not_saved(exc)
            return False
        return True

    def _currency_confirmed(self, currency: str) -> bool:
        """A new currency with orders in the old one: say what becomes of them, and ask."""
        count = orders_not_in(self.db, currency)
        if not count:
            return True
        old = self._loaded.currency
        orders = "1 order" if count == 1 else f"{count:,} orders"
        answer = QMessageBox.question(
            self, "Change the currency?",
            f"{orders} already imported are not in {currency}. They stay as they are: payout sheets take only "
            f"{currency} orders, so those earn no more commission, and totals that add them up (the dashboard, "
            f"reports) count their amounts as {currency}.\n\nChange the currency only when the shop itself now "
            f"sells in {currency}. Change it from {old} to {currency}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    def _saved(self, result: tuple[ProgramSettings, int]) -> None:
        before = self._loaded
        self._loaded, changed = result
        self.save_button.setEnabled(True)
        again = ""
        if changed:
            goes = (
                "order not yet on an approved sheet goes" if changed == 1 else "orders not yet on an approved sheet go"
            )
            again = f" By the new attribution rules, {changed:,} {goes} to another affiliate (or to nobody)."
        zone = self._loaded.timezone
        if before.configured and zone != before.timezone and has_conversions(self.db):
            again += (f" Orders already imported keep the times and days they were given in {before.timezone}: "
                      f"import their files again to date them in {zone} (orders on approved sheets stay).")  # fmt: skip
        self.saved.emit()  # first: the window reloads this page, which clears the status line
        self.status.setText("Saved." + again)

    def _not_saved(self, exc: Exception | None) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationFailed):
            for key, label in self.errors.items():
                label.show_message(exc.errors.get(key))
        elif exc is None:
            self.status.setText("Not saved: cancelled, nothing changed.")
        else:
            self.status.setText(f"Not saved: {exc}")
