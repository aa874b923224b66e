"""Create or edit one affiliate: a form with validation next to each field; Enter saves, Esc cancels."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.affiliates import (
    AffiliateInput,
    SocialInput,
    create_affiliate,
    get_affiliate,
    update_affiliate,
    validate_affiliate,
)
from desktop.services.errors import ValidationFailed
from desktop.services.plans import list_plans
from desktop.views.page_parts import FieldError, FormGrid, add_form_field

STATUSES = ("prospect", "applied", "screening", "active", "paused", "terminated", "rejected")
PLATFORMS = ("instagram", "youtube", "tiktok", "x", "blog", "facebook", "pinterest", "twitch", "other")
SOCIAL_HEADERS = ("Platform", "Handle", "URL", "Followers", "Engagement %")


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _optional(text: str) -> str | None:
    text = text.strip()
    return text or None


class AffiliateDialog(QDialog):
    """`AffiliateDialog(db)` creates; `AffiliateDialog(db, affiliate_id)` edits. `saved_id` after accept()."""

    def __init__(self, db: Database, affiliate_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.affiliate_id = affiliate_id
        self.saved_id: int | None = None
        self._loaded_status: str | None = None
        self.setWindowTitle("New affiliate" if affiliate_id is None else "Edit affiliate")
        self.resize(640, 560)
        self.errors: dict[str, FieldError] = {}

        tabs = QTabWidget()
        self.tabs = tabs
        tabs.addTab(self._profile_tab(), "Profile")
        tabs.addTab(self._socials_tab(), "Social profiles")
        tabs.addTab(self._program_tab(), "Coupons, tags and plan")
        tabs.addTab(self._payee_tab(), "Payee")
        self._errors_shown: dict[str, str] = {}
        tabs.currentChanged.connect(lambda _index: self._show_errors(self._errors_shown))  # "to fix on": the others

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.summary = QLabel()
        self.summary.setStyleSheet("color: #b3261e;")
        self.summary.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.load()
        for edit in self.findChildren(QLineEdit):
            edit.textEdited.connect(self.validate)
        self.status.currentIndexChanged.connect(self._status_changed)
        self.socials.itemChanged.connect(self.validate)

    # building ----------------------------------------------------------------------------------------

    def _field(self, form: FormGrid, key: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        self.errors[key] = add_form_field(form, label, widget, hint)
        return widget

    def _profile_tab(self) -> QWidget:
        page = QWidget()
        form = FormGrid(page)
        self.code = QLineEdit()
        self.code.setMaxLength(64)
        self.name = QLineEdit()
        self.email = QLineEdit()
        self.phone = QLineEdit()
        self.status = QComboBox()
        for status in STATUSES:
            self.status.addItem(status.capitalize(), status)
        self.status_reason = QLineEdit()
        self.status_reason.setPlaceholderText("Why the status changes (kept in the history)")
        self.joined_on = QLineEdit()
        self.joined_on.setPlaceholderText("YYYY-MM-DD")
        self.website = QLineEdit()
        self.website.setPlaceholderText("https://")
        self.country = QLineEdit()
        self.niches = QLineEdit()
        self.niches.setPlaceholderText("hiking; camping")
        self.audience = QPlainTextEdit()
        self.audience.setFixedHeight(60)
        self._field(form, "code", "Code", self.code, "Letters, digits, - and _. Appears in links and reports.")
        self._field(form, "name", "Name", self.name)
        self._field(form, "email", "Email", self.email)
        self._field(form, "phone", "Phone", self.phone)
        self._field(form, "status", "Status", self.status)
        self.status_reason_row = self._field(form, "status_reason", "Reason", self.status_reason)
        self._field(form, "joined_on", "Joined on", self.joined_on)
        self._field(form, "website", "Website", self.website)
        self._field(form, "country", "Country", self.country)
        self._field(form, "niches", "Niches", self.niches, "Separated by ;")
        self._field(form, "audience", "Audience", self.audience)
        return page

    def _socials_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.socials = QTableWidget(0, len(SOCIAL_HEADERS))
        self.socials.setHorizontalHeaderLabels(SOCIAL_HEADERS)
        self.socials.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.socials.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        buttons = QHBoxLayout()
        add = QPushButton("Add profile")
        remove = QPushButton("Remove selected")
        add.clicked.connect(lambda: self._add_social_row(SocialInput(platform="instagram")))
        remove.clicked.connect(self._remove_social_rows)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout.addWidget(self.socials)
        layout.addLayout(buttons)
        error = FieldError()
        self.errors["socials"] = error
        layout.addWidget(error)
        return page

    def _program_tab(self) -> QWidget:
        page = QWidget()
        form = FormGrid(page)
        self.coupons = QLineEdit()
        self.coupons.setPlaceholderText("JANE10; JANE-SUMMER")
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("top-creator; video")
        self.plan = QComboBox()
        self.plan.addItem("No plan", None)
        for plan in list_plans(self.db):
            self.plan.addItem(f"{plan.name} — {plan.description}", plan.id)
        self._field(
            form,
            "coupon_codes",
            "Coupon codes",
            self.coupons,
            "Separated by ;. A coupon belongs to one affiliate only.",
        )
        self._field(form, "tags", "Tags", self.tags, "Separated by ;")
        self._field(form, "plan_id", "Commission plan", self.plan)
        return page

    def _payee_tab(self) -> QWidget:
        page = QWidget()
        form = FormGrid(page)
        self.payee_email = QLineEdit()
        self.payee_email.setPlaceholderText("Defaults to the email")
        self.bank_account_name = QLineEdit()
        self.bank_iban = QLineEdit()
        self.bank_bic = QLineEdit()
        self._field(form, "payee_email", "PayPal email", self.payee_email, "Payouts are sent here.")
        self._field(form, "bank_account_name", "Account holder", self.bank_account_name)
        self._field(form, "bank_iban", "IBAN", self.bank_iban)
        self._field(form, "bank_bic", "BIC", self.bank_bic)
        return page

    def _add_social_row(self, social: SocialInput) -> None:
        self.socials.blockSignals(True)
        row = self.socials.rowCount()
        self.socials.insertRow(row)
        combo = QComboBox()
        for platform in PLATFORMS:
            combo.addItem(platform, platform)
        combo.setCurrentIndex(max(0, combo.findData(social.platform)))
        combo.currentIndexChanged.connect(self.validate)
        self.socials.setCellWidget(row, 0, combo)
        values = (
            social.handle or "",
            social.url or "",
            str(social.followers),
            "" if social.engagement_rate is None else f"{social.engagement_rate}",
        )
        for column, value in enumerate(values, start=1):
            self.socials.setItem(row, column, QTableWidgetItem(value))
        self.socials.blockSignals(False)
        self.validate()

    def _remove_social_rows(self) -> None:
        for row in sorted({index.row() for index in self.socials.selectedIndexes()}, reverse=True):
            self.socials.removeRow(row)
        self.validate()

    # load / validate / save --------------------------------------------------------------------------

    def load(self) -> None:
        if self.affiliate_id is None:
            data = AffiliateInput(code="", name="", status="active", joined_on=date.today())
            plan_index = 1 if self.plan.count() > 1 else 0
        else:
            detail = get_affiliate(self.db, self.affiliate_id)
            data = detail.data
            plan_index = max(0, self.plan.findData(data.plan_id))
        self._loaded_status = data.status if self.affiliate_id is not None else None
        self.code.setText(data.code)
        self.name.setText(data.name)
        self.email.setText(data.email or "")
        self.phone.setText(data.phone or "")
        self.status.setCurrentIndex(max(0, self.status.findData(data.status)))
        self.status_reason.clear()
        self.joined_on.setText(data.joined_on.isoformat() if data.joined_on else "")
        self.website.setText(data.website or "")
        self.country.setText(data.country or "")
        self.niches.setText("; ".join(data.niches))
        self.audience.setPlainText(data.audience or "")
        self.coupons.setText("; ".join(data.coupon_codes))
        self.tags.setText("; ".join(data.tags))
        self.plan.setCurrentIndex(plan_index)
        self.payee_email.setText(data.payee_email or "")
        self.bank_account_name.setText(data.bank_account_name or "")
        self.bank_iban.setText(data.bank_iban or "")
        self.bank_bic.setText(data.bank_bic or "")
        self.socials.setRowCount(0)
        for social in data.socials:
            self._add_social_row(social)
        self._status_changed()

    def _status_changed(self) -> None:
        changed = self._loaded_status is not None and self.status.currentData() != self._loaded_status
        self.status_reason.setEnabled(changed)
        self.validate()

    def _read_form(self) -> tuple[AffiliateInput, dict[str, str]]:
        errors: dict[str, str] = {}
        joined: date | None = None
        if self.joined_on.text().strip():
            try:
                joined = date.fromisoformat(self.joined_on.text().strip())
            except ValueError:
                written = re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.joined_on.text().strip())
                # "2026-02-30" is written right but is no day of the calendar: say that, not how to write it
                errors["joined_on"] = "There is no such day." if written else "Write the date as YYYY-MM-DD"
        socials: list[SocialInput] = []
        for row in range(self.socials.rowCount()):
            combo = self.socials.cellWidget(row, 0)
            platform = combo.currentData() if isinstance(combo, QComboBox) else "other"
            texts = [
                (self.socials.item(row, c).text() if self.socials.item(row, c) else "").strip() for c in (1, 2, 3, 4)
            ]
            handle, url, followers_text, engagement_text = texts
            try:
                followers = int(followers_text.replace(",", "") or "0")
            except ValueError:
                errors.setdefault("socials", f"row {row + 1}: followers must be a whole number")
                followers = 0
            engagement: Decimal | None = None
            if engagement_text:
                try:
                    engagement = Decimal(engagement_text.rstrip("%").strip())
                except InvalidOperation:
                    errors.setdefault("socials", f"row {row + 1}: engagement must be a percentage like 3.5")
            socials.append(SocialInput(platform, _optional(handle), _optional(url), followers, engagement))
        data = AffiliateInput(
            code=self.code.text().strip(),
            name=self.name.text().strip(),
            email=_optional(self.email.text()),
            status=self.status.currentData(),
            joined_on=joined,
            phone=_optional(self.phone.text()),
            website=_optional(self.website.text()),
            audience=_optional(self.audience.toPlainText()),
            niches=_split(self.niches.text()),
            country=_optional(self.country.text()),
            payee_email=_optional(self.payee_email.text()),
            bank_account_name=_optional(self.bank_account_name.text()),
            bank_iban=_optional(self.bank_iban.text()),
            bank_bic=_optional(self.bank_bic.text()),
            plan_id=self.plan.currentData(),
            tags=_split(self.tags.text()),
            coupon_codes=_split(self.coupons.text()),
            socials=tuple(socials),
            status_reason=_optional(self.status_reason.text()),
        )
        for key, message in validate_affiliate(self.db, data, self.affiliate_id).items():
            errors.setdefault(key, message)
        return data, errors

    def validate(self) -> bool:
        _data, errors = self._read_form()
        self._show_errors(errors)
        return not errors

    def _show_errors(self, errors: dict[str, str]) -> None:
        self._errors_shown = errors
        for key, label in self.errors.items():
            label.show_message(errors.get(key))
        unplaced = [msg for key, msg in errors.items() if key not in self.errors]
        # A problem on another tab: the tab says so, and so does the line above the buttons (Save was greyed out
        # with no reason in sight).
        marked = []
        for index in range(self.tabs.count()):
            tab = self.tabs.widget(index)
            wrong = any(key in errors and tab.isAncestorOf(label) for key, label in self.errors.items())
            title = self.tabs.tabText(index).removesuffix(" ⚠")
            self.tabs.setTabText(index, f"{title} ⚠" if wrong else title)
            colour = QColor("#b3261e") if wrong else self.palette().windowText().color()
            self.tabs.tabBar().setTabTextColor(index, colour)
            if wrong and index != self.tabs.currentIndex():
                marked.append(title)
        if marked:
            unplaced.append("To fix on " + " and ".join(f"'{title}'" for title in marked) + ".")
        self.summary.setText("\n".join(unplaced))
        self.save_button.setEnabled(not errors)

    def save(self) -> None:
        data, errors = self._read_form()
        if errors:
            self._show_errors(errors)
            self._focus_first_error(errors)
            return
        try:
            if self.affiliate_id is None:
                self.saved_id = create_affiliate(self.db, data)
            else:
                update_affiliate(self.db, self.affiliate_id, replace(data))
                self.saved_id = self.affiliate_id
        except ValidationFailed as exc:
            self._show_errors(exc.errors)
            return
        self.accept()

    def _focus_first_error(self, errors: dict[str, str]) -> None:
        for index in range(self.tabs.count()):
            tab = self.tabs.widget(index)
            for key in errors:
                label = self.errors.get(key)
                if label is not None and tab.isAncestorOf(label):
                    self.tabs.setCurrentIndex(index)
                    return

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not isinstance(self.focusWidget(), QPlainTextEdit):
            self.save()
            return
        super().keyPressEvent(event)
