"""Telling the application which column of an unknown export holds what; the mapping can be saved and reused."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.conversion_mappings import list_mappings, propose_mapping, save_mapping
from desktop.services.conversion_presets import FIELDS, missing_fields
from desktop.services.conversion_values import DATE_ORDERS

REQUIRED = ("order_id", "occurred_at", "amount")  # starred; the amount may be left out when the type is mapped


class ColumnMappingDialog(QDialog):
    def __init__(
        self,
        db: Database,
        path: Path,
        mapping: dict[str, str] | None = None,
        parent: QWidget | None = None,
        date_order: str | None = None,
    ):
        super().__init__(parent)
        self.db = db
        self.saved_name: str | None = None
        self.setWindowTitle("Map columns")
        proposal = self.proposal = propose_mapping(path)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Which column of <b>{escape(path.name)}</b> holds each of these? Order number, date and amount are "
            "needed (a file of only leads or sign-ups may leave out the amount if it has a type column); leave the "
            "rest on “not in this file”. Each column shows its first values."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if proposal.error:
            layout.addWidget(QLabel(f"<span style='color:#b3261e'>{escape(proposal.error)}</span>"))
        chosen_columns = dict(mapping) if mapping else proposal.guessed
        if not mapping and proposal.guessed:
            guess = QLabel("Proposed from the column names: check each one before you go on.")
            guess.setObjectName("hint")
            layout.addWidget(guess)
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        for field, meaning in FIELDS.items():
            combo = QComboBox()
            combo.addItem("(not in this file)", None)
            for name in proposal.header:
                combo.addItem(_shown(name, proposal.samples.get(name, ())), name)
            chosen = chosen_columns.get(field)
            if chosen:
                combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.setToolTip(meaning)
            combo.currentIndexChanged.connect(self.validate)
            self.combos[field] = combo
            label = f"{meaning.split(' (')[0]}{' *' if field in REQUIRED else ''}"
            form.addRow(label, combo)
        self.dates = QComboBox()
        self.dates.setPlaceholderText("Choose: 03/10/2026 could be either")
        for order, label in DATE_ORDERS.items():
            self.dates.addItem(label, order)
        self.dates.setToolTip("ISO 8601 dates (2026-10-03) are read whatever this says")
        self._dates_chosen = date_order is not None
        self._guess_dates(date_order)
        self.dates.activated.connect(self._dates_picked)
        self.combos["occurred_at"].currentIndexChanged.connect(lambda _index: self._guess_dates(None))
        self.dates.currentIndexChanged.connect(self.validate)
        form.addRow("Dates are written *", self.dates)
        layout.addLayout(form)
        self.save_name = QLineEdit()
        self.save_name.setPlaceholderText("Name to save this mapping under (optional), e.g. My shop")
        layout.addWidget(self.save_name)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b3261e;")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.validate()

    def mapping(self) -> dict[str, str]:
        return {field: combo.currentData() for field, combo in self.combos.items() if combo.currentData()}

    def date_order(self) -> str | None:
        """How the file writes dates ("ymd", "dmy", "mdy"); None while the user has yet to say."""
        order = self.dates.currentData()
        return str(order) if order else None

    def _dates_picked(self, _index: int) -> None:
        self._dates_chosen = True

    def _guess_dates(self, given: str | None) -> None:
        """The date order given, else what the date column's values show (until the user picks one)."""
        if given is None and self._dates_chosen:
            return
        column = self.combos["occurred_at"].currentData()
        order = given or (self.proposal.dates.get(column) if column else "ymd")
        self.dates.setCurrentIndex(self.dates.findData(order) if order else -1)

    def validate(self) -> bool:
        chosen = self.mapping()
        missing = [FIELDS[f].split(" (")[0] for f in missing_fields(chosen)]
        if self.date_order() is None:
            missing.append("how dates are written")
        used = list(chosen.values())
        twice = sorted({c for c in used if used.count(c) > 1})
        problems = []
        if missing:
            problems.append("Still needed: " + ", ".join(missing))
        if twice:
            problems.append("Used for two fields: " + ", ".join(twice))
        self.message.setText(". ".join(problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)
        return not problems

    def save(self) -> None:
        if not self.validate():
            return
        name = self.save_name.text().strip()
        if name:
            taken = next((saved.name for saved in list_mappings(self.db) if saved.name == name), None)
            if taken is not None and QMessageBox.question(
                self, "Replace the mapping?", f"A mapping named '{taken}' is saved already. Replace it with this one?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
            ) != QMessageBox.StandardButton.Yes:  # fmt: skip
                self.save_name.setFocus()
                self.save_name.selectAll()
                return
            save_mapping(self.db, name, self.mapping(), date_order=self.date_order() or "ymd")
            self.saved_name = name
        self.accept()


def _shown(column: str, samples: tuple[str, ...], room: int = 40) -> str:
    """A column as the list shows it: its name, then its first values ("Total — 1.234,50 · 80,00")."""
    if not samples:
        return column
    values = " · ".join(samples)
    return f"{column} — {values if len(values) <= room else values[: room - 1] + '…'}"
