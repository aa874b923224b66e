"""Telling the application which column of an unknown export holds what; the mapping can be saved and reused."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.conversion_mappings import save_mapping
from desktop.services.conversion_presets import FIELDS
from desktop.services.tabular import TableError, normalise_header, open_table

REQUIRED = ("order_id", "occurred_at", "amount")


class ColumnMappingDialog(QDialog):
    def __init__(self, db: Database, path: Path, mapping: dict[str, str] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.saved_name: str | None = None
        self.setWindowTitle("Map columns")
        try:
            with open_table(path) as table:
                header = list(table.header)
        except TableError as exc:
            header = []
            error = str(exc)
        else:
            error = ""
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Which column of <b>{path.name}</b> holds each of these? Order number, date and amount are needed; "
            "leave the rest on “not in this file”."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if error:
            layout.addWidget(QLabel(f"<span style='color:#b3261e'>{error}</span>"))
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        by_key = {normalise_header(h): h for h in header}
        for field, meaning in FIELDS.items():
            combo = QComboBox()
            combo.addItem("(not in this file)", None)
            for name in header:
                combo.addItem(name, name)
            chosen = (mapping or {}).get(field) or by_key.get(field)
            if chosen:
                combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.setToolTip(meaning)
            combo.currentIndexChanged.connect(self.validate)
            self.combos[field] = combo
            label = f"{meaning.split(' (')[0]}{' *' if field in REQUIRED else ''}"
            form.addRow(label, combo)
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

    def validate(self) -> bool:
        chosen = self.mapping()
        missing = [FIELDS[f].split(" (")[0] for f in REQUIRED if f not in chosen]
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
            save_mapping(self.db, name, self.mapping())
            self.saved_name = name
        self.accept()
