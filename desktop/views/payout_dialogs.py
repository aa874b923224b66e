"""Small dialogs of the payouts page: a bonus or adjustment with its reason, and the payment's reference and date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.views.page_parts import FieldError

MIN_WIDTH = 460  # the payment dialog: its hint and summary readable, not cut at the dialog's natural 235 px


@dataclass(frozen=True)
class AdjustmentRequest:
    affiliate_id: int
    kind: str  # bonus | adjustment
    amount: str
    reason: str


@dataclass(frozen=True)
class PaymentRequest:
    reference: str
    paid_on: date


class AdjustmentDialog(QDialog):
    """A manual bonus or adjustment for one affiliate of a period, with the reason shown on the sheet."""

    def __init__(
        self, period: str, affiliates: list[tuple[int, str]], chosen: int | None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle(f"Bonus or adjustment for {period}")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "It goes on the sheet when the draft is built again. "
                "A bonus is positive; an adjustment may be negative."
            )
        )
        form = QFormLayout()
        self.affiliate = QComboBox()
        for affiliate_id, label in affiliates:
            self.affiliate.addItem(label, affiliate_id)
        if chosen is not None:
            self.affiliate.setCurrentIndex(max(0, self.affiliate.findData(chosen)))
        self.kind = QComboBox()
        self.kind.addItem("Bonus", "bonus")
        self.kind.addItem("Adjustment", "adjustment")
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("25.00 (an adjustment may be -25.00)")
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Why: shown on the sheet, in the drill-down and in the exports")
        self.reason.setFixedHeight(80)
        self.error = FieldError()
        form.addRow("Affiliate", self.affiliate)
        form.addRow("Kind", self.kind)
        form.addRow("Amount", self.amount)
        form.addRow("Reason", self.reason)
        layout.addLayout(form)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        if not self.amount.text().strip() or not self.reason.toPlainText().strip():
            self.error.show_message("Give an amount and a reason.")
            return
        self.accept()

    def request(self) -> AdjustmentRequest:
        return AdjustmentRequest(
            affiliate_id=int(self.affiliate.currentData()),
            kind=str(self.kind.currentData()),
            amount=self.amount.text().strip(),
            reason=self.reason.toPlainText().strip(),
        )


class PaymentDialog(QDialog):
    """Mark paid: the payment's reference (a PayPal batch id, a transfer reference) and its date.

    The date goes from `earliest` (the day the sheet counted its orders up to, `earliest_payment_day()`) to today.
    """

    def __init__(
        self, period: str, summary: str, parent: QWidget | None = None, *, earliest: date | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Mark {period} paid")
        self.setMinimumWidth(MIN_WIDTH)
        layout = QVBoxLayout(self)
        text = QLabel(f"{summary}\nOnce marked paid, the sheet never changes again.")
        text.setTextFormat(Qt.TextFormat.PlainText)  # the summary holds plan names and user names
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.reference = QLineEdit()
        hint = "PayPal batch id or bank transfer reference"
        self.reference.setPlaceholderText(hint)
        self.reference.setMinimumWidth(self.reference.fontMetrics().horizontalAdvance(hint) + 24)
        self.paid_on = QDateEdit(QDate.currentDate())
        self.paid_on.setCalendarPopup(True)
        self.paid_on.setDisplayFormat("yyyy-MM-dd")
        self.paid_on.setMaximumDate(QDate.currentDate())
        if earliest is not None:
            self.paid_on.setMinimumDate(QDate(earliest.year, earliest.month, earliest.day))
            self.paid_on.setToolTip(
                f"From {earliest.isoformat()}, the day the sheet counted its orders up to, until today."
            )
        self.error = FieldError()
        form.addRow("Reference", self.reference)
        form.addRow("Paid on", self.paid_on)
        layout.addLayout(form)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Mark paid")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        if not self.reference.text().strip():
            self.error.show_message("Give the payment's reference.")
            return
        self.accept()

    def request(self) -> PaymentRequest:
        picked = self.paid_on.date()
        return PaymentRequest(self.reference.text().strip(), date(picked.year(), picked.month(), picked.day()))
